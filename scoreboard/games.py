"""A player's games in a session: the current one, the best finished one, and the one that ranks.

DESIGN.md's rule, in plain Python: the current game is the latest snapshot by (event time,
shard, sequence number); the best finished game is the best snapshot with Lives 0 in the
ranking order (equal keys: the earliest snapshot); the player ranks by the better of the two.
Adding snapshots in any order gives the same result. The drain applies the same rule in SQL
(stream/persist.py); reconciliation replays the archive through this fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SnapshotOrder = tuple[datetime, str, int]  # event time, shard id, sequence number


@dataclass(frozen=True, slots=True)
class Game:
    """One snapshot's values as a standing keeps them."""

    score: int
    lives: int
    shots: int
    level: int
    rank_key: str
    order: SnapshotOrder

    @property
    def finished(self) -> bool:
        return self.lives == 0


@dataclass(frozen=True, slots=True)
class PlayerGames:
    current: Game
    best: Game | None = None

    @property
    def ranked(self) -> Game:
        """The better, in the ranking order, of the current game and the best finished game."""
        if self.best is not None and self.best.rank_key < self.current.rank_key:
            return self.best
        return self.current


def games_add(games: PlayerGames | None, game: Game) -> PlayerGames:
    """Return the player's games after one more snapshot (commutative, idempotent)."""
    if games is None:
        return PlayerGames(current=game, best=game if game.finished else None)
    current = game if game.order > games.current.order else games.current
    best = games.best
    if game.finished and (best is None or (game.rank_key, game.order) < (best.rank_key, best.order)):
        best = game
    return PlayerGames(current=current, best=best)
