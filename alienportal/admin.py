"""The admin site's branding, the History that reads the audit log, and the read-only base of system records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import conditional_escape

from alienportal.access import Capability, can
from alienportal.audit import audit_entries_of
from alienportal.dates import when_html
from alienportal.models import AuditEntry

admin.site.site_header = "Alien Portal"
admin.site.site_title = "Alien Portal"
admin.site.index_title = "Administration"
# "View site" leads to the portal's home page (alienportal.home), not to a 404.
admin.site.site_url = "/"

HISTORY_LIMIT = 200  # entries on one History page, newest first


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    action: str
    changes: list[tuple[str, str, str]]  # (field, before, after) of audit entries, as escaped HTML
    message: str = ""  # an admin edit's change message (Django's LogEntry)


def _shown(value: Any) -> str:
    # Audit states keep moments as ISO strings: shown like every other moment (alienportal.dates).
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return when_html(datetime.fromisoformat(value))
        except ValueError:
            pass
    return conditional_escape("—" if value is None else str(value))


def _changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, _shown(before.get(key)), _shown(after.get(key))) for key in keys if before.get(key) != after.get(key)]


class AuditHistoryMixin:
    """The admin's History page, read from the audit log (and the admin's own edit log, merged).

    Services record what people do in `AuditEntry` (alienportal.audit), not in Django's
    `LogEntry`, which only the admin's own add/change/delete forms write: without this the
    History of a session closed by a manager said it had none. One log, read in two places,
    rather than a second copy of each action in LogEntry.
    """

    model: type[models.Model]
    admin_site: admin.AdminSite

    def audit_targets(self, obj: Any) -> list[tuple[str, list[str]]]:
        """Return whose audit entries belong in `obj`'s History: (model label, [pks]) pairs."""
        return [(obj._meta.label, [str(obj.pk)])]

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        opts = self.model._meta
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, opts, object_id)  # type: ignore[attr-defined]
        if not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        rows = [
            HistoryRow(at=entry.created_at, actor=entry.actor_name, action=entry.action, changes=_changes(entry))
            for entry in audit_entries_of(targets=self.audit_targets(obj))[:HISTORY_LIMIT]
        ]
        edits = (
            LogEntry.objects.filter(
                object_id=unquote(object_id), content_type=ContentType.objects.get_for_model(self.model)
            )
            .select_related("user")
            .order_by("-action_time")[:HISTORY_LIMIT]
        )
        rows += [
            HistoryRow(
                at=edit.action_time,
                actor=str(edit.user),
                action={1: "admin.add", 2: "admin.change", 3: "admin.delete"}.get(edit.action_flag, "admin"),
                changes=[],
                message=edit.get_change_message(),
            )
            for edit in edits
        ]
        rows.sort(key=lambda row: row.at, reverse=True)
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": opts,
            "module_name": str(opts.verbose_name_plural).capitalize(),
            "rows": rows[:HISTORY_LIMIT],
            "limited": len(rows) > HISTORY_LIMIT,
            "history_limit": HISTORY_LIMIT,
            "preserved_filters": self.get_preserved_filters(request),  # type: ignore[attr-defined]
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/audit_history.html", context)


class PolicyAdmin(admin.ModelAdmin):
    """An admin page whose rights the access policy gives: `view_capability` to see it,
    `change_capability` to add, change and delete (roles come from groups, not model permissions)."""

    view_capability: Capability
    change_capability: Capability

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request, self.view_capability)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request, self.view_capability)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request, self.change_capability)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request, self.change_capability)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request, self.change_capability)


class ReadOnlyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """An admin page that callers with `view_capability` may read and nobody, not even a superuser, may edit.

    For records the system writes (audit entries, seats, publication state): a hand edit would
    make them disagree with what really happened.
    """

    view_capability: Capability | None = None

    def _may_view(self, request: HttpRequest) -> bool:
        return self.view_capability is not None and can(request, self.view_capability)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_view(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_view(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    # The log is evidence: managers read it; nobody edits or deletes it from the admin.
    view_capability = Capability.VIEW_AUDIT_LOG
    list_display = ("created_at", "actor_name", "action", "target_type", "target_repr")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "action", "target_repr", "target_id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "actor",
        "actor_name",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "before",
        "after",
    )
