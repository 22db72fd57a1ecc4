"""Play a simulated game: players use the game API as the real game does, or put snapshots on the stream."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alienportal.aws import aws_client
from scoreboard.game_players import PlayerPool, PlaySummary, PortalUnreachable
from scoreboard.simulator import (
    CHEAT_KINDS,
    CHEAT_LEAD,
    FAULT_KINDS,
    CheatPlan,
    FaultPlan,
    GameSimulator,
    SimulationSummary,
    counts_text,
    simulation_run,
)


def _current_session() -> dict[str, Any] | None:
    """Read the session the portal published to SSM (null when none was ever opened)."""
    try:
        value = aws_client("ssm").get_parameter(Name=settings.SSM_SESSION_PARAMETER)["Parameter"]["Value"]
    except ClientError as exc:
        raise CommandError(f"cannot read SSM parameter {settings.SSM_SESSION_PARAMETER}: {exc}") from exc
    session = json.loads(value)
    return session if isinstance(session, dict) and session.get("SessionId") else None


def _progress_show(options: dict[str, Any], line: str) -> None:
    """Rewrite the progress line on stderr, unless --quiet."""
    if not options["quiet"]:
        sys.stderr.write(f"\r  {line}")
        sys.stderr.flush()


# Faults the game API can carry: a status sent twice is still a valid status. The others are bytes
# or records the API refuses (400 / 422 NoSeat) before they reach the stream: only --via stream puts them there.
API_FAULTS = {"duplicates"}


class Command(BaseCommand):
    help = (
        "Simulate Alien Attack players. --via api (default): each player signs up in the game's Cognito "
        "pool, reads the current session from SSM at each game start, asks /v1/allocate for a seat and "
        "sends its statuses to /v1/updatestatus, the last one with Lives 0; MULTIPLE_TRIALS players play "
        "again. --via stream: snapshots go straight to Kinesis with PutRecords (load tests, benchmarks, "
        "and the faults that need raw bytes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--via",
            choices=["api", "stream"],
            default="api",
            help="api: play through the portal's game API as the game does; stream: PutRecords straight to Kinesis",
        )
        parser.add_argument("--portal-url", default="http://127.0.0.1:8000", help="--via api: the portal serving /v1/")
        parser.add_argument(
            "--wait-for-portal",
            type=float,
            default=0.0,
            help="--via api: seconds to wait for the portal to answer /v1/config before giving up",
        )
        parser.add_argument("--prefix", default="sim", help="--via api: player names are <prefix>-player0000 ...")
        parser.add_argument(
            "--session-id", help="--via stream: session to play (default: the current one in SSM); api players read SSM"
        )
        parser.add_argument(
            "--game-type", default=None, help="--via stream: default the session's, else MULTIPLE_TRIALS"
        )
        parser.add_argument("--players", type=int, default=20)
        parser.add_argument(
            "--rate",
            type=float,
            default=200.0,
            help="target records per second (--via api: shared by the players, each at most one status per 500 ms)",
        )
        amount = parser.add_mutually_exclusive_group(required=True)
        amount.add_argument("--records", type=int, help="send this many records")
        amount.add_argument("--duration", type=float, help="send for this many seconds")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--stream", default=None, help="--via stream: default KINESIS_STREAM_NAME")
        for kind in FAULT_KINDS:
            where = "either path" if kind in API_FAULTS else "--via stream only: the game API refuses them"
            parser.add_argument(
                f"--{kind.replace('_', '-')}", type=int, default=0, help=f"{kind} records to inject ({where})"
            )
        for kind in CHEAT_KINDS:
            parser.add_argument(
                f"--cheat-{kind.replace('_', '-')}",
                type=int,
                default=0,
                dest=f"cheat_{kind}",
                help=f"players who cheat with {kind} ({CHEAT_LEAD} honest statuses, then the cheat; either path)",
            )
        parser.add_argument("--quiet", action="store_true", help="no progress line")

    def handle(self, *args: object, **options: Any) -> None:
        if options["rate"] <= 0 or options["players"] < 1:
            raise CommandError("--rate must be positive and --players at least 1")
        if options["via"] == "api":
            self._play_via_api(options)
            return
        session = None if options["session_id"] else _current_session()
        session_id = options["session_id"] or (session or {}).get("SessionId")
        if not session_id:
            raise CommandError("no session is open: open one in the portal or pass --session-id")
        closing = (session or {}).get("ClosingTime")
        simulator = GameSimulator(
            session_id=session_id,
            players=options["players"],
            game_type=options["game_type"] or (session or {}).get("GameType") or "MULTIPLE_TRIALS",
            faults=FaultPlan.from_counts(options),
            cheats=CheatPlan.from_counts(options, prefix="cheat_"),
            closing_time=datetime.fromisoformat(closing) if closing else None,
            seed=options["seed"],
        )
        stream = options["stream"] or settings.KINESIS_STREAM_NAME
        self.stderr.write(
            f"simulating session {session_id}: {options['players']} players, {options['rate']:g} records/s -> {stream}"
        )

        def progress(summary: SimulationSummary) -> None:
            _progress_show(
                options,
                f"sent {summary.sent:>9,}  failed {summary.failed:>5,}  {summary.rate:>8,.0f} rec/s  "
                f"games finished {summary.games_finished:>6,}",
            )

        try:
            summary = simulation_run(
                simulator=simulator,
                kinesis=aws_client("kinesis"),
                stream_name=stream,
                count=options["records"],
                duration=options["duration"],
                rate=options["rate"],
                progress=progress,
            )
        except (ClientError, BotoCoreError) as exc:
            raise CommandError(f"cannot put records on stream {stream}: {exc}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not options["quiet"]:
            sys.stderr.write("\n")
        self.stdout.write(
            f"sent {summary.sent} records ({summary.valid} valid; faults: {counts_text(summary.faults)}; "
            f"cheats: {counts_text(summary.cheats)}), "
            f"failed {summary.failed}, "
            f"retried {summary.retried}, {summary.rate:,.0f} records/s over {summary.seconds:.1f}s, "
            f"{summary.players} players, {summary.games_finished} games finished"
        )

    def _play_via_api(self, options: dict[str, Any]) -> None:
        stream_only = [
            f"--{kind.replace('_', '-')}" for kind in FAULT_KINDS if options[kind] and kind not in API_FAULTS
        ]
        for name in ("session_id", "game_type", "stream"):
            if options[name]:
                stream_only.append(f"--{name.replace('_', '-')}")
        if stream_only:
            raise CommandError(
                f"{', '.join(stream_only)} need --via stream: the game API refuses such records, and API "
                "players play the session SSM names, as the game does"
            )

        def progress(summary: PlaySummary) -> None:
            _progress_show(
                options,
                f"sent {summary.sent:>9,}  {summary.rate:>6,.1f} rec/s  in game {pool.in_game():>4}  "
                f"games {summary.games_started:>6,}  seat refusals {sum(summary.seat_refusals.values()):>5,}",
            )

        pool = PlayerPool(
            base_url=options["portal_url"],
            players=options["players"],
            rate=options["rate"],
            records=options["records"],
            cheats=CheatPlan.from_counts(options, prefix="cheat_"),
            duplicates=options["duplicates"],
            prefix=options["prefix"],
            seed=options["seed"],
            progress=progress,
        )
        self.stderr.write(
            f"simulating {options['players']} players through the game API at {options['portal_url']}/v1/, "
            f"{options['rate']:g} records/s; sessions from SSM {settings.SSM_SESSION_PARAMETER}"
        )
        try:
            summary = pool.run(duration=options["duration"], wait_for_portal=options["wait_for_portal"])
        except PortalUnreachable as exc:
            raise CommandError(f"{exc} (is the portal running? --portal-url, --wait-for-portal)") from exc
        except (ClientError, BotoCoreError) as exc:
            raise CommandError(f"cannot reach the game's Cognito pool or SSM: {exc}") from exc
        finally:
            if not options["quiet"]:
                sys.stderr.write("\n")
        self.stdout.write(summary.line())
