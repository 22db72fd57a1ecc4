"""The synchronized start, live: where seated players wait, and the manager's Start reaching them."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

# What the original's synchronousStart function posted to every connection (PostToConnection Data);
# the game's WaitForManagerState starts on `message.data == 'start'`.
START_MESSAGE = "start"
# Where seated players wait (alienportal/routing.py routes it; /v1/websocket hands it out).
SESSION_START_WS_PATH = "/ws/v1/session-start"


def session_start_group(session_pk: int) -> str:
    """Return the channel-layer group of the players waiting for session `session_pk` to start."""
    return f"{settings.APP_NAME}.session-start.{session_pk}"


def session_start_announce(*, session_pk: int) -> None:
    """Tell every player waiting in the session that it started (called once the start is committed)."""
    layer = get_channel_layer()
    if layer is None:
        logger.warning("session_start.no_channel_layer session=%s", session_pk)
        return
    async_to_sync(layer.group_send)(session_start_group(session_pk), {"type": "session.start"})
    logger.info("session_start.announced session=%s", session_pk)
