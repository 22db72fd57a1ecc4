"""What became of a session's records that never reached its standings: discards after closing, dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db.models import Count

from scoreboard.models import DeadLetter
from scoreboard.selectors import discards_after_closing
from sessions.models import GameSession

EXAMPLES = 5  # the latest dead letters shown as examples
PREVIEW_BYTES = 120  # of each example's raw record


@dataclass(frozen=True, slots=True)
class DeadLetterExample:
    pk: int
    created_at: datetime
    reason: str
    detail: str
    nickname: str | None  # the record's `Nickname`, when its bytes parse as a JSON object with one
    preview: bytes  # the record's first PREVIEW_BYTES bytes, raw: escape before showing
    data_length: int


@dataclass(frozen=True, slots=True)
class SessionLosses:
    after_closing: int  # discarded: stamped (or put) after the session closed
    dead_letters: int  # dead letters naming the session's id, replayed ones included
    by_reason: list[tuple[str, int]]  # most frequent first
    latest: list[DeadLetterExample]  # newest first, at most EXAMPLES

    @property
    def total(self) -> int:
        return self.after_closing + self.dead_letters


def _nickname(data: bytes) -> str | None:
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # malformed or cut at DEAD_LETTER_DATA_BYTES: only the bytes are shown
    nickname = record.get("Nickname") if isinstance(record, dict) else None
    return nickname[:128] if isinstance(nickname, str) else None


def session_losses(*, session: GameSession) -> SessionLosses:
    """Return the session's discarded records (counted) and dead letters (counts by reason, latest examples)."""
    after_closing = discards_after_closing(session=session)
    letters = DeadLetter.objects.filter(session_id=session.session_id)  # indexed
    by_reason = [
        (row["reason"], row["total"])
        for row in letters.order_by().values("reason").annotate(total=Count("pk")).order_by("-total", "reason")
    ]
    latest = [
        DeadLetterExample(
            pk=letter.pk,
            created_at=letter.created_at,
            reason=letter.reason,
            detail=letter.detail,
            nickname=_nickname(bytes(letter.data)),
            preview=bytes(letter.data)[:PREVIEW_BYTES],
            data_length=letter.data_length or len(letter.data),
        )
        for letter in letters.order_by("-created_at", "-pk")[:EXAMPLES]
    ]
    return SessionLosses(
        after_closing=after_closing,
        dead_letters=sum(total for _, total in by_reason),
        by_reason=by_reason,
        latest=latest,
    )
