"""The original game's calls, made as its browser client makes them, with real tokens from moto's Cognito.

Read from aws-samples/aws-alien-attack (application/resources/js/awsfacade.js, makeAPIGatewayRequest):
every authorized call sends `Authorization: <ID token>` with no scheme; POST bodies are
`JSON.stringify(...)` with `Content-Type: application/json`; GETs send no body and no content type;
a non-200 answer hands the status and raw text to the caller, a 200 the raw text to `JSON.parse`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.test import Client

from alienportal.aws import aws_client

PASSWORD = "Game-pass-123"  # a moto user's


@dataclass
class GameClient:
    """One browser running the original game, signed in (or not) as one pool user."""

    id_token: str | None
    http: Client

    def _authorization(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": self.id_token} if self.id_token else {}

    def get(self, resource: str, query: str | None = None) -> tuple[int, str]:
        url = f"/v1/{resource}" + (f"?{query}" if query else "")
        response = self.http.generic("GET", url, **self._authorization())
        return response.status_code, response.content.decode()

    def post(self, resource: str, parameters: Any) -> tuple[int, str]:
        # JSON.stringify: compact, keys in insertion order.
        body = json.dumps(parameters, separators=(",", ":"))
        response = self.http.generic(
            "POST", f"/v1/{resource}", body, content_type="application/json", **self._authorization()
        )
        return response.status_code, response.content.decode()


@dataclass
class Pool:
    provisioned: Any

    def user_create(self, username: str, *, group: str | None = "Players") -> str:
        """Create a confirmed pool user (as the original's sign-up and its trigger did); return the name."""
        cognito = aws_client("cognito-idp")
        cognito.admin_create_user(UserPoolId=self.provisioned.user_pool_id, Username=username, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=self.provisioned.user_pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        if group:
            cognito.admin_add_user_to_group(
                UserPoolId=self.provisioned.user_pool_id, Username=username, GroupName=group
            )
        return username

    def sign_in(self, username: str, password: str = PASSWORD) -> GameClient:
        """Sign in through the game's app client and keep the ID token, as the original's CognitoFacade."""
        result = aws_client("cognito-idp").admin_initiate_auth(
            UserPoolId=self.provisioned.user_pool_id,
            ClientId=self.provisioned.game_client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]
        return GameClient(id_token=result["IdToken"], http=Client())

    def player(self, prefix: str = "gamer") -> tuple[str, GameClient]:
        """A new player in the Players group, signed in; usernames lower case, as the game makes them."""
        username = self.user_create(f"{prefix}-{uuid.uuid4().hex[:10]}")
        return username, self.sign_in(username)
