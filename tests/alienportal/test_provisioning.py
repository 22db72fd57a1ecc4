"""Provisioning creates every resource once, is idempotent, and never half-provisions."""

import json
import stat
import uuid

import pytest
from botocore.exceptions import ClientError
from django.core.cache import cache
from django.test import override_settings

from alienportal.auth.game_config import game_config_parameters
from alienportal.aws import aws_client
from alienportal.provisioning import (
    DEMO_USERS,
    GROUPS,
    ProvisioningError,
    ProvisioningResult,
    aws_provision,
    devstack_state_write,
    game_config_cache_key,
)


def _names() -> dict[str, object]:
    suffix = uuid.uuid4().hex[:8]
    return {
        "KINESIS_STREAM_NAME": f"stream-{suffix}",
        "ARCHIVE_BUCKET": f"archive-{suffix}",
        "SSM_SESSION_PARAMETER": f"/test-{suffix}/session",
        "COGNITO_USER_POOL_NAME": f"pool-{suffix}",
        "COGNITO_APP_CLIENT_NAME": f"portal-{suffix}",
        "APP_NAME": f"app-{suffix}",
        "COGNITO_IDENTITY_POOL_NAME": f"identities-{suffix}",
        "SSM_GAME_CONFIG_PATH": f"/app-{suffix}",
    }


def test_provisioning_twice_gives_the_same_resources_and_no_error() -> None:
    with override_settings(**_names()):
        first = aws_provision(shard_count=3)
        second = aws_provision(shard_count=3)

        assert second.created == []
        assert (second.user_pool_id, second.portal_client_id, second.stream_arn) == (
            first.user_pool_id,
            first.portal_client_id,
            first.stream_arn,
        )
        shards = aws_client("kinesis").list_shards(StreamName=first.stream_name)["Shards"]
        assert len(shards) == 3
        aws_client("s3").head_bucket(Bucket=first.bucket)
        value = aws_client("ssm").get_parameter(Name=first.ssm_parameter)["Parameter"]["Value"]
        assert value == "null"
        cognito = aws_client("cognito-idp")
        groups = {group["GroupName"] for group in cognito.list_groups(UserPoolId=first.user_pool_id)["Groups"]}
        assert groups == set(GROUPS)
        for user in DEMO_USERS:
            member_of = cognito.admin_list_groups_for_user(UserPoolId=first.user_pool_id, Username=user.username)
            assert [group["GroupName"] for group in member_of["Groups"]] == [user.group]
        pools = [
            pool
            for pool in cognito.list_user_pools(MaxResults=60)["UserPools"]
            if pool["Name"] == _pool_name(first.user_pool_id)
        ]
        assert len(pools) == 1
        assert second.identity_pool_id == first.identity_pool_id
        assert second.user_pool_url == f"cognito-idp.us-east-1.amazonaws.com/{first.user_pool_id}"


def test_the_identity_pool_trusts_the_game_client_and_the_game_config_is_in_ssm() -> None:
    names = _names()
    with override_settings(**names):
        result = aws_provision()
        identity = aws_client("cognito-identity")
        pool = identity.describe_identity_pool(IdentityPoolId=result.identity_pool_id)
        assert pool["IdentityPoolName"] == names["COGNITO_IDENTITY_POOL_NAME"]
        assert pool["AllowUnauthenticatedIdentities"] is False
        assert pool["CognitoIdentityProviders"] == [
            {"ProviderName": result.user_pool_url, "ClientId": result.game_client_id, "ServerSideTokenCheck": False}
        ]
        path = names["SSM_GAME_CONFIG_PATH"]
        stored = aws_client("ssm").get_parameters(Names=result.game_config_parameters)["Parameters"]
        assert {item["Name"]: item["Value"] for item in stored} == {
            f"{path}/clientid": result.game_client_id,
            f"{path}/identitypoolid": result.identity_pool_id,
            f"{path}/userpoolid": result.user_pool_id,
            f"{path}/userpoolurl": result.user_pool_url,
        }
        # What the game does after signing in: trade its ID token for identity-pool credentials.
        tokens = aws_client("cognito-idp").admin_initiate_auth(
            UserPoolId=result.user_pool_id,
            ClientId=result.game_client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "player", "PASSWORD": "Player-pass-1"},
        )["AuthenticationResult"]
        logins = {result.user_pool_url: tokens["IdToken"]}
        identity_id = identity.get_id(IdentityPoolId=result.identity_pool_id, Logins=logins)["IdentityId"]
        credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
        assert credentials["AccessKeyId"]


def test_provisioning_a_new_pool_clears_the_game_config_the_portal_cached() -> None:
    names = _names()
    with override_settings(**names):
        # What an earlier stack on the same Redis left: the config of a pool that is gone.
        cache.set(game_config_cache_key(), [{"Name": "/old/userpoolid", "Value": "us-east-1_gone"}], 300)
        result = aws_provision()
        served = {item["Name"].rsplit("/", 1)[-1]: item["Value"] for item in game_config_parameters()}
    assert served["userpoolid"] == result.user_pool_id
    assert served["clientid"] == result.game_client_id


def _pool_name(pool_id: str) -> str:
    return aws_client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"]


def test_demo_users_sign_in_with_their_documented_passwords() -> None:
    with override_settings(**_names()):
        result = aws_provision()
        tokens = aws_client("cognito-idp").admin_initiate_auth(
            UserPoolId=result.user_pool_id,
            ClientId=result.game_client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "player", "PASSWORD": "Player-pass-1"},
        )
        assert tokens["AuthenticationResult"]["AccessToken"]


def test_real_aws_is_refused_without_confirmation() -> None:
    with (
        override_settings(AWS_ENDPOINT_URL=None, **_names()),
        pytest.raises(ProvisioningError, match="--allow-real-aws"),
    ):
        aws_provision()


def test_a_failure_part_way_removes_what_the_run_created() -> None:
    names = _names()
    names["SSM_SESSION_PARAMETER"] = "/aws/reserved-by-aws"
    with override_settings(**names):
        with pytest.raises(ProvisioningError, match="removed"):
            aws_provision()
        with pytest.raises(ClientError) as missing:
            aws_client("kinesis").describe_stream_summary(StreamName=names["KINESIS_STREAM_NAME"])
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(ClientError):
            aws_client("s3").head_bucket(Bucket=names["ARCHIVE_BUCKET"])


def _result(endpoint_url: str | None) -> ProvisioningResult:
    return ProvisioningResult(
        region="us-east-1",
        endpoint_url=endpoint_url,
        stream_name="s",
        portal_client_secret="portal-secret",
        reports_client_secret="reports-secret",
        demo_users=[{"username": "manager", "password": "demo-password", "group": "Managers"}],
    )


def test_provisioning_real_aws_writes_no_secret_to_the_state_file(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before: the app clients' secrets of a real account landed in var/devstack.json."""
    settings.DEVSTACK_STATE_FILE = tmp_path / "devstack.json"
    devstack_state_write(_result(None))
    text = settings.DEVSTACK_STATE_FILE.read_text()
    for secret in ("portal-secret", "reports-secret", "demo-password"):
        assert secret not in text
    assert json.loads(text)["demo_users"][0]["username"] == "manager"


def test_provisioning_state_file_is_readable_by_its_owner_only(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DEVSTACK_STATE_FILE = tmp_path / "devstack.json"
    settings.DEVSTACK_STATE_FILE.write_text("{}")
    settings.DEVSTACK_STATE_FILE.chmod(0o644)
    devstack_state_write(_result("http://127.0.0.1:4566"))
    assert stat.S_IMODE(settings.DEVSTACK_STATE_FILE.stat().st_mode) == 0o600
    assert json.loads(settings.DEVSTACK_STATE_FILE.read_text())["portal_client_secret"] == "portal-secret"  # moto's
