"""Simulated players who play through the game API as the original client does: session, seat, statuses, game over.

Read from aws-samples/aws-alien-attack (application/game/js/alienattack.js, resources/js/awsfacade.js):
the client reads its Cognito settings from `GET /v1/config`, signs up and signs in, and before each
game waits for an open session (`OpeningTime` set, no `ClosingTime`), asks for a seat
(`POST /v1/allocate {"Username"}`: "Keep playing." and "Success allocating" both let it play), sends a
status only when something changed (here: one rocket a status, at most one every 500 ms, the
cheat rules' honest pace) through `POST /v1/updatestatus` with `Authorization: <ID token>`, and
ends the game with a status of `Lives: 0` (our drain frees the seat when it reads that status).
On unload it deallocates. The session is read from the SSM parameter the portal publishes, the
value the original's `GET /v1/session` returned.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from alienportal.aws import aws_client, aws_error_code
from scoreboard.simulator import CHEAT_KINDS, STARTING_LIVES, CheatPlan, GameSimulator, PlayerGame, counts_text
from sessions.models import ONE_GAME_TYPES

logger = logging.getLogger(__name__)

PLAYERS_GROUP = "Players"
# The original's honest fire rate (README "Cheat flags"): one rocket, so one status, per 500 ms.
STATUS_INTERVAL_MIN = 0.5
# How long a player who just sent `Lives: 0` waits for the server to free its seat before the
# next game: until the drain has read that status, allocate answers "Keep playing.", and a game
# started then would lose its seat mid-game when the drain catches up.
SEAT_RELEASE_WAIT = 30.0
SESSION_POLL_SECONDS = 1.0  # how often a waiting or playing player looks at SSM again
HTTP_TIMEOUT = 10.0
SEAT_REFUSAL_CODES = {
    "Session is closed.": "SessionClosed",
    "No session available.": "NoSession",
}


class PortalUnreachable(Exception):
    """The game API cannot be reached or answers what no game client can use."""


class PortalRefused(PortalUnreachable):
    """The game API refuses the player's token: a configuration error, not an outage to wait out."""


@dataclass
class PlaySummary:
    """What the simulated players did, as they saw it (what the portal should agree with)."""

    players: int = 0
    games_started: int = 0
    games_finished: int = 0  # ended with a `Lives: 0` status the API accepted
    games_cut: int = 0  # ended because the session closed (or the seat was taken away) mid-game
    sent: int = 0  # statuses the API accepted (put on the stream)
    status_refusals: Counter[str] = field(default_factory=Counter)
    seat_refusals: Counter[str] = field(default_factory=Counter)
    keep_playing: int = 0
    duplicates: int = 0
    cheats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHEAT_KINDS, 0))
    sessions: list[str] = field(default_factory=list)
    # Per session: who had a status accepted (who should be in its ranking), and how many statuses.
    players_by_session: dict[str, set[str]] = field(default_factory=dict)
    sent_by_session: Counter[str] = field(default_factory=Counter)
    # (shard, sequence number) of every accepted status: two statuses given the same one were
    # stored as one (moto's concurrent puts to a shard can collide; README, FACTS).
    stream_positions: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def stream_collisions(self) -> int:
        return sum(count - 1 for count in self.stream_positions.values())

    def line(self) -> str:
        seat = ", ".join(f"{reason}={count}" for reason, count in sorted(self.seat_refusals.items())) or "none"
        status = ", ".join(f"{code}={count}" for code, count in sorted(self.status_refusals.items())) or "none"
        cheats = counts_text(self.cheats)
        return (
            f"{self.players} players, {self.games_started} games ({self.games_finished} finished, "
            f"{self.games_cut} cut short), sent {self.sent} records via the game API "
            f"({self.duplicates} duplicates; cheats: {cheats}), {self.rate:,.1f} records/s over {self.seconds:.1f}s; "
            f"seat refusals: {seat}; keep playing: {self.keep_playing}; status refusals: {status}; "
            f"errors: {self.errors}; sessions: {', '.join(self.sessions) or 'none'}"
        )


@dataclass(frozen=True)
class GameConfig:
    user_pool_id: str
    client_id: str


class SessionReader:
    """Read the current session from the SSM parameter the portal publishes (what the game reads)."""

    def __init__(self, *, parameter: str | None = None) -> None:
        self.parameter = parameter or settings.SSM_SESSION_PARAMETER
        self._ssm = aws_client("ssm")

    def read(self) -> dict[str, Any] | None:
        """Return the session document, or None when none was ever opened or SSM cannot be read."""
        try:
            value = self._ssm.get_parameter(Name=self.parameter)["Parameter"]["Value"]
        except (ClientError, BotoCoreError):
            logger.warning("simulated_game.ssm_read_failed parameter=%s", self.parameter, exc_info=True)
            return None
        try:
            session = json.loads(value)
        except ValueError:
            return None
        return session if isinstance(session, dict) and session.get("SessionId") else None


def session_is_open(session: dict[str, Any] | None) -> bool:
    """Tell whether the game would join this session: opened and not closed (WaitForSessionState)."""
    return bool(session and session.get("OpeningTime") and not session.get("ClosingTime"))


class GameApiClient:
    """One player's HTTP connection to the game API (`/v1/`), kept alive between calls."""

    def __init__(self, *, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/v1/"
        self.http = requests.Session()
        self.id_token = ""

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, resource: str, body: bytes | None = None) -> tuple[int, Any]:
        headers = {"Authorization": self.id_token} if self.id_token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method, self.base_url + resource, data=body, headers=headers, timeout=HTTP_TIMEOUT
            )
        except requests.RequestException as exc:
            raise PortalUnreachable(f"cannot reach the game API at {self.base_url}: {exc}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {"errorMessage": response.text[:200]}
        return response.status_code, payload

    def config(self) -> GameConfig:
        status, payload = self._call("GET", "config")
        if status != 200:
            raise PortalUnreachable(f"GET {self.base_url}config answered {status}: {payload}")
        values = {item["Name"].rsplit("/", 1)[-1]: item["Value"] for item in payload.get("Parameters", [])}
        if not values.get("userpoolid") or not values.get("clientid"):
            raise PortalUnreachable(f"GET {self.base_url}config names no user pool or app client: {payload}")
        return GameConfig(user_pool_id=values["userpoolid"], client_id=values["clientid"])

    def allocate(self, username: str) -> tuple[int, Any]:
        return self._call("POST", "allocate", json.dumps({"Username": username}).encode())

    def deallocate(self, username: str) -> tuple[int, Any]:
        return self._call("POST", "deallocate", json.dumps({"Username": username}).encode())

    def status_update(self, data: bytes) -> tuple[int, Any]:
        return self._call("POST", "updatestatus", data)


class PlayerAccounts:
    """Sign simulated players up in the game's Cognito pool on first use, and sign them in.

    Our pool has no self sign-up (README: the portal's pool also holds staff), so sign-up is what
    the original's sign-up trigger amounted to: a confirmed user in the `Players` group.
    """

    def __init__(self, *, config: GameConfig, password: str = "Simulated-player-1") -> None:
        self.config = config
        self.password = password
        self._cognito = aws_client("cognito-idp")

    def sign_up(self, username: str) -> bool:
        """Create the player's user unless it exists; return whether it was created."""
        pool = self.config.user_pool_id
        try:
            self._cognito.admin_get_user(UserPoolId=pool, Username=username)
            created = False
        except ClientError as exc:
            if aws_error_code(exc) != "UserNotFoundException":
                raise
            self._cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
            created = True
        # Password and group every time: a user left half-made by an interrupted run still plays.
        self._cognito.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=self.password, Permanent=True
        )
        self._cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=PLAYERS_GROUP)
        return created

    def sign_in(self, username: str) -> str:
        """Return a fresh ID token for the player (the game sends it as `Authorization`)."""
        result = self._cognito.admin_initiate_auth(
            UserPoolId=self.config.user_pool_id,
            ClientId=self.config.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self.password},
        )
        return str(result["AuthenticationResult"]["IdToken"])


TOKEN_LIFETIME = 50 * 60  # moto's and Cognito's tokens live 1 h: sign in again before that


class _Stopped(Exception):
    """The simulation is stopping: leave the loop."""


class SimulatedPlayer:
    """One player's life: wait for an open session, take a seat, play a game, and again if allowed."""

    def __init__(self, *, game: PlayerPool, nickname: str, cheat: str | None = None) -> None:
        self.game = game
        self.nickname = nickname
        self.cheat = cheat
        self.api = GameApiClient(base_url=game.base_url)
        self.rng = random.Random(f"{game.seed}-{nickname}")
        self.signed_in_at: float | None = None
        # Sessions this player may not play again: one-game sessions it played or was refused in.
        self.done_in: set[str] = set()
        self.playing_in: str | None = None
        self.finished_in: str | None = None  # a Lives: 0 status was sent, the seat may not be free yet
        self.last_status: bytes | None = None

    # -- plumbing ---------------------------------------------------------------------------------

    def _token(self) -> None:
        if self.signed_in_at is None or time.monotonic() - self.signed_in_at > TOKEN_LIFETIME:
            self.api.id_token = self.game.accounts.sign_in(self.nickname)
            self.signed_in_at = time.monotonic()

    def _sleep(self, seconds: float) -> None:
        """Wait, in short steps, so that a pause or a stop takes effect within a fraction of a second."""
        deadline = time.monotonic() + seconds
        while True:
            self.game.checkpoint()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.game.stopping.wait(min(remaining, 0.25)):
                raise _Stopped

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.game.accounts.sign_up(self.nickname)
            self._token()
            self.game.count(players=1)
            while not self.game.stopping.is_set() and not self.game.quota_reached():
                try:
                    self._one_game()
                except (PortalRefused, ClientError):
                    raise
                except (PortalUnreachable, BotoCoreError) as exc:
                    self._outage(exc)
        except _Stopped:
            pass
        except (PortalUnreachable, ClientError) as exc:
            self.game.fail(exc)
        except Exception as exc:  # a player's crash must not stop the others silently
            logger.exception("simulated_game.player_crashed nickname=%s", self.nickname)
            self.game.fail(exc)
        finally:
            self._leave()
            self.api.close()
            self.game.player_left()

    def _outage(self, exc: Exception) -> None:
        """Wait out a portal or AWS outage: the game in progress is lost, the seat stays held."""
        logger.warning("simulated_game.outage nickname=%s error=%s", self.nickname, exc)
        self.game.count(errors=1)
        if self.playing_in is not None:
            self.game.game_over(self, cut=True)
            self.playing_in = None
        self._sleep(2.0 + 3.0 * self.rng.random())

    def _leave(self) -> None:
        """As the game's unload handler: give the seat back if a game is in progress."""
        if self.playing_in is None:
            return
        with contextlib.suppress(PortalUnreachable):
            self.api.deallocate(self.nickname)
        self.game.game_over(self, cut=True)

    def _session_to_play(self) -> dict[str, Any]:
        """Wait for an open session this player may still play (the game's WaitForSessionState)."""
        while True:
            session = self.game.sessions.read()
            if session_is_open(session) and session is not None and session["SessionId"] not in self.done_in:
                return session
            self._sleep(SESSION_POLL_SECONDS + self.rng.random())

    def _seat(self, session: dict[str, Any]) -> bool:
        """Ask for a seat; return whether to play. Respects every refusal as the game does."""
        session_id = session["SessionId"]
        waited = 0.0
        while True:
            self._token()
            status, payload = self.api.allocate(self.nickname)
            message = str(payload.get("successMessage") or payload.get("errorMessage") or "")
            if status == 200 and message == "Keep playing.":
                self.game.count(keep_playing=1)
                if self.finished_in == session_id and waited < SEAT_RELEASE_WAIT:
                    # Our last game's `Lives: 0` is not processed yet: wait for the seat to be freed.
                    self._sleep(1.0)
                    waited += 1.0
                    continue
                return True
            if status == 200:
                return True
            if status == 422:
                reason = payload.get("errorCode") or SEAT_REFUSAL_CODES.get(message, message or "Refused")
                self.game.count(seat_refusal=reason)
                if reason == "NoSeatsAvailable":
                    self._sleep(2.0 + 2 * self.rng.random())  # a seat may free up when a game ends
                    return False
                if reason == "GamerCannotPlay":
                    self.done_in.add(session_id)
                    return False
                # Closed or no session: SSM was behind the portal; wait for it to catch up.
                self._sleep(SESSION_POLL_SECONDS)
                return False
            if status in (401, 403):
                raise PortalRefused(f"the game API refused {self.nickname}'s token ({status}): {payload}")
            self.game.count(errors=1)
            self._sleep(2.0)
            return False

    def _one_game(self) -> None:
        session = self._session_to_play()
        if not self._seat(session):
            return
        session_id = session["SessionId"]
        self.playing_in, self.finished_in = session_id, None
        self.game.game_started(self, session_id)
        if self.cheat is not None:
            self._play_cheat(session)
            return
        player = PlayerGame(nickname=self.nickname)
        interval = self.game.status_interval()
        due = time.monotonic()
        while True:
            # Statuses are due on a schedule, so the time each call takes does not slow the rate;
            # a player who fell behind (a slow portal) starts afresh instead of sending a burst.
            step = max(STATUS_INTERVAL_MIN, interval * (0.8 + 0.4 * self.rng.random()))
            due = max(due + step, time.monotonic() - interval)
            self._sleep(due - time.monotonic())
            if not self._still_open(session_id):
                self._cut()
                return
            player.play(self.rng, life_loss=self.game.life_loss)
            player.lives = max(player.lives, 0)
            snapshot = player.snapshot(session_id=session_id, timestamp=player.stamp(datetime.now(UTC)))
            if not self._send(snapshot.encode()):
                self._cut()
                return
            # The game retrying a status it already sent: the same bytes, which must count once.
            if self.game.duplicate_due() and self.last_status and self._send(self.last_status, duplicate=True):
                self.game.count(duplicates=1)
            if player.lives == 0:
                self.playing_in, self.finished_in = None, session_id
                if session.get("GameType") in ONE_GAME_TYPES:
                    self.done_in.add(session_id)
                self.game.game_over(self, cut=False)
                self._sleep(self.game.pause_between_games * (0.5 + self.rng.random()))
                return

    def _cut(self) -> None:
        """End a game the session no longer takes: give the seat back, as leaving the game page does.

        `/v1/deallocate` names no session: while the closed session is still the current one it
        frees the seat there; once another is open the call finds no seat and changes nothing.
        """
        self.api.deallocate(self.nickname)
        self.game.game_over(self, cut=True)
        self.playing_in = None

    def _still_open(self, session_id: str) -> bool:
        current = self.game.sessions_cached()
        return session_is_open(current) and current is not None and current["SessionId"] == session_id

    def _send(self, data: bytes, *, duplicate: bool = False) -> bool:
        """Post one status; return whether the player may go on playing."""
        self._token()
        status, payload = self.api.status_update(data)
        if status == 200:
            record = json.loads(data)
            self.game.accepted(payload, session_id=record["SessionId"], nickname=record["Nickname"])
            if not duplicate:
                self.last_status = data
            return True
        self.game.count(status_refusal=str(payload.get("errorCode") or status))
        if status in (401, 403):
            raise PortalRefused(f"the game API refused {self.nickname}'s status ({status}): {payload}")
        # 422 NoSeat: the seat was released under the game (support, or a late game over): it ends.
        # Anything else (a refused record, throttling, an outage) loses this status, as the game's would.
        return status != 422

    def _play_cheat(self, session: dict[str, Any]) -> None:
        """Send an honest lead-in and then the one status only a cheating client sends; then leave."""
        assert self.cheat is not None
        plan = GameSimulator(session_id=session["SessionId"], players=1, seed=self.rng.randrange(10**9))
        kind, _, index = self.cheat.rpartition(":")
        for _nickname, data in plan.cheat_records(kind, int(index), nickname=self.nickname):
            if not self._send(data):
                break
            self._sleep(STATUS_INTERVAL_MIN)
        self.game.count(cheat=kind)
        self.done_in.add(session["SessionId"])
        # A cheater leaves as a closed browser tab does: the unload handler gives the seat back.
        self._cut()
        while True:  # and plays no more
            self._sleep(60.0)


class PlayerPool:
    """`players` simulated players (one thread each) playing through the game API until stopped.

    `in_game(session_id)` tells how many of them hold a seat in a game they are playing right now:
    what the session's seat map should show once the drain has read every finished game.
    `pause()` parks every player between two steps (a game in progress stays in progress) so
    that a test can compare with the portal at one moment; `resume()` lets them go on.
    """

    def __init__(
        self,
        *,
        base_url: str,
        players: int,
        rate: float = 20.0,
        records: int | None = None,
        cheats: CheatPlan | None = None,
        duplicates: int = 0,
        life_loss: float = 0.08,
        pause_between_games: float = 2.0,
        prefix: str = "sim",
        seed: int | str | None = None,
        sessions: SessionReader | None = None,
        progress: Callable[[PlaySummary], None] | None = None,
    ) -> None:
        if players < 1:
            raise ValueError("a game needs at least one player")
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.base_url = base_url
        self.players = players
        self.rate = rate
        self.records = records
        self.cheats = cheats or CheatPlan()
        self.duplicates_left = duplicates
        self.life_loss = life_loss
        self.pause_between_games = pause_between_games
        self.prefix = prefix
        self.seed = seed if seed is not None else random.randrange(10**9)
        self.sessions = sessions or SessionReader()
        self.progress = progress
        self.summary = PlaySummary()
        self.stopping = threading.Event()
        self.accounts: PlayerAccounts
        self._lock = threading.Condition()
        self._running = threading.Event()
        self._running.set()
        self._parked = 0
        self._alive = 0
        self._playing: dict[str, str] = {}  # nickname -> session id of the game in progress
        self._threads: list[threading.Thread] = []
        self._failure: BaseException | None = None
        self._cached_session: tuple[float, dict[str, Any] | None] = (0.0, None)
        self._started = 0.0

    # -- what players report ----------------------------------------------------------------------

    def count(self, **amounts: Any) -> None:
        with self._lock:
            summary = self.summary
            summary.players += amounts.get("players", 0)
            summary.keep_playing += amounts.get("keep_playing", 0)
            summary.duplicates += amounts.get("duplicates", 0)
            summary.errors += amounts.get("errors", 0)
            if "seat_refusal" in amounts:
                summary.seat_refusals[amounts["seat_refusal"]] += 1
            if "status_refusal" in amounts:
                summary.status_refusals[amounts["status_refusal"]] += 1
            if "cheat" in amounts:
                summary.cheats[amounts["cheat"]] += 1

    def accepted(self, payload: dict[str, Any], *, session_id: str, nickname: str) -> None:
        with self._lock:
            self.summary.sent += 1
            self.summary.sent_by_session[session_id] += 1
            self.summary.players_by_session.setdefault(session_id, set()).add(nickname)
            self.summary.stream_positions[(str(payload.get("ShardId")), str(payload.get("SequenceNumber")))] += 1

    def game_started(self, player: SimulatedPlayer, session_id: str) -> None:
        with self._lock:
            self.summary.games_started += 1
            self._playing[player.nickname] = session_id
            if session_id not in self.summary.sessions:
                self.summary.sessions.append(session_id)

    def game_over(self, player: SimulatedPlayer, *, cut: bool) -> None:
        with self._lock:
            if self._playing.pop(player.nickname, None) is None:
                return
            if cut:
                self.summary.games_cut += 1
            else:
                self.summary.games_finished += 1

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = exc
        self.stopping.set()

    def player_left(self) -> None:
        with self._lock:
            self._alive -= 1
            self._lock.notify_all()

    def quota_reached(self) -> bool:
        return self.records is not None and self.summary.sent >= self.records

    def duplicate_due(self) -> bool:
        with self._lock:
            if self.duplicates_left <= 0 or self.summary.sent < 1:
                return False
            self.duplicates_left -= 1
            return True

    def status_interval(self) -> float:
        """Seconds between one player's statuses: the pool's rate shared out, never faster than the game."""
        return max(STATUS_INTERVAL_MIN, self.players / self.rate)

    def sessions_cached(self) -> dict[str, Any] | None:
        """The current session, read from SSM at most once a second for all players in game."""
        with self._lock:
            read_at, session = self._cached_session
        if time.monotonic() - read_at < SESSION_POLL_SECONDS:
            return session
        session = self.sessions.read()
        with self._lock:
            self._cached_session = (time.monotonic(), session)
        return session

    def checkpoint(self) -> None:
        """Park here while paused."""
        if self._running.is_set():
            return
        with self._lock:
            self._parked += 1
            self._lock.notify_all()
        try:
            while not self._running.wait(0.2):
                if self.stopping.is_set():
                    raise _Stopped
        finally:
            with self._lock:
                self._parked -= 1

    # -- what the caller sees ---------------------------------------------------------------------

    def in_game(self, session_id: str | None = None) -> int:
        """How many players are in a game now (in `session_id` if given)."""
        with self._lock:
            return sum(1 for playing in self._playing.values() if session_id is None or playing == session_id)

    def pause(self, timeout: float = 30.0) -> None:
        """Park every player between two steps; return once all are parked (or gone)."""
        self._running.clear()
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._parked < self._alive:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._alive - self._parked} players did not pause within {timeout}s")
                self._lock.wait(remaining)

    def resume(self) -> None:
        self._running.set()

    def start(self, *, wait_for_portal: float = 0.0) -> None:
        """Read the game's configuration from the portal (waiting up to `wait_for_portal` s); start the players."""
        probe = GameApiClient(base_url=self.base_url)
        deadline = time.monotonic() + wait_for_portal
        try:
            while True:
                try:
                    config = probe.config()
                    break
                except PortalUnreachable:
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(1.0)
        finally:
            probe.close()
        self.accounts = PlayerAccounts(config=config)
        self._started = time.monotonic()
        nicknames: list[tuple[str, str | None]] = [
            (f"{self.prefix}-player{index:04d}", None) for index in range(self.players)
        ]
        for kind, index in self.cheats.each():
            nicknames.append((f"{self.prefix}-cheat-{kind.replace('_', '-')}-{index:03d}", f"{kind}:{index}"))
        with self._lock:
            self._alive = len(nicknames)
        for nickname, cheat in nicknames:
            player = SimulatedPlayer(game=self, nickname=nickname, cheat=cheat)
            thread = threading.Thread(target=player.run, name=f"player-{nickname}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 30.0) -> PlaySummary:
        """Stop every player (each gives back a seat it holds, as the game's unload does); return the summary."""
        self.stopping.set()
        self._running.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.summary.seconds = time.monotonic() - self._started
        return self.summary

    def run(self, *, duration: float | None = None, wait_for_portal: float = 0.0) -> PlaySummary:
        """Play until `duration` seconds passed, the record quota is sent, or a player fails."""
        self.start(wait_for_portal=wait_for_portal)
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not self.stopping.is_set() and not self.quota_reached():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                with self._lock:
                    if self._alive == 0:
                        break
                self.stopping.wait(1.0)
                self.summary.seconds = time.monotonic() - self._started
                if self.progress is not None:
                    self.progress(self.summary)
        finally:
            self.stop()
        if self._failure is not None:
            if isinstance(self._failure, PortalUnreachable):
                raise self._failure
            raise PortalUnreachable(f"a simulated player failed: {self._failure!r}") from self._failure
        return self.summary

    @property
    def failure(self) -> BaseException | None:
        return self._failure


__all__ = [
    "STARTING_LIVES",
    "GameApiClient",
    "PlaySummary",
    "PlayerPool",
    "PortalUnreachable",
    "SessionReader",
    "session_is_open",
]
