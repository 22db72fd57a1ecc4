"""The audit log: one entry per action a person (or a scheduled task) takes on the portal; written and read here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from alienportal.models import AuditEntry

SYSTEM_ACTOR = "system"


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Record that `actor` (a user, or None for the system) did `action` to `target`.

    Call it inside the transaction of the change it describes, so the log and the change
    are committed together or not at all.
    """
    if isinstance(target, models.Model):
        target_type = target._meta.label
        target_id = str(target.pk)
        target_repr = str(target)[:200]
    else:
        target_type, target_id, target_repr = "", target[:100], target[:200]
    return AuditEntry.objects.create(
        actor=actor if _is_person(actor) and getattr(actor, "pk", None) is not None else None,
        actor_name=audit_actor_name(actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        before=before,
        after=after,
    )


def _is_person(actor: Any) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def audit_actor_name(actor: Any) -> str:
    """Name `actor` as the log shows it: a user's username, a token caller's name or client, or "system".

    A bearer-token caller (alienportal.auth.authentication.TokenCaller) is no database user, so
    the entry keeps only its name, marked as a token's, and no foreign key.
    """
    if not _is_person(actor):
        return SYSTEM_ACTOR
    if getattr(actor, "pk", None) is not None:
        return str(actor.get_username())[:150]
    return f"{actor.get_username() or actor} (token)"[:150]


def audit_entries_of(*, targets: Iterable[tuple[str, Sequence[str]]]) -> QuerySet[AuditEntry]:
    """Return the entries about any of `targets` ((model label, [primary keys]) pairs), newest first."""
    wanted = Q(pk__in=[])
    for target_type, target_ids in targets:
        wanted |= Q(target_type=target_type, target_id__in=[str(target_id) for target_id in target_ids])
    return AuditEntry.objects.filter(wanted).select_related("actor").order_by("-created_at", "-id")
