"""Create the portal's AWS resources (or check them) and print what exists."""

import argparse
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alienportal.provisioning import ProvisioningError, aws_provision, devstack_state_write


class Command(BaseCommand):
    help = "Create, idempotently, the Kinesis stream, S3 archive bucket, SSM parameter and Cognito pool."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shards", type=int, default=None, help="shard count for a new stream")
        parser.add_argument(
            "--callback-url",
            action="append",
            dest="callback_urls",
            help="OIDC callback URL of the portal app client (repeatable)",
        )
        parser.add_argument("--allow-real-aws", action="store_true", help="confirm provisioning in real AWS")
        parser.add_argument(
            "--demo-users",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="create the demo users (default: only against the embedded moto server)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--no-state-file", action="store_true", help="do not write the devstack state file")

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = aws_provision(
                shard_count=options["shards"],  # type: ignore[arg-type]
                callback_urls=options["callback_urls"],  # type: ignore[arg-type]
                demo_users=options["demo_users"],  # type: ignore[arg-type]
                allow_real_aws=bool(options["allow_real_aws"]),
            )
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc
        if not options["no_state_file"]:
            devstack_state_write(result)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
            return
        target = result.endpoint_url or f"AWS {result.region}"
        self.stdout.write(f"Provisioned against {target}")
        for line in result.created:
            self.stdout.write(self.style.SUCCESS(f"  created  {line}"))
        for line in result.existing:
            self.stdout.write(f"  exists   {line}")
        self.stdout.write(f"  stream {result.stream_name}: {result.shard_count} open shards")
        self.stdout.write(f"  user pool {result.user_pool_id}, portal client {result.portal_client_id}")
