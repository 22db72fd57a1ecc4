"""Identity and access: Cognito OIDC sign-in, roles from Cognito groups, verified bearer tokens."""
