"""Start the development OpenID provider (devtools/oidc, npm `oidc-provider`) on loopback.

It stands in for Cognito's hosted UI, which moto does not have: a real authorization-code flow
with a login page, ID tokens with Cognito's claim shape, and an end-session endpoint.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from alienportal.devstack.services import ChildService, child_start, free_port, http_answers, node_command, port_open

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_DIR = ROOT / "devtools" / "oidc"
DEFAULT_CLIENT_ID = "alienportal-portal"
DEFAULT_CLIENT_SECRET = "alienportal-portal-dev-secret"  # noqa: S105 - loopback development provider only


def oidc_accounts_write(path: Path, accounts: Iterable[dict[str, object]]) -> None:
    """Write the provider's account file: username -> sub, password, email, groups.

    The provider re-reads it on every lookup, so rewriting it changes the next token's claims.
    """
    document = {
        str(account["username"]): {
            "sub": account["sub"],
            "password": account["password"],
            "email": account.get("email", ""),
            "groups": list(account.get("groups", [])),  # type: ignore[call-overload]
        }
        for account in accounts
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)  # atomic: the provider never reads a half-written file


def oidc_django_env(*, issuer: str, client_id: str, client_secret: str) -> dict[str, str]:
    """Return the portal's OIDC settings (environment variables) for this provider."""
    return {
        "OIDC_OP_ISSUER": issuer,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{issuer}/auth",
        "OIDC_OP_TOKEN_ENDPOINT": f"{issuer}/token",
        "OIDC_OP_USER_ENDPOINT": f"{issuer}/me",
        "OIDC_OP_JWKS_ENDPOINT": f"{issuer}/jwks",
        "OIDC_OP_LOGOUT_ENDPOINT": f"{issuer}/session/end",
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": client_secret,
    }


def oidc_provider_start(
    *,
    accounts_file: Path,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    log_dir: Path,
    port: int | None = None,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    own_group: bool = False,
) -> ChildService:
    """Start the provider with one confidential client and wait for its discovery document.

    `extra` of the returned service holds the portal's OIDC_* settings for it; `own_group` as
    in services.moto_start.
    """
    command = node_command(
        directory=PROVIDER_DIR,
        script="server.mjs",
        package="oidc-provider",
        make_target="oidc-provider",
        what="the development OpenID provider",
    )
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    service = child_start(
        name="oidc-provider",
        command=command,
        cwd=PROVIDER_DIR,
        port=port,
        log_dir=log_dir,
        ready=lambda: http_answers(port, "/.well-known/openid-configuration"),
        timeout=30,
        what="oidc-provider",
        env={
            "OIDC_PORT": str(port),
            "OIDC_ISSUER": issuer,
            "OIDC_CLIENT_ID": client_id,
            "OIDC_CLIENT_SECRET": client_secret,
            "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
            "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_redirect_uris),
            "OIDC_ACCOUNTS_FILE": str(accounts_file),
        },
        own_group=own_group,
    )
    service.extra = oidc_django_env(issuer=issuer, client_id=client_id, client_secret=client_secret)
    return service


ROLE_HINTS = {
    "Managers": "a manager (the admin)",
    "Support": "support (no session control)",
    "Players": "a player (gets the 403 page)",
}


def oidc_provider_for_demo(
    *, demo_users: list[dict[str, str]], web_port: str, var: Path, log_dir: Path
) -> ChildService:
    """Start the provider for `make demo` with the provisioned demo users and the demo's web port."""
    accounts_file = var / "oidc-accounts.json"
    oidc_accounts_write(
        accounts_file,
        [
            {
                "username": user["username"],
                "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"alienportal-demo:{user['username']}")),
                "password": user["password"],
                "email": f"{user['username']}@alienportal.example",
                "groups": [user["group"]],
            }
            for user in demo_users
        ],
    )
    port = int(os.environ.get("DEMO_OIDC_PORT", "9000"))
    origins = [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
    return oidc_provider_start(
        accounts_file=accounts_file,
        redirect_uris=[f"{origin}/oidc/callback/" for origin in origins],
        post_logout_redirect_uris=[f"{origin}/auth/signed-out/" for origin in origins],
        log_dir=log_dir,
        port=None if port_open("127.0.0.1", port) else port,
        own_group=True,
    )
