"""A cheat flag's evidence (scoreboard/cheats.py writes it) as a person reads it: the ticket page's lines."""

from __future__ import annotations

from typing import Any

# A status's fields in the game's own order; the previous status before the one that broke the rule.
# (The evidence is stored as JSON, which keeps no key order.)
_STATUS_FIELDS = ("Score", "Lives", "Shots", "Level")
_STATUSES = ("previous", "snapshot")


def evidence_lines(evidence: dict[str, Any]) -> list[str]:
    """One line a status, previous first ("previous: Score 120 · Lives 3 · Shots 30 · Level 1 ·
    2026-11-27T10:00:40+00:00"), then one line of the rule's figures ("shots 40 · seconds 0.5").
    """
    statuses = sorted(
        (name for name, value in evidence.items() if isinstance(value, dict)),
        key=lambda name: (_STATUSES.index(name) if name in _STATUSES else len(_STATUSES), name),
    )
    lines = [f"{name}: {_status_text(evidence[name])}" for name in statuses]
    figures = [f"{name.replace('_', ' ')} {value}" for name, value in evidence.items() if name not in statuses]
    if figures:
        lines.append(" · ".join(figures))
    return lines


def _status_text(status: dict[str, Any]) -> str:
    known = [f"{field} {status[field]}" for field in _STATUS_FIELDS if field in status]
    others = [f"{field} {value}" for field, value in status.items() if field not in (*_STATUS_FIELDS, "Timestamp")]
    moment = [str(status["Timestamp"])] if "Timestamp" in status else []
    return " · ".join(known + others + moment)
