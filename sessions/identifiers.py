"""The game's identifiers as every part of the portal accepts them: nicknames and session ids.

One rule each, shared by the seat API, the game API, the stream and session_open, so a name
accepted (and cleaned) in one place is the same name everywhere: `"alice "` seated by the seat
API is the `"alice"` whose `Lives: 0` snapshot frees the seat.
"""

from __future__ import annotations

import re

# The game plays under the Cognito username, and Cognito usernames have up to 128 characters.
NICKNAME_MAX_CHARS = 128
SESSION_ID_MAX_CHARS = 64
# Matched whole (fullmatch): with `$`, "X181001T215808\n" would pass.
SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
SESSION_ID_RULE = "1 to 64 letters, digits and _ . : - (starting with a letter or digit)"


class NicknameInvalid(ValueError):
    """Not a nickname; `reason` is the stream's dead-letter reason for it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def nickname_clean(value: object) -> str:
    """Return `value` as the nickname stored everywhere (surrounding whitespace removed), or raise."""
    if not isinstance(value, str):
        raise NicknameInvalid("wrong_type", "Nickname must be a string")
    nickname = value.strip()
    if not nickname or len(nickname) > NICKNAME_MAX_CHARS or not nickname.isprintable():
        raise NicknameInvalid("invalid_nickname", f"Nickname must be 1..{NICKNAME_MAX_CHARS} printable characters")
    return nickname


def session_id_is_valid(value: object) -> bool:
    """Tell whether `value` is a session id the stream accepts (the whole string, no trailing newline)."""
    return isinstance(value, str) and SESSION_ID_PATTERN.fullmatch(value) is not None
