"""A CSV export of 1,000,000 standings streams in flat memory and says what the JSON says.

The export runs in a child process (a real request through Django's handler) so that its peak
RSS is its own; the file it wrote is compared with an ORDER BY on the raw columns (not rank_key)
and with JSON windows of the same ranking.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models.functions import Collate
from django.utils import timezone

from reports.api.exports import csv_cell
from reports.api.serializers import RANKED_COLUMNS
from scoreboard.models import Standing
from scoreboard.ranking import rank_key
from sessions.models import GameSession
from tests.factories import GameSessionFactory
from tests.machine import LOG_DIR
from tests.portal import portal_client

pytestmark = pytest.mark.django_db(transaction=True)

PLAYERS = 1_000_000
SESSION_ID = "X261127T120000"
# The child's peak RSS may grow by this much while it streams (the CSV itself is ~60 MB).
FLAT_MEMORY_MIB = 40

CHILD = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, os.getcwd())
    import django
    django.setup()
    from django.contrib.auth.models import User
    from tests.portal import portal_client

    def peak_mib():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

    url, out, user_pk = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = portal_client(User.objects.get(pk=user_pk))
    warm = client.get(url.replace("ranking/export.csv", ""))  # imports, URL resolver, first queries
    assert warm.status_code == 200, warm.status_code
    before = peak_mib()
    response = client.get(url)
    assert response.status_code == 200 and response.streaming
    size = 0
    with open(out, "w", encoding="utf-8", newline="") as file:
        for chunk in response.streaming_content:
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            size += len(text)
            file.write(text)
    response.close()
    print(json.dumps({"before_mib": before, "peak_mib": peak_mib(), "bytes": size}))
    """
)


def _standings_copy(session: GameSession) -> None:
    """Write the standings with COPY (a million through the drain would take minutes); keys by rank_key()."""
    now = timezone.now()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY scoreboard_standing (session_id, nickname, score, lives, shots, level, event_time, shard_id,"
            " sequence_number, rank_key, revision, updated_at, current_score, current_lives, current_shots,"
            " current_level, current_rank_key) FROM STDIN"
        ) as copy,
    ):
        for index in range(PLAYERS):
            # Some nicknames a spreadsheet would run; many equal scores, so the tie-breaks matter.
            nickname = f"{'=+-@'[index % 4]}x{index}" if index % 1000 == 0 else f"p{index:07d}"
            score, lives, shots = (index * 7919) % 50_000, index % 4, (index * 31) % 1000
            key = rank_key(score=score, lives=lives, shots=shots, nickname=nickname)
            copy.write_row(
                (
                    session.pk,
                    nickname,
                    score,
                    lives,
                    shots,
                    1,
                    now,
                    "shardId-0",
                    index,
                    key,
                    1,
                    now,
                    *(score, lives, shots, 1, key),
                )
            )
    assert Standing.objects.filter(session=session).count() == PLAYERS


def test_a_million_standings_stream_in_flat_memory_and_equal_the_json(tmp_path: Path, record_property) -> None:  # type: ignore[no-untyped-def]
    session = GameSessionFactory(session_id=SESSION_ID, opening_time=timezone.now())
    _standings_copy(session)
    admin = User.objects.create_superuser("export-admin", "export@example.com", "pw-export-1")
    out = tmp_path / "ranking.csv"
    url = f"/api/v1/sessions/{SESSION_ID}/ranking/export.csv"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(out), str(admin.pk)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "alienportal.settings.test"},
    )
    assert child.returncode == 0, child.stderr[-3000:]
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    growth = figures["peak_mib"] - figures["before_mib"]
    record_property("export_peak_rss_mib", figures["peak_mib"])
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "export-million.json").write_text(json.dumps({**figures, "growth_mib": growth}))
    print(f"CSV export of {PLAYERS:,} standings: {figures['bytes'] / 2**20:.1f} MiB streamed, child peak RSS "
          f"{figures['peak_mib']:.0f} MiB ({growth:+.1f} MiB while streaming)")  # fmt: skip
    assert figures["bytes"] > 40 * 2**20
    assert growth < FLAT_MEMORY_MIB

    # The ranking order on the raw columns, not on rank_key: an independent reading of the same rows.
    ordered = (
        Standing.objects.filter(session=session)
        .order_by("-score", "-lives", "shots", Collate("nickname", "C"))
        .values_list("nickname", "score", "lives", "shots")
    )
    with out.open(newline="", encoding="utf-8") as file:
        rows = csv.reader(file)
        assert next(rows) == list(RANKED_COLUMNS)
        expected_rank = 0
        for line, (nickname, score, lives, shots) in zip(rows, ordered.iterator(chunk_size=20_000), strict=True):
            expected_rank += 1
            assert line[:5] == [str(expected_rank), csv_cell(nickname), str(score), str(lives), str(shots)]
        assert expected_rank == PLAYERS

    lines = out.read_text(encoding="utf-8").splitlines()
    client = portal_client(admin)
    for start in (1, 500_001, PLAYERS - 99):
        window = client.get(f"/api/v1/sessions/{SESSION_ID}/ranking/?start={start}&limit=100").json()
        assert window["count"] == PLAYERS
        as_csv = [next(iter(csv.reader([line]))) for line in lines[start : start + 100]]
        assert [[str(r["rank"]), csv_cell(r["nickname"]), str(r["score"])] for r in window["results"]] == [
            row[:3] for row in as_csv
        ]
    assert sum(1 for line in lines if line.split(",")[1].startswith("'")) == PLAYERS // 1000


def _database_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
