"""What the dashboards offer on the portal's home page: each under the capability its Dash app needs."""

from __future__ import annotations

from alienportal.home import PortalLink


def home_links() -> list[PortalLink]:
    # Imported here, per request: the dashboards load Dash, which Celery workers never need.
    from reports.dashboards.access import DASH_APP_CAPABILITIES, DASHBOARDS

    return [
        PortalLink("Dashboards", board.title, board.url_name, DASH_APP_CAPABILITIES[board.app_name], board.blurb)
        for board in DASHBOARDS
    ]
