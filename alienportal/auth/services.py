"""Writes of identity and access: role groups and their permissions, users from verified claims."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from alienportal.access import (
    CAPABILITY_PERMISSIONS,
    PORTAL_CAPABILITIES,
    PORTAL_ROLES,
    ROLE_CAPABILITIES,
    Role,
    roles_from_groups,
)
from alienportal.auth.models import Identity

logger = logging.getLogger(__name__)

ALL_PERMISSIONS = "__all__"


def _role_permissions(role: Role) -> str | frozenset[str]:
    capabilities = ROLE_CAPABILITIES[role]
    if capabilities >= PORTAL_CAPABILITIES:
        # Whoever may do everything in the portal gets every model permission (but see below).
        return ALL_PERMISSIONS
    return frozenset(name for capability in capabilities for name in CAPABILITY_PERMISSIONS.get(capability, ()))


# The Django model permissions each role's group gets, derived from the access policy
# (alienportal.access): as "<app_label>.<codename>", or ALL_PERMISSIONS.
ROLE_PERMISSIONS: dict[Role, str | frozenset[str]] = {role: _role_permissions(role) for role in Role}

# Even Managers do not get these: users, groups and identities come from Cognito and are
# overwritten at each sign-in, and whoever can edit users can make themselves superuser. Nor may
# they change Celery beat's schedules (the drain's shard sync, session expiry, retention): the
# settings define them, and a disabled sync silently stops the drain; they may look.
MANAGERS_EXCLUDED = (
    Q(
        content_type__app_label__in=["auth", "portal_auth"],
        content_type__model__in=["user", "group", "permission", "identity"],
    )
    | Q(content_type__app_label="django_celery_beat")
) & ~Q(codename__startswith="view_")


def _permissions_for(role: Role) -> Iterable[Permission]:
    wanted = ROLE_PERMISSIONS[role]
    if wanted == ALL_PERMISSIONS:
        return Permission.objects.exclude(MANAGERS_EXCLUDED)
    query = Q(pk__in=[])
    for name in wanted:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


@transaction.atomic
def role_groups_ensure() -> dict[Role, Group]:
    """Create the role groups if missing and set exactly the permissions of ROLE_PERMISSIONS."""
    groups = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(_permissions_for(role))
        groups[role] = group
    return groups


@transaction.atomic
def user_roles_sync(*, user: Any, groups: Iterable[str]) -> frozenset[Role]:
    """Make the user's Django groups exactly their Cognito role groups; staff iff Managers or Support.

    Groups that are not portal roles are ignored. Local superusers keep their flag: the provider
    does not manage break-glass accounts.
    """
    roles = roles_from_groups(groups)
    role_groups = role_groups_ensure()
    user.groups.set([role_groups[role] for role in roles])
    is_staff = bool(roles & PORTAL_ROLES) or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    logger.info("auth.roles_synced user_id=%s roles=%s", user.pk, ",".join(sorted(roles)) or "-")
    return roles


@transaction.atomic
def user_from_claims(*, issuer: str, claims: dict[str, Any]) -> Any:
    """Return the user of a verified ID token, created if new; match on (issuer, sub) only.

    The username follows `cognito:username` (a rename at the provider renames the user here);
    e-mail is copied for display and never used to match.
    """
    user_model = get_user_model()
    subject = str(claims["sub"])
    username = str(claims.get("cognito:username") or claims.get("preferred_username") or subject)[:150]
    email = str(claims.get("email") or "")
    identity = (
        Identity.objects.select_related("user").select_for_update().filter(issuer=issuer, subject=subject).first()
    )
    if identity is None:
        if user_model.objects.filter(username=username).exists():
            # Never take over an existing account that merely shares the name (e.g. a local
            # superuser called "admin"): give the new identity a name of its own.
            username = f"{username}-{subject[:8]}"[:150]
        user = user_model.objects.create_user(username=username, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Identity.objects.create(user=user, issuer=issuer, subject=subject)
        logger.info("auth.user_created user_id=%s subject=%s", user.pk, subject)
        return user
    user = identity.user
    changed = []
    if email != user.email:
        user.email = email
        changed.append("email")
    if username != user.username and not user_model.objects.filter(username=username).exclude(pk=user.pk).exists():
        user.username = username
        changed.append("username")
    if changed:
        user.save(update_fields=changed)
    identity.save(update_fields=["last_sign_in"])
    return user
