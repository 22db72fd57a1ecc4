"""The development OpenID provider's accounts: the provisioning step's demo users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alienportal.devstack.oidc import oidc_accounts_write
from alienportal.provisioning import DEMO_USERS


def demo_accounts() -> list[dict[str, Any]]:
    """The provisioning step's demo users as provider accounts, each with a stable sub."""
    return [
        {
            "username": user.username,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"alienportal-test:{user.username}")),
            "password": user.password,
            "email": user.email,
            "groups": [user.group],
        }
        for user in DEMO_USERS
    ]


@dataclass
class OidcProvider:
    url: str
    accounts_file: Path
    accounts: list[dict[str, Any]]

    def groups_set(self, username: str, groups: list[str]) -> None:
        """Change a user's groups at the provider, as an administrator would in Cognito."""
        for account in self.accounts:
            if account["username"] == username:
                account["groups"] = groups
        oidc_accounts_write(self.accounts_file, self.accounts)

    def reset(self) -> None:
        self.accounts = demo_accounts()
        oidc_accounts_write(self.accounts_file, self.accounts)
