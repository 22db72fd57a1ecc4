"""Read-only admin of identities: which provider subject each portal user is."""

from typing import Any

from django.contrib import admin

from alienportal.auth.models import Identity


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "subject", "issuer", "last_sign_in")
    search_fields = ("user__username", "subject")
    readonly_fields = ("user", "issuer", "subject", "last_sign_in")

    # Identities are created at sign-in from verified tokens only; nobody edits them by hand.
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
