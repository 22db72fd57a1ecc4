"""The audit log in the admin: read-only, for managers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alienportal.models import AuditEntry
from alienportal.roles import Role, request_roles


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
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

    # The log is evidence: nobody edits or deletes it from the admin, not even a superuser.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return Role.MANAGERS in request_roles(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return Role.MANAGERS in request_roles(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
