"""Play a simulated game: players stream snapshots into the Kinesis stream."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alienportal.aws import aws_client
from scoreboard.simulator import (
    CHEAT_KINDS,
    CHEAT_LEAD,
    FAULT_KINDS,
    CheatPlan,
    FaultPlan,
    GameSimulator,
    SimulationSummary,
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


class Command(BaseCommand):
    help = "Simulate players sending status snapshots to the stream, with optional injected faults."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session-id", help="session to play (default: the current one in SSM)")
        parser.add_argument("--game-type", default=None, help="default: the session's, else MULTIPLE_TRIALS")
        parser.add_argument("--players", type=int, default=20)
        parser.add_argument("--rate", type=float, default=200.0, help="target records per second")
        amount = parser.add_mutually_exclusive_group(required=True)
        amount.add_argument("--records", type=int, help="send this many records")
        amount.add_argument("--duration", type=float, help="send for this many seconds")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--stream", default=None, help="default: KINESIS_STREAM_NAME")
        for kind in FAULT_KINDS:
            parser.add_argument(f"--{kind.replace('_', '-')}", type=int, default=0, help=f"{kind} records to inject")
        for kind in CHEAT_KINDS:
            parser.add_argument(
                f"--cheat-{kind.replace('_', '-')}",
                type=int,
                default=0,
                dest=f"cheat_{kind}",
                help=f"players who cheat with {kind} (each sends {CHEAT_LEAD} honest statuses, then the cheat)",
            )
        parser.add_argument("--quiet", action="store_true", help="no progress line")

    def handle(self, *args: object, **options: Any) -> None:
        if options["rate"] <= 0 or options["players"] < 1:
            raise CommandError("--rate must be positive and --players at least 1")
        session = None if options["session_id"] else _current_session()
        session_id = options["session_id"] or (session or {}).get("SessionId")
        if not session_id:
            raise CommandError("no session is open: open one in the portal or pass --session-id")
        closing = (session or {}).get("ClosingTime")
        simulator = GameSimulator(
            session_id=session_id,
            players=options["players"],
            game_type=options["game_type"] or (session or {}).get("GameType") or "MULTIPLE_TRIALS",
            faults=FaultPlan(**{kind: options[kind] for kind in FAULT_KINDS}),
            cheats=CheatPlan(**{kind: options[f"cheat_{kind}"] for kind in CHEAT_KINDS}),
            closing_time=datetime.fromisoformat(closing) if closing else None,
            seed=options["seed"],
        )
        stream = options["stream"] or settings.KINESIS_STREAM_NAME
        self.stderr.write(
            f"simulating session {session_id}: {options['players']} players, {options['rate']:g} records/s -> {stream}"
        )

        def progress(summary: SimulationSummary) -> None:
            if not options["quiet"]:
                sys.stderr.write(
                    f"\r  sent {summary.sent:>9,}  failed {summary.failed:>5,}  {summary.rate:>8,.0f} rec/s  "
                    f"games finished {summary.games_finished:>6,}"
                )
                sys.stderr.flush()

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
        faults = ", ".join(f"{kind}={count}" for kind, count in summary.faults.items() if count) or "none"
        cheats = ", ".join(f"{kind}={count}" for kind, count in summary.cheats.items() if count) or "none"
        self.stdout.write(
            f"sent {summary.sent} records ({summary.valid} valid; faults: {faults}; cheats: {cheats}), "
            f"failed {summary.failed}, "
            f"retried {summary.retried}, {summary.rate:,.0f} records/s over {summary.seconds:.1f}s, "
            f"{summary.players} players, {summary.games_finished} games finished"
        )
