"""Write the audit log: one entry per action a person (or a scheduled task) takes on the portal."""

from __future__ import annotations

from typing import Any

from django.db import models

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
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else SYSTEM_ACTOR,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        before=before,
        after=after,
    )
