"""What the support desk offers on the portal's home page (alienportal.home)."""

from __future__ import annotations

from alienportal.access import Capability
from alienportal.home import PortalLink


def home_links() -> list[PortalLink]:
    return [
        PortalLink(
            "Support desk",
            "Tickets",
            "admin:support_ticket_changelist",
            Capability.WORK_TICKETS,
            "Players' tickets: the player's story, replies, seat and standing actions.",
        ),
        PortalLink(
            "Support desk",
            "Canned replies",
            "admin:support_cannedreply_changelist",
            Capability.WORK_TICKETS,
            "Ready answers for the common questions.",
        ),
        PortalLink(
            "Support desk",
            "SLA targets",
            "admin:support_slapolicy_changelist",
            Capability.CONFIGURE_SUPPORT,
            "First-response and resolution targets per priority.",
        ),
    ]
