"""Each dashboard works under the production content security policy, with every asset served locally."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alienportal.auth.test_production_hardening import _production
from tests.reports.dashboards.health_state import dead_letters_inject, shard_inject

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POLICY_SCRIPT = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/auth/signed-out/", secure=True, HTTP_HOST="portal.example.com")
print(json.dumps({"policy": response.headers["Content-Security-Policy"]}))
"""

# What must appear on each page once its scripts have run (its Dash app rendered, its callbacks
# answered, its charts drawn), and what a person does there first.
RENDERED = {
    "/reports/dashboards/live/": ["#top-rows tr >> nth=1", "#top-chart .main-svg"],
    "/reports/dashboards/live/projector/": ["#top-rows tr >> nth=1", "#top-chart .main-svg"],
    "/reports/dashboards/health/": ["#shard-table tbody tr", "#dead-letter-chart .main-svg"],
    "/reports/dashboards/history/": ["#player-history td >> text='#2 of 2'", "#timeline-chart .scatterlayer .point"],
    "/reports/dashboards/cost/": ["#reshard-advice", "#utilisation-chart .main-svg"],
    "/api/docs/": [".opblock >> nth=10"],
    "/": ["#home-dashboards"],
}


@pytest.fixture(scope="module")
def production_policy() -> str:
    return str(_production(POLICY_SCRIPT)["policy"])


def test_the_production_policy_allows_no_eval(production_policy: str) -> None:
    # Every page below runs without it (Dash 3.4, plotly.js, Swagger UI): it would only widen XSS.
    script_src = next(d for d in production_policy.split("; ") if d.startswith("script-src "))
    assert script_src == "script-src 'self' 'unsafe-inline'"


@pytest.mark.parametrize("path", list(RENDERED))
def test_each_page_works_under_the_production_csp_from_local_assets(
    path: str,
    production_policy: str,
    browser_as: Any,
    manager: Any,
    live_server: Any,
    game_session: Any,
    standings_put: Any,
) -> None:
    standings_put([("ann", 300, 3, 10), ("bob", 500, 1, 40)])
    shard_inject("shardId-000000000000", lag_ms=10_000)
    dead_letters_inject(3)
    page = browser_as(manager)

    def with_policy(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": production_policy})

    page.route(f"{live_server.url}/**", with_policy)
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile"
        " + ':' + e.lineNumber));"
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(path)
    if path.endswith("/history/"):  # the player's sessions and the score-over-time chart
        page.get_by_label("Player").fill("ann")
        page.get_by_role("button", name="Show").click()
    for selector in RENDERED[path]:
        page.locator(selector).first.wait_for(timeout=30_000)

    violations = page.evaluate("window.__violations")
    page.unroute_all(behavior="ignoreErrors")  # the interval keeps polling: stop intercepting first
    assert violations == []
    assert errors == []
    assert [url for url in requested if not url.startswith(live_server.url)] == []  # no CDN
