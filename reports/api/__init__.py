"""The reports REST API (/api/v1/): sessions, rankings, players, the historical leaderboard, the pipeline."""
