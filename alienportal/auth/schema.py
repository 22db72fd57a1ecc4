"""OpenAPI description of the bearer-token scheme, so every endpoint documents how to authenticate."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CognitoJWTScheme(OpenApiAuthenticationExtension):
    target_class = "alienportal.auth.authentication.CognitoJWTAuthentication"
    name = "cognitoBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Cognito access token (reports clients: scope reports/read) or ID token.",
        }
