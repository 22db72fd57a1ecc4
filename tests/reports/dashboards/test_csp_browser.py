"""Each dashboard works under the production content security policy, with every asset served locally."""

from __future__ import annotations

from typing import Any

import pytest

from tests.alienportal.auth.test_production_hardening import _production

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POLICY_SCRIPT = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/auth/signed-out/", secure=True, HTTP_HOST="portal.example.com")
print(json.dumps({"policy": response.headers["Content-Security-Policy"]}))
"""

# What must appear on each dashboard once its Dash app has rendered and its callbacks answered.
RENDERED = {
    "/reports/dashboards/live/": "#top-rows tr >> nth=1",
    "/reports/dashboards/live/projector/": "#top-rows tr >> nth=1",
}


@pytest.fixture(scope="module")
def production_policy() -> str:
    return str(_production(POLICY_SCRIPT)["policy"])


@pytest.mark.parametrize("path", list(RENDERED))
def test_dashboard_renders_under_the_production_csp_from_local_assets(
    path: str,
    production_policy: str,
    browser_as: Any,
    manager: Any,
    live_server: Any,
    game_session: Any,
    standings_put: Any,
) -> None:
    standings_put([("ann", 300, 3, 10), ("bob", 500, 1, 40)])
    page = browser_as(manager)

    def with_policy(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": production_policy})

    page.route(f"{live_server.url}/**", with_policy)
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(path)
    page.locator(RENDERED[path]).wait_for(timeout=30_000)
    page.locator(".main-svg").first.wait_for(timeout=30_000)  # plotly.js loaded and drew

    violations = page.evaluate("window.__violations")
    page.unroute_all(behavior="ignoreErrors")  # the interval keeps polling: stop intercepting first
    assert violations == []
    assert [url for url in requested if not url.startswith(live_server.url)] == []  # no CDN
