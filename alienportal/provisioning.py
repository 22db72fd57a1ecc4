"""Create, idempotently, every AWS resource the portal uses: stream, archive bucket, SSM, Cognito.

Provisioning runs in two phases. The *plan* phase only reads: it finds what already exists and
fails early (missing credentials, missing permissions, a resource of the same name with another
shape) before anything is written. The *apply* phase creates what is missing; if any step
fails, what this run created is deleted again, so a run never leaves a half-provisioned account.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.cache import cache

from alienportal.access import REPORTS_READ_SCOPE, REPORTS_READ_SCOPE_NAME, REPORTS_RESOURCE_SERVER, Role
from alienportal.aws import aws_client, aws_error_code, aws_is_embedded

logger = logging.getLogger(__name__)

GROUPS = tuple(role.value for role in Role)
REPORTS_SCOPES = ({"ScopeName": REPORTS_READ_SCOPE_NAME, "ScopeDescription": "Read reports"},)
# No session yet: the game functions parse the parameter as JSON and treat null as "no session".
SSM_EMPTY_SESSION = "null"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    group: str
    email: str


DEMO_USERS = (
    DemoUser("manager", "Manager-pass-1", Role.MANAGERS.value, "manager@alienportal.example"),
    DemoUser("support", "Support-pass-1", Role.SUPPORT.value, "support@alienportal.example"),
    DemoUser("player", "Player-pass-1", Role.PLAYERS.value, "player@alienportal.example"),
)


class ProvisioningError(Exception):
    """Provisioning refused or failed; nothing this run created is left behind."""


@dataclass
class ProvisioningResult:
    region: str
    endpoint_url: str | None
    stream_name: str
    stream_arn: str = ""
    shard_count: int = 0
    bucket: str = ""
    ssm_parameter: str = ""
    user_pool_id: str = ""
    portal_client_id: str = ""
    portal_client_secret: str = ""
    reports_client_id: str = ""
    reports_client_secret: str = ""
    game_client_id: str = ""
    user_pool_url: str = ""
    identity_pool_id: str = ""
    game_config_parameters: list[str] = field(default_factory=list)
    demo_users: list[dict[str, str]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Plan:
    stream_exists: bool = False
    bucket_exists: bool = False
    parameter_exists: bool = False
    user_pool_id: str = ""
    identity_pool_id: str = ""
    config_parameters_existing: set[str] = field(default_factory=set)


def _plan(*, shard_count: int) -> _Plan:
    """Read what exists; raise ProvisioningError before any write if we could not finish."""
    plan = _Plan()
    kinesis, s3, ssm, cognito, identity = (
        aws_client(name) for name in ("kinesis", "s3", "ssm", "cognito-idp", "cognito-identity")
    )
    try:
        try:
            summary = kinesis.describe_stream_summary(StreamName=settings.KINESIS_STREAM_NAME)
            plan.stream_exists = True
            existing_shards = summary["StreamDescriptionSummary"]["OpenShardCount"]
            if existing_shards != shard_count:
                logger.warning(
                    "provision.stream_shards_differ stream=%s open_shards=%s requested=%s",
                    settings.KINESIS_STREAM_NAME,
                    existing_shards,
                    shard_count,
                )
        except ClientError as exc:
            if aws_error_code(exc) != "ResourceNotFoundException":
                raise
        try:
            s3.head_bucket(Bucket=settings.ARCHIVE_BUCKET)
            plan.bucket_exists = True
        except ClientError as exc:
            if aws_error_code(exc) in ("403", "AccessDenied", "Forbidden"):
                raise ProvisioningError(
                    f"bucket {settings.ARCHIVE_BUCKET!r} exists but belongs to someone else or is not "
                    "readable with these credentials; set ARCHIVE_BUCKET to a name you own"
                ) from exc
            if aws_error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise
        try:
            ssm.get_parameter(Name=settings.SSM_SESSION_PARAMETER)
            plan.parameter_exists = True
        except ClientError as exc:
            if aws_error_code(exc) != "ParameterNotFound":
                raise
        paginator = cognito.get_paginator("list_user_pools")
        for page in paginator.paginate(MaxResults=60):
            for pool in page["UserPools"]:
                if pool["Name"] == settings.COGNITO_USER_POOL_NAME:
                    if plan.user_pool_id:
                        raise ProvisioningError(
                            f"more than one Cognito user pool is named {settings.COGNITO_USER_POOL_NAME!r}; "
                            "set COGNITO_USER_POOL_ID to the one to use"
                        )
                    plan.user_pool_id = pool["Id"]
        if settings.COGNITO_USER_POOL_ID:
            plan.user_pool_id = settings.COGNITO_USER_POOL_ID
        plan.identity_pool_id = _identity_pool_find(identity)
        names = list(game_config_parameter_names().values())
        plan.config_parameters_existing = {p["Name"] for p in ssm.get_parameters(Names=names)["Parameters"]}
    except ClientError as exc:
        raise ProvisioningError(
            f"cannot read the current resources ({aws_error_code(exc)}: {exc}); nothing was created. "
            "Check the credentials, region and IAM permissions."
        ) from exc
    except BotoCoreError as exc:
        raise ProvisioningError(f"cannot reach AWS ({exc}); nothing was created.") from exc
    return plan


class _Undo:
    """The deletions that roll back what this run has created so far, newest first."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], object]]] = []

    def push(self, what: str, step: Callable[[], object]) -> None:
        self._steps.append((what, step))

    def run(self) -> list[str]:
        failures = []
        for what, step in reversed(self._steps):
            try:
                step()
            except (ClientError, BotoCoreError) as exc:
                failures.append(f"{what}: {exc}")
        return failures


def _ensure_stream(result: ProvisioningResult, plan: _Plan, undo: _Undo, *, shard_count: int) -> None:
    kinesis = aws_client("kinesis")
    name = settings.KINESIS_STREAM_NAME
    if plan.stream_exists:
        result.existing.append(f"kinesis stream {name}")
    else:
        kinesis.create_stream(StreamName=name, ShardCount=shard_count)
        undo.push(f"kinesis stream {name}", lambda: kinesis.delete_stream(StreamName=name))
        result.created.append(f"kinesis stream {name}")
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    result.stream_arn = summary["StreamARN"]
    result.shard_count = summary["OpenShardCount"]


def _ensure_bucket(result: ProvisioningResult, plan: _Plan, undo: _Undo) -> None:
    s3 = aws_client("s3")
    bucket = settings.ARCHIVE_BUCKET
    result.bucket = bucket
    if plan.bucket_exists:
        result.existing.append(f"s3 bucket {bucket}")
        archive_lifecycle_ensure(s3, bucket, result)
        return
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if settings.AWS_REGION != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_REGION}
    s3.create_bucket(**kwargs)
    undo.push(f"s3 bucket {bucket}", lambda: s3.delete_bucket(Bucket=bucket))
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    result.created.append(f"s3 bucket {bucket}")
    archive_lifecycle_ensure(s3, bucket, result)


def archive_lifecycle_ensure(s3: Any, bucket: str, result: ProvisioningResult) -> None:
    """Expire raw archive objects after ARCHIVE_EXPIRATION_DAYS (0: keep them; an existing rule is left)."""
    days = settings.ARCHIVE_EXPIRATION_DAYS
    if not days:
        return
    # One rule of ours, by id: re-provisioning replaces it rather than stacking rules.
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "alienportal-raw-archive-expiration",
                    "Filter": {"Prefix": settings.ARCHIVE_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": days},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )
    result.created.append(f"s3 lifecycle rule on {bucket}: expire after {days} days")


def _ensure_parameter(result: ProvisioningResult, plan: _Plan, undo: _Undo) -> None:
    ssm = aws_client("ssm")
    name = settings.SSM_SESSION_PARAMETER
    result.ssm_parameter = name
    if plan.parameter_exists:
        result.existing.append(f"ssm parameter {name}")
        return
    ssm.put_parameter(
        Name=name,
        Value=SSM_EMPTY_SESSION,
        Type="String",
        Description="Currently opened or recently closed session",
    )
    undo.push(f"ssm parameter {name}", lambda: ssm.delete_parameter(Name=name))
    result.created.append(f"ssm parameter {name}")


def _find_client(cognito: Any, pool_id: str, name: str) -> dict[str, Any] | None:
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                return dict(
                    cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
                )
    return None


def _ensure_client(
    result: ProvisioningResult, undo: _Undo, *, pool_id: str, name: str, **create_kwargs: Any
) -> dict[str, Any]:
    cognito = aws_client("cognito-idp")
    found = _find_client(cognito, pool_id, name)
    if found is not None:
        result.existing.append(f"cognito app client {name}")
        return found
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=name, **create_kwargs)["UserPoolClient"]
    client_id = client["ClientId"]
    undo.push(
        f"cognito app client {name}",
        lambda: cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id),
    )
    result.created.append(f"cognito app client {name}")
    return dict(client)


def _ensure_cognito(
    result: ProvisioningResult, plan: _Plan, undo: _Undo, *, callback_urls: list[str], demo_users: bool
) -> None:
    cognito = aws_client("cognito-idp")
    pool_id = plan.user_pool_id
    if pool_id:
        result.existing.append(f"cognito user pool {pool_id}")
    else:
        pool = cognito.create_user_pool(
            PoolName=settings.COGNITO_USER_POOL_NAME,
            Policies={
                "PasswordPolicy": {
                    "MinimumLength": 12,
                    "RequireUppercase": True,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": False,
                }
            },
            AutoVerifiedAttributes=["email"],
            UsernameConfiguration={"CaseSensitive": False},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]
        pool_id = pool["Id"]
        created_pool_id = pool_id
        undo.push(
            f"cognito user pool {pool_id}",
            lambda: cognito.delete_user_pool(UserPoolId=created_pool_id),
        )
        result.created.append(f"cognito user pool {pool_id}")
    result.user_pool_id = pool_id

    existing_groups = {
        group["GroupName"]
        for page in cognito.get_paginator("list_groups").paginate(UserPoolId=pool_id)
        for group in page["Groups"]
    }
    for group in GROUPS:
        if group in existing_groups:
            continue
        cognito.create_group(UserPoolId=pool_id, GroupName=group, Description=f"Alien Portal role {group}")
        undo.push(
            f"cognito group {group}",
            functools.partial(cognito.delete_group, UserPoolId=pool_id, GroupName=group),
        )
        result.created.append(f"cognito group {group}")

    servers = {
        server["Identifier"]
        for server in cognito.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"]
    }
    if REPORTS_RESOURCE_SERVER not in servers:
        cognito.create_resource_server(
            UserPoolId=pool_id,
            Identifier=REPORTS_RESOURCE_SERVER,
            Name="Alien Portal reports",
            Scopes=list(REPORTS_SCOPES),
        )
        undo.push(
            f"cognito resource server {REPORTS_RESOURCE_SERVER}",
            lambda: cognito.delete_resource_server(UserPoolId=pool_id, Identifier=REPORTS_RESOURCE_SERVER),
        )
        result.created.append(f"cognito resource server {REPORTS_RESOURCE_SERVER}")

    portal = _ensure_client(
        result,
        undo,
        pool_id=pool_id,
        name=settings.COGNITO_APP_CLIENT_NAME,
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=callback_urls,
        SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )
    result.portal_client_id = portal["ClientId"]
    result.portal_client_secret = portal.get("ClientSecret", "")
    reports = _ensure_client(
        result,
        undo,
        pool_id=pool_id,
        name=f"{settings.APP_NAME}-reports",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=[REPORTS_READ_SCOPE],
        SupportedIdentityProviders=["COGNITO"],
    )
    result.reports_client_id = reports["ClientId"]
    result.reports_client_secret = reports.get("ClientSecret", "")
    game = _ensure_client(
        result,
        undo,
        pool_id=pool_id,
        name=f"{settings.APP_NAME}-game",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )
    result.game_client_id = game["ClientId"]
    # The pool as identity pools and the game name it: the issuer without its scheme.
    result.user_pool_url = f"cognito-idp.{settings.AWS_REGION}.amazonaws.com/{pool_id}"

    if demo_users:
        for user in DEMO_USERS:
            _ensure_demo_user(cognito, result, pool_id=pool_id, user=user)


def game_config_parameter_names() -> dict[str, str]:
    """Return the SSM parameters the game's /v1/config serves, by what they hold (the original's names)."""
    path = settings.SSM_GAME_CONFIG_PATH.rstrip("/")
    return {key: f"{path}/{key}" for key in ("clientid", "identitypoolid", "userpoolid", "userpoolurl")}


def game_config_cache_key() -> str:
    """Return the key under which the portal caches what /v1/config serves (alienportal.auth.game_config)."""
    return "game-config:" + "|".join(sorted(game_config_parameter_names().values()))


def _game_config_cache_clear() -> None:
    # The portal caches /v1/config for GAME_CONFIG_MAX_AGE. A pool created again (a new moto
    # server, the next `make demo` on the same Redis) must not hide behind the old pool's ids for
    # minutes: every game client would sign in to a pool that no longer exists.
    try:
        cache.delete(game_config_cache_key())
    except Exception:  # no cache to clear (e.g. provisioning real AWS from a laptop): nothing stale either
        logger.warning("provision.game_config_cache_not_cleared", exc_info=True)


def _identity_pool_find(identity: Any) -> str:
    found = ""
    kwargs: dict[str, Any] = {"MaxResults": 60}
    while True:
        page = identity.list_identity_pools(**kwargs)
        for pool in page["IdentityPools"]:
            if pool["IdentityPoolName"] == settings.COGNITO_IDENTITY_POOL_NAME:
                if found:
                    raise ProvisioningError(
                        f"more than one identity pool is named {settings.COGNITO_IDENTITY_POOL_NAME!r}; "
                        "delete the extra one or set COGNITO_IDENTITY_POOL_NAME"
                    )
                found = str(pool["IdentityPoolId"])
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


def _ensure_identity_pool(result: ProvisioningResult, plan: _Plan, undo: _Undo) -> None:
    """The identity pool the game's client refreshes credentials from after signing in (as the original)."""
    identity = aws_client("cognito-identity")
    providers = [
        {"ProviderName": result.user_pool_url, "ClientId": result.game_client_id, "ServerSideTokenCheck": False}
    ]
    name = settings.COGNITO_IDENTITY_POOL_NAME
    if plan.identity_pool_id:
        pool = identity.describe_identity_pool(IdentityPoolId=plan.identity_pool_id)
        if pool.get("CognitoIdentityProviders") != providers:
            # The user pool or game client was re-created: point the identity pool at the current ones.
            identity.update_identity_pool(
                IdentityPoolId=plan.identity_pool_id,
                IdentityPoolName=name,
                AllowUnauthenticatedIdentities=False,
                CognitoIdentityProviders=providers,
            )
        result.identity_pool_id = plan.identity_pool_id
        result.existing.append(f"cognito identity pool {name}")
    else:
        pool_id = identity.create_identity_pool(
            IdentityPoolName=name, AllowUnauthenticatedIdentities=False, CognitoIdentityProviders=providers
        )["IdentityPoolId"]
        undo.push(f"cognito identity pool {name}", lambda: identity.delete_identity_pool(IdentityPoolId=pool_id))
        result.identity_pool_id = pool_id
        result.created.append(f"cognito identity pool {name}")
    if not aws_is_embedded():
        _ensure_players_role(result, undo)


def _ensure_players_role(result: ProvisioningResult, undo: _Undo) -> None:
    """Give signed-in players an IAM role with no permissions, so the game's credential refresh succeeds.

    AWS refuses GetCredentialsForIdentity in a pool without an authenticated role, and the game
    treats that as a failed sign-in. The role grants nothing: the game talks to the portal's API,
    never to AWS. moto 5.2.5 has no SetIdentityPoolRoles, so this runs against real AWS only.
    """
    iam, identity = aws_client("iam"), aws_client("cognito-identity")
    role_name = f"{settings.APP_NAME}-game-players"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": result.identity_pool_id},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                },
            }
        ],
    }
    try:
        role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        result.existing.append(f"iam role {role_name}")
    except ClientError as exc:
        if aws_error_code(exc) != "NoSuchEntity":
            raise
        role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        undo.push(f"iam role {role_name}", lambda: iam.delete_role(RoleName=role_name))
        result.created.append(f"iam role {role_name}")
    identity.set_identity_pool_roles(IdentityPoolId=result.identity_pool_id, Roles={"authenticated": role_arn})


def _ensure_game_config(result: ProvisioningResult, plan: _Plan, undo: _Undo) -> None:
    """Write what the game's /v1/config serves to SSM, as the original's configuration layer did."""
    ssm = aws_client("ssm")
    values = {
        "clientid": result.game_client_id,
        "identitypoolid": result.identity_pool_id,
        "userpoolid": result.user_pool_id,
        "userpoolurl": result.user_pool_url,
    }
    for key, name in game_config_parameter_names().items():
        # Rewritten on every run: a re-created pool or client must not leave the game a stale id.
        ssm.put_parameter(
            Name=name, Value=values[key], Type="String", Overwrite=True, Description="Alien Attack game configuration"
        )
        if name not in plan.config_parameters_existing:
            undo.push(f"ssm parameter {name}", functools.partial(ssm.delete_parameter, Name=name))
            result.created.append(f"ssm parameter {name}")
        result.game_config_parameters.append(name)
    _game_config_cache_clear()


def _ensure_demo_user(cognito: Any, result: ProvisioningResult, *, pool_id: str, user: DemoUser) -> None:
    try:
        cognito.admin_get_user(UserPoolId=pool_id, Username=user.username)
        result.existing.append(f"cognito user {user.username}")
    except ClientError as exc:
        if aws_error_code(exc) != "UserNotFoundException":
            raise
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=user.username,
            UserAttributes=[
                {"Name": "email", "Value": user.email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
        )
        result.created.append(f"cognito user {user.username}")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=user.group)
    result.demo_users.append({"username": user.username, "password": user.password, "group": user.group})


def aws_provision(
    *,
    shard_count: int | None = None,
    callback_urls: list[str] | None = None,
    demo_users: bool | None = None,
    allow_real_aws: bool = False,
) -> ProvisioningResult:
    """Create whatever is missing of the portal's AWS resources and describe them all.

    Against real AWS (no endpoint override) it refuses unless `allow_real_aws` is set, and it
    never creates demo users with known passwords there unless asked to explicitly.
    """
    embedded = aws_is_embedded()
    if not embedded and not allow_real_aws:
        raise ProvisioningError(
            "AWS_ENDPOINT_URL is not set, so this would create resources in your real AWS account "
            f"(region {settings.AWS_REGION}). Re-run with --allow-real-aws to confirm."
        )
    shard_count = shard_count or settings.KINESIS_SHARD_COUNT
    demo_users = embedded if demo_users is None else demo_users
    result = ProvisioningResult(
        region=settings.AWS_REGION, endpoint_url=settings.AWS_ENDPOINT_URL, stream_name=settings.KINESIS_STREAM_NAME
    )
    plan = _plan(shard_count=shard_count)
    undo = _Undo()
    try:
        _ensure_stream(result, plan, undo, shard_count=shard_count)
        _ensure_bucket(result, plan, undo)
        _ensure_parameter(result, plan, undo)
        _ensure_cognito(
            result,
            plan,
            undo,
            callback_urls=callback_urls or ["http://localhost:8000/oidc/callback/"],
            demo_users=demo_users,
        )
        _ensure_identity_pool(result, plan, undo)
        _ensure_game_config(result, plan, undo)
    except (ClientError, BotoCoreError) as exc:
        failures = undo.run()
        detail = f" Could not roll back: {'; '.join(failures)}" if failures else " Everything it created was removed."
        raise ProvisioningError(f"provisioning failed ({exc}).{detail}") from exc
    logger.info("provision.done created=%s existing=%s", len(result.created), len(result.existing))
    return result


def devstack_state_write(result: ProvisioningResult) -> None:
    """Write what provisioning found to the devstack state file the demo and tests read.

    Readable by its owner only (0600). For real AWS (no endpoint override) no secret is written:
    app-client secrets and demo passwords of a real account belong in a secret store, not in a
    file in the working tree.
    """
    document = result.as_dict()
    if not result.endpoint_url:
        document["portal_client_secret"] = document["reports_client_secret"] = ""
        document["demo_users"] = [{**user, "password": ""} for user in document["demo_users"]]
    path = settings.DEVSTACK_STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    # Created 0600 (never world-readable, not even for a moment), then renamed over the old file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(json.dumps(document, indent=2) + "\n")
    os.replace(temporary, path)
