"""The archive's admin: managers start a replay (a dry run by default) and read its progress and report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from alienportal.access import Capability
from alienportal.admin import AuditHistoryMixin, ReadOnlyAdmin
from alienportal.errors import DomainError
from scoreboard.archive.models import ArchiveReplay, ReconciliationRun
from scoreboard.archive.services import archive_replay_request, archive_replay_scope_check


class ArchiveReplayForm(forms.ModelForm):
    class Meta:
        model = ArchiveReplay
        fields = ("session_id", "since", "until", "dry_run")
        help_texts = {
            "session_id": "A game session id; or leave it empty and give a range of arrival times (UTC), or neither"
            " for everything in the archive.",
            "dry_run": "Only report what would change (rank changes, duplicates, dead letters, records after"
            " closing). Untick to write.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            archive_replay_scope_check(
                session_id=(data.get("session_id") or "").strip(), since=data.get("since"), until=data.get("until")
            )
        except DomainError as error:
            self.add_error(None, error.message)
        return data


@admin.register(ArchiveReplay)
class ArchiveReplayAdmin(AuditHistoryMixin, admin.ModelAdmin):
    form = ArchiveReplayForm
    list_display = ("requested_at", "requested_by", "what", "dry_run", "status", "progress", "finished_at")
    list_filter = ("status", "dry_run")
    readonly_fields = (
        "requested_at",
        "requested_by",
        "session_id",
        "since",
        "until",
        "dry_run",
        "status",
        "progress",
        "finished_at",
        "report_text",
    )

    @admin.display(description="what")
    def what(self, obj: ArchiveReplay) -> str:
        if obj.session_id:
            return f"session {obj.session_id}"
        if obj.since or obj.until:
            return f"{obj.since or 'the start'} to {obj.until or 'now'}"
        return "everything"

    @admin.display(description="progress")
    def progress(self, obj: ArchiveReplay) -> str:
        return f"{obj.objects_read}/{obj.objects_total} objects" if obj.objects_total else "-"

    @admin.display(description="report")
    def report_text(self, obj: ArchiveReplay) -> str:
        return format_html("<pre>{}</pre>", obj.report or "(not finished)")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ("session_id", "since", "until", "dry_run")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a replay is a record of what was run: read, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ArchiveReplay, form: Any, change: bool) -> None:
        created = archive_replay_request(
            actor=request.user,
            session_id=obj.session_id,
            since=obj.since,
            until=obj.until,
            dry_run=obj.dry_run,
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    """What beat and `manage.py archive_reconcile` found: read only (a check is run, not edited)."""

    view_capability = Capability.VIEW_HEALTH

    list_display = ("session", "checked_at", "ok", "players", "archive_records", "differences", "first_difference")
    list_filter = ("ok",)
    list_select_related = ("session",)
    search_fields = ("session__session_id",)
