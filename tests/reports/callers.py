"""The kinds of caller the reports API tests ask as (the `callers` fixture's keys), and response bodies."""

from __future__ import annotations

import json
from typing import Any

ANONYMOUS = "anonymous"
PLAYER = "player"
PLAYER_TOKEN = "player_token"
SUPPORT = "support"
MANAGER = "manager"
REST_CLIENT = "rest_client"
REST_CLIENT_NO_SCOPE = "rest_client_no_scope"
ROLES = (ANONYMOUS, PLAYER, PLAYER_TOKEN, SUPPORT, MANAGER, REST_CLIENT, REST_CLIENT_NO_SCOPE)


def body(response: Any) -> Any:
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
