"""Suite-wide fixtures: an embedded moto server in server mode, provisioned like the demo."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from alienportal.devstack.services import MOTO_CREDENTIALS, ChildService, moto_start
from tests.streams import stream_create

LOG_DIR = Path(__file__).resolve().parent.parent / "var" / "test-logs"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[ChildService]:
    """Run moto_server on a free loopback port for the whole test session."""
    for key, value in MOTO_CREDENTIALS.items():
        os.environ[key] = value
    server = moto_start(log_dir=LOG_DIR)
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def aws_endpoint(moto_server: ChildService) -> Iterator[str]:
    """Point every boto3 client (and every child process) at the test moto server."""
    previous = settings.AWS_ENDPOINT_URL
    settings.AWS_ENDPOINT_URL = moto_server.url
    os.environ["AWS_ENDPOINT_URL"] = moto_server.url
    yield moto_server.url
    settings.AWS_ENDPOINT_URL = previous


@pytest.fixture(scope="session")
def provisioned(aws_endpoint: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Provision the stream, bucket, parameter and Cognito pool once for the session."""
    from alienportal.provisioning import aws_provision

    return aws_provision()


@pytest.fixture
def stream(request: pytest.FixtureRequest, provisioned: Any, settings: Any) -> str:
    """A Kinesis stream of the test's own, made the portal's stream (KINESIS_STREAM_NAME) for the test.

    Two shards; a module or test that needs another count says so: `pytest.mark.shards(1)`.
    """
    marker = request.node.get_closest_marker("shards")
    name = f"test-{uuid.uuid4().hex[:16]}"
    stream_create(name, shards=marker.args[0] if marker else 2)
    settings.KINESIS_STREAM_NAME = name
    return name


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it through scripts/ensure-system-packages")
    # Playwright's sync API runs an event loop in this thread; the test body's own ORM calls are
    # still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def portal_client(user: Any) -> Any:
    """Return a test client signed in as `user` the way the portal signs people in.

    Local superusers use the break-glass password backend; everyone else comes through the
    OpenID provider, so the session also carries a fresh ID-token expiry (no refresh due yet).
    """
    from django.test import Client

    client = Client()
    if user.is_superuser:
        client.force_login(user, backend="alienportal.auth.backends.BreakGlassBackend")
        return client
    client.force_login(user, backend="alienportal.auth.backends.CognitoOIDCBackend")
    session = client.session
    session["oidc_id_token_expiration"] = time.time() + 3600
    session.save()
    return client
