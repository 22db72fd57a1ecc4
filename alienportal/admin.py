"""Read-only admin pages (the audit log, and the base other apps use for their records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alienportal.access import Capability, can
from alienportal.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
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
