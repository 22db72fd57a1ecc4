"""A simulated Alien Attack game: players stream snapshots into Kinesis, with faults on request."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from scoreboard.stream.records import Snapshot

PUT_RECORDS_LIMIT = 500  # Kinesis PutRecords takes at most 500 entries
STARTING_LIVES = 3
RESTARTING_GAME_TYPES = {"MULTIPLE_TRIALS"}


@dataclass
class KindPlan:
    """How many of each kind a simulation injects: one count field per kind, named as the kind."""

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        return tuple(kind.name for kind in fields(cls))

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], *, prefix: str = "") -> Self:
        """The plan whose count of each kind is `counts[prefix + kind]` (a command's options)."""
        return cls(**{kind: counts[f"{prefix}{kind}"] for kind in cls.kinds()})

    def total(self) -> int:
        return sum(getattr(self, kind) for kind in self.kinds())

    def each(self) -> list[tuple[str, int]]:
        """Every planned one as (kind, its number within the kind), kind by kind."""
        return [(kind, index) for kind in self.kinds() for index in range(getattr(self, kind))]


@dataclass
class FaultPlan(KindPlan):
    """How many records of each faulty kind to mix into the stream."""

    malformed: int = 0
    wrong_types: int = 0
    unknown_session: int = 0
    late: int = 0
    duplicates: int = 0


@dataclass
class CheatPlan(KindPlan):
    """How many players cheat with each pattern (one cheating player per count, one cheat each)."""

    fire_rate: int = 0
    impossible_score: int = 0
    lives_up: int = 0
    backwards: int = 0
    too_fast: int = 0
    outside_session: int = 0


FAULT_KINDS = FaultPlan.kinds()
CHEAT_KINDS = CheatPlan.kinds()


def counts_text(counts: Mapping[str, int]) -> str:
    """`kind=count, ...` of the kinds that happened, or `none` (a summary line's part)."""
    return ", ".join(f"{kind}={count}" for kind, count in counts.items() if count) or "none"


@dataclass
class SimulationSummary:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    valid: int = 0
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    cheats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHEAT_KINDS, 0))
    players: int = 0
    games_finished: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


# The original game's rules (application/game/js/alienattack.js; README "Cheat flags"): a rocket
# at most every 500 ms, 5 points a hit, 50 invaders a level, a bonus of level x 50 for clearing one.
ROCKET_INTERVAL = timedelta(milliseconds=500)
POINTS_PER_HIT = 5
INVADERS_PER_LEVEL = 50
LEVEL_BONUS = 50
# Each cheating player sends this many honest statuses, then the cheat.
CHEAT_LEAD = 2


@dataclass
class PlayerGame:
    """A player who plays by the original game's rules: one status per shot, hits and levels as the game scores them."""

    nickname: str
    score: int = 0
    lives: int = STARTING_LIVES
    shots: int = 0
    level: int = 1
    finished: bool = False
    hits_this_level: int = 0
    last_time: datetime | None = None

    def play(self, rng: random.Random, *, life_loss: float = 0.08) -> None:
        """Advance the game by one status: a shot, maybe a hit (and a cleared level), maybe a life lost."""
        self.shots += 1
        if rng.random() < 0.6:
            self.score += POINTS_PER_HIT
            self.hits_this_level += 1
            if self.hits_this_level == INVADERS_PER_LEVEL:
                self.score += self.level * LEVEL_BONUS
                self.level += 1
                self.hits_this_level = 0
        if rng.random() < life_loss:
            self.lives -= 1

    def stamp(self, now: datetime) -> datetime:
        """Return this status's time: now, but never sooner than the fire rate allows after the last."""
        moment = now if self.last_time is None else max(now, self.last_time + ROCKET_INTERVAL)
        self.last_time = moment
        return moment

    def snapshot(self, *, session_id: str, timestamp: datetime) -> Snapshot:
        """The status the game sends now: this player's score, lives, shots and level."""
        return Snapshot(
            session_id=session_id,
            nickname=self.nickname,
            score=self.score,
            lives=self.lives,
            shots=self.shots,
            level=self.level,
            timestamp=timestamp,
        )

    def restart(self) -> None:
        self.score, self.lives, self.shots, self.level, self.finished = 0, STARTING_LIVES, 0, 1, False
        self.hits_this_level = 0


class GameSimulator:
    """Produce the records of `players` playing one session, with faults spread among them."""

    def __init__(
        self,
        *,
        session_id: str,
        players: int,
        game_type: str = "MULTIPLE_TRIALS",
        faults: FaultPlan | None = None,
        cheats: CheatPlan | None = None,
        closing_time: datetime | None = None,
        seed: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if players < 1:
            raise ValueError("a game needs at least one player")
        self.session_id = session_id
        self.game_type = game_type
        self.faults = faults or FaultPlan()
        self.cheats = cheats or CheatPlan()
        # Late records are stamped after the closing time; an open session has none yet, so
        # stamp them an hour ahead, which is past closing once the manager closes it.
        self.closing_time = closing_time
        self.rng = random.Random(seed)
        self.clock = clock
        self._wrong_types_made = 0
        self._players = [PlayerGame(nickname=f"player{index:04d}") for index in range(players)]
        self._next_player = players
        self._sent_valid: list[bytes] = []
        self.summary = SimulationSummary(players=players)

    def _active_player(self) -> PlayerGame:
        playing = [player for player in self._players if not player.finished]
        if not playing:
            # Everyone has played their one game: new players join, as at a real event.
            newcomer = PlayerGame(nickname=f"player{self._next_player:04d}")
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
        snapshot = player.snapshot(session_id=self.session_id, timestamp=player.stamp(self.clock()))
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
            # Never the same bytes twice (two of these for one player within a millisecond would be,
            # and count as a planned duplicate): each carries its own Shots.
            self._wrong_types_made += 1
            base["Shots"] = 7 + self._wrong_types_made
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

    def cheat_records(self, kind: str, index: int, *, nickname: str | None = None) -> list[tuple[str, bytes]]:
        """A fresh player's honest lead-in, then one status only a cheating client sends."""
        player = PlayerGame(nickname=nickname or f"cheat-{kind.replace('_', '-')}-{index:03d}")
        out: list[tuple[str, bytes]] = []

        def send(moment: datetime) -> None:
            out.append((player.nickname, player.snapshot(session_id=self.session_id, timestamp=moment).encode()))

        for _ in range(CHEAT_LEAD):
            player.play(self.rng)
            player.lives = max(player.lives, 1)
            send(player.stamp(self.clock()))
        last = player.last_time or self.clock()
        if kind == "fire_rate":
            player.shots += 10  # ten rockets in half a second
            send(player.stamp(self.clock()))
        elif kind == "impossible_score":
            player.score += 3  # not a multiple of the 5 points a hit is worth
            send(player.stamp(self.clock()))
        elif kind == "lives_up":
            player.lives += 1
            send(player.stamp(self.clock()))
        elif kind == "backwards":
            player.score, player.shots = 0, 0
            send(player.stamp(self.clock()))
        elif kind == "too_fast":
            player.lives -= 1  # a real change, but sent 2 ms after the last status: faster than a frame
            send(last + timedelta(milliseconds=2))
        elif kind == "outside_session":
            # The game's opening status, stamped a day early: before the session opened.
            player.score, player.lives, player.shots, player.level = 0, STARTING_LIVES, 0, 1
            send(self.clock() - timedelta(days=1))
        else:
            raise ValueError(f"unknown cheat kind {kind!r}")
        self.summary.cheats[kind] += 1
        return out

    def records(self, count: int) -> Iterator[tuple[str, bytes]]:
        """Yield `count` (partition key, data) pairs, with exactly the planned faults among them."""
        fault_total = self.faults.total()
        if fault_total > count:
            raise ValueError(f"{fault_total} faults do not fit in {count} records")
        if self.faults.duplicates and count - fault_total < 1:
            raise ValueError("duplicates need at least one valid record to repeat")
        kinds = [kind for kind, _ in self.faults.each()]
        self.rng.shuffle(kinds)
        # Faults go to random positions, but never before the first valid record, so that a
        # duplicate always has something to repeat.
        positions = sorted(self.rng.sample(range(1, count), len(kinds))) if kinds else []
        planned = dict(zip(positions, kinds, strict=True))
        # Each cheating player's statuses (a lead-in and the cheat) come at a random point, on top of `count`.
        cheat_at: dict[int, list[tuple[str, int]]] = {}
        for number, (cheat, _) in enumerate(self.cheats.each()):
            cheat_at.setdefault(self.rng.randrange(count), []).append((cheat, number))
        for index in range(count):
            for cheat, number in cheat_at.get(index, ()):
                yield from self.cheat_records(cheat, number)
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
