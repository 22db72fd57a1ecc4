"""boto3 clients for the services the portal uses, pointed at AWS or at the embedded moto server."""

import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings


def aws_config() -> Config:
    """Return the botocore config every client shares: boto3's own adaptive retries and timeouts."""
    return Config(
        region_name=settings.AWS_REGION,
        retries={"mode": "adaptive", "max_attempts": settings.AWS_MAX_ATTEMPTS},
        connect_timeout=5,
        read_timeout=30,
        max_pool_connections=32,
    )


_clients: dict[tuple[str, str | None, str], Any] = {}
_clients_lock = threading.Lock()


def _client(service: str, endpoint_url: str | None, region: str) -> Any:
    # Clients are thread-safe and expensive to build (tens of ms of CPU: service model, endpoint
    # rules), so each process keeps one per service and endpoint. Built under a lock: the threads
    # of a gthread worker all ask at once on its first requests, and `functools.cache` would let
    # each build its own (24 threads spent seconds of CPU at start in the game API benchmark).
    key = (service, endpoint_url, region)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = boto3.session.Session().client(
                    service, endpoint_url=endpoint_url, config=aws_config()
                )
    return client


def aws_client(service: str) -> Any:
    """Return a boto3 client for `service`, honouring AWS_ENDPOINT_URL (moto) when it is set."""
    return _client(service, settings.AWS_ENDPOINT_URL, settings.AWS_REGION)


def aws_is_embedded() -> bool:
    """Tell whether the portal talks to an endpoint override (moto) rather than real AWS."""
    return bool(settings.AWS_ENDPOINT_URL)


def aws_error_code(exc: ClientError) -> str:
    """Return the AWS error code of `exc` (e.g. "ResourceNotFoundException"), "" if it carries none."""
    return str(exc.response.get("Error", {}).get("Code", ""))
