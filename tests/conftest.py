"""Suite-wide fixtures: an embedded moto server in server mode, provisioned like the demo."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from alienportal.devstack.services import MOTO_CREDENTIALS, ChildService, moto_start

LOG_DIR = Path(__file__).resolve().parent.parent / "var" / "test-logs"


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
