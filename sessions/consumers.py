"""WebSocket consumers of the game: a seated player of a synchronized session waits for the manager's Start."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core import signing

from alienportal.access import Capability, can
from alienportal.auth.authentication import token_caller
from alienportal.auth.tokens import TokenPolicy, TokenRejected, token_verify
from sessions.live import START_MESSAGE, session_start_group
from sessions.selectors import StartWait, session_start_wait

logger = logging.getLogger(__name__)

TICKET_SALT = "alienportal.sessions.start-ticket"


def start_ticket_issue(*, nickname: str, session_id: str | None) -> str:
    """Return a signed ticket naming the player and the session they may wait in.

    The game opens the URL it is given with the browser's WebSocket, which cannot send an
    Authorization header; the ticket, issued to a verified token holder by /v1/websocket, stands
    in for the token in that URL (and keeps the token itself out of URLs and logs).
    """
    return signing.dumps({"u": nickname, "s": session_id}, salt=TICKET_SALT, compress=True)


def _ticket_read(ticket: str, *, max_age: int) -> tuple[str, str | None] | None:
    try:
        value = signing.loads(ticket, salt=TICKET_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return str(value["u"]), value["s"]


def _token_read(authorization: str) -> tuple[str, str | None] | None:
    parts = authorization.split()
    if not parts or len(parts) > 2 or (len(parts) == 2 and parts[0].lower() != "bearer"):
        return None
    try:
        claims = token_verify(parts[-1], policy=TokenPolicy.from_settings(api="game"))
    except TokenRejected:
        return None
    caller = token_caller(claims)
    if not can(caller, Capability.PLAY_GAME) or not caller.username:
        return None
    return caller.username, None


class SessionStartConsumer(AsyncWebsocketConsumer):
    """Hold a seated player's connection until their synchronized session starts, then send "start"."""

    group: str | None = None
    started_sent = False

    async def connect(self) -> None:
        from django.conf import settings

        query = {name: values[-1] for name, values in parse_qs(self.scope["query_string"].decode("latin-1")).items()}
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in self.scope["headers"]}
        caller = None
        if "ticket" in query:
            caller = _ticket_read(query["ticket"], max_age=settings.GAME_WEBSOCKET_TICKET_SECONDS)
        elif "authorization" in headers:
            caller = await database_sync_to_async(_token_read)(headers["authorization"])
        if caller is None:
            logger.info("session_start.refused reason=unauthenticated")
            await self.close(code=4401)
            return
        nickname, session_id = caller
        wait: StartWait = await database_sync_to_async(session_start_wait)(nickname=nickname, session_id=session_id)
        if wait.refusal:
            logger.info("session_start.refused nickname=%s reason=%s", nickname, wait.refusal)
            await self.close(code=4403)
            return
        assert wait.session_pk is not None
        # Join before looking again, so a Start committed in between is either seen or received.
        self.group = session_start_group(wait.session_pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        started = await database_sync_to_async(session_start_wait)(nickname=nickname, session_id=session_id)
        if started.started:
            await self._start()
        logger.info("session_start.waiting nickname=%s session=%s", nickname, wait.session_pk)

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The game sends nothing on this socket; nothing a client sends changes anything.
        return

    async def session_start(self, event: dict[str, Any]) -> None:
        await self._start()

    async def _start(self) -> None:
        if not self.started_sent:
            self.started_sent = True
            await self.send(text_data=START_MESSAGE)
