"""An S3 of the test's own (a moto server) that can stop answering and come back."""

from __future__ import annotations

import os
import signal
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

from alienportal.devstack.services import ChildService
from scoreboard.archive.objects import FORMAT_JSONL, FORMAT_METADATA_KEY, ArchivedRecord, records_decode


class OwnS3:
    """A moto server of the test's own for S3; `freeze` makes it stop answering, `thaw` resumes it."""

    def __init__(self, server: ChildService):
        self.server = server
        # Short timeouts and no retries of its own: the archive consumer's back-off is under test.
        self.client = boto3.client(
            "s3",
            endpoint_url=server.url,
            region_name=settings.AWS_REGION,
            config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"}),
        )
        self.bucket = "archive-test"
        self.client.create_bucket(Bucket=self.bucket)

    def freeze(self) -> None:
        assert self.server.process is not None
        os.kill(self.server.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.server.process is not None
        os.kill(self.server.process.pid, signal.SIGCONT)

    def objects(self, prefix: str = "") -> dict[str, dict[str, Any]]:
        """Every object under `prefix`: key -> {"body", "metadata"}."""
        result: dict[str, dict[str, Any]] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                got = self.client.get_object(Bucket=self.bucket, Key=item["Key"])
                result[item["Key"]] = {"body": got["Body"].read(), "metadata": got.get("Metadata", {})}
        return result

    def archived_records(self) -> list[ArchivedRecord]:
        records: list[ArchivedRecord] = []
        for item in self.objects().values():
            assert item["metadata"].get(FORMAT_METADATA_KEY) == FORMAT_JSONL
            records.extend(records_decode(item["body"]))
        return records
