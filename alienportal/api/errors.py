"""The one error body of every API, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.response import Response


class ErrorSerializer(serializers.Serializer):
    """`{"errorMessage", "errorCode"}`, plus `fields` on validation errors (per field, its messages)."""

    errorMessage = serializers.CharField(help_text="What went wrong, for a person.")
    errorCode = serializers.CharField(required=False, help_text="A stable code, for programs.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here, not as a class attribute: `fields` is the name of Serializer's own property.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Validation errors: each invalid field and its messages.",
        )
        return fields


def error_body(message: str, *, code: str | None = None, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the error body: errorMessage, then errorCode and fields when given."""
    body: dict[str, Any] = {"errorMessage": message}
    if code:
        body["errorCode"] = code
    if fields is not None:
        body["fields"] = fields
    return body


def error_response(
    message: str, *, code: str | None = None, status: int, fields: dict[str, Any] | None = None
) -> Response:
    """Answer an error with the one error body."""
    return Response(error_body(message, code=code, fields=fields), status=status)
