"""A simulated Alien Attack game: players stream snapshots into Kinesis, with faults on request."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scoreboard.stream.records import Snapshot

PUT_RECORDS_LIMIT = 500  # Kinesis PutRecords takes at most 500 entries
STARTING_LIVES = 3
FAULT_KINDS = ("malformed", "wrong_types", "unknown_session", "late", "duplicates")
RESTARTING_GAME_TYPES = {"MULTIPLE_TRIALS"}


@dataclass
class FaultPlan:
    """How many records of each faulty kind to mix into the stream."""

    malformed: int = 0
    wrong_types: int = 0
    unknown_session: int = 0
    late: int = 0
    duplicates: int = 0

    def total(self) -> int:
        return sum(getattr(self, kind) for kind in FAULT_KINDS)


@dataclass
class SimulationSummary:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    valid: int = 0
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    players: int = 0
    games_finished: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


@dataclass
class _Player:
    nickname: str
    score: int = 0
    lives: int = STARTING_LIVES
    shots: int = 0
    level: int = 1
    finished: bool = False

    def play(self, rng: random.Random) -> None:
        """Advance the game by one status tick: shoot, score, maybe lose a life or level up."""
        shots = rng.randint(1, 5)
        self.shots += shots
        self.score += sum(rng.choice((0, 10, 25, 50)) for _ in range(shots))
        if rng.random() < 0.08:
            self.lives -= 1
        if self.score > self.level * 1000:
            self.level += 1

    def restart(self) -> None:
        self.score, self.lives, self.shots, self.level, self.finished = 0, STARTING_LIVES, 0, 1, False


class GameSimulator:
    """Produce the records of `players` playing one session, with faults spread among them."""

    def __init__(
        self,
        *,
        session_id: str,
        players: int,
        game_type: str = "MULTIPLE_TRIALS",
        faults: FaultPlan | None = None,
        closing_time: datetime | None = None,
        seed: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if players < 1:
            raise ValueError("a game needs at least one player")
        self.session_id = session_id
        self.game_type = game_type
        self.faults = faults or FaultPlan()
        # Late records are stamped after the closing time; an open session has none yet, so
        # stamp them an hour ahead, which is past closing once the manager closes it.
        self.closing_time = closing_time
        self.rng = random.Random(seed)
        self.clock = clock
        self._players = [_Player(nickname=f"player{index:04d}") for index in range(players)]
        self._next_player = players
        self._sent_valid: list[bytes] = []
        self.summary = SimulationSummary(players=players)

    def _active_player(self) -> _Player:
        playing = [player for player in self._players if not player.finished]
        if not playing:
            # Everyone has played their one game: new players join, as at a real event.
            newcomer = _Player(nickname=f"player{self._next_player:04d}")
            self._next_player += 1
            self._players.append(newcomer)
            self.summary.players += 1
            return newcomer
        return self.rng.choice(playing)

    def _valid_record(self) -> tuple[str, bytes]:
        player = self._active_player()
        if player.lives == 0:
            player.restart()
        player.play(self.rng)
        player.lives = max(player.lives, 0)
        snapshot = Snapshot(
            session_id=self.session_id,
            nickname=player.nickname,
            score=player.score,
            lives=player.lives,
            shots=player.shots,
            level=player.level,
            timestamp=self.clock(),
        )
        if player.lives == 0:
            self.summary.games_finished += 1
            player.finished = self.game_type not in RESTARTING_GAME_TYPES
        data = snapshot.encode()
        self._sent_valid.append(data)
        return player.nickname, data

    def _faulty_record(self, kind: str) -> tuple[str, bytes]:
        nickname = self.rng.choice(self._players).nickname
        now = self.clock()
        base: dict[str, Any] = Snapshot(
            session_id=self.session_id, nickname=nickname, score=100, lives=2, shots=7, level=1, timestamp=now
        ).as_record()
        if kind == "malformed":
            return nickname, json.dumps(base).encode()[: self.rng.randint(5, 40)] + b"\xff{"
        if kind == "wrong_types":
            base["Score"] = "lots"
            base["Lives"] = None
            return nickname, json.dumps(base).encode()
        if kind == "unknown_session":
            base["SessionId"] = f"UNKNOWN{self.rng.randint(0, 10**9):09d}"
            return nickname, json.dumps(base).encode()
        if kind == "late":
            closing = self.closing_time or now + timedelta(hours=1)
            return nickname, Snapshot(
                session_id=self.session_id,
                nickname=nickname,
                score=999_999,
                lives=1,
                shots=1,
                level=1,
                timestamp=closing + timedelta(seconds=self.rng.randint(1, 600)),
            ).encode()
        if kind == "duplicates":
            data = self.rng.choice(self._sent_valid)
            return json.loads(data)["Nickname"], data
        raise ValueError(f"unknown fault kind {kind!r}")

    def records(self, count: int) -> Iterator[tuple[str, bytes]]:
        """Yield `count` (partition key, data) pairs, with exactly the planned faults among them."""
        fault_total = self.faults.total()
        if fault_total > count:
            raise ValueError(f"{fault_total} faults do not fit in {count} records")
        if self.faults.duplicates and count - fault_total < 1:
            raise ValueError("duplicates need at least one valid record to repeat")
        kinds = [kind for kind in FAULT_KINDS for _ in range(getattr(self.faults, kind))]
        self.rng.shuffle(kinds)
        # Faults go to random positions, but never before the first valid record, so that a
        # duplicate always has something to repeat.
        positions = sorted(self.rng.sample(range(1, count), len(kinds))) if kinds else []
        planned = dict(zip(positions, kinds, strict=True))
        for index in range(count):
            kind = planned.get(index)
            if kind is None:
                self.summary.valid += 1
                yield self._valid_record()
            else:
                self.summary.faults[kind] += 1
                yield self._faulty_record(kind)


def simulation_run(
    *,
    simulator: GameSimulator,
    kinesis: Any,
    stream_name: str,
    count: int | None = None,
    duration: float | None = None,
    rate: float = 200.0,
    progress: Callable[[SimulationSummary], None] | None = None,
) -> SimulationSummary:
    """Put the simulator's records on the stream at `rate` records/s, for `count` records or `duration` s.

    Writes from this one thread: moto's PutRecords loses records under concurrent writes to a
    shard. Entries that Kinesis rejects (throttling) are retried until accepted.
    """
    if count is None and duration is None:
        raise ValueError("give a record count or a duration")
    total = count if count is not None else max(1, int(rate * (duration or 0)))
    summary = simulator.summary
    started = time.monotonic()
    last_progress = started
    batch: list[dict[str, Any]] = []
    batch_size = max(1, min(PUT_RECORDS_LIMIT, int(rate // 5) or 1))

    def flush() -> None:
        pending = batch[:]
        batch.clear()
        attempts = 0
        while pending:
            response = kinesis.put_records(StreamName=stream_name, Records=pending)
            failed = [
                entry for entry, result in zip(pending, response["Records"], strict=True) if "ErrorCode" in result
            ]
            summary.sent += len(pending) - len(failed)
            if not failed:
                return
            attempts += 1
            summary.retried += len(failed)
            if attempts >= 10:
                summary.failed += len(failed)
                return
            time.sleep(min(2.0, 0.05 * 2**attempts))
            pending = failed

    for index, (partition_key, data) in enumerate(simulator.records(total)):
        batch.append({"Data": data, "PartitionKey": partition_key})
        if len(batch) >= batch_size:
            flush()
            # Pace to the target rate: the (index + 1)-th record is due at started + index/rate.
            due = started + (index + 1) / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        now = time.monotonic()
        if progress is not None and now - last_progress >= 1.0:
            summary.seconds = now - started
            progress(summary)
            last_progress = now
    if batch:
        flush()
    summary.seconds = time.monotonic() - started
    return summary
