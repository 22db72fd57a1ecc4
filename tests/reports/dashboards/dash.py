"""The dashboards' Dash endpoint as Dash's renderer calls it, and where their screenshots go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The README names this folder: every dashboard browser test saves its screenshots here.
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "dashboards"
SESSION_ID = "X261127T100000"


def dash_update(client: Any, app: str, body: dict[str, Any]) -> Any:
    """POST one callback to django-plotly-dash's update endpoint, as Dash's renderer does."""
    return client.post(
        f"/reports/dashboards/dash/app/{app}/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
    )
