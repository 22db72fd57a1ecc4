"""What every reports endpoint shares: who may read, strict query parameters, pages, documented errors."""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request

from alienportal.access import Capability
from alienportal.api.base import BaseApi
from alienportal.api.errors import ErrorSerializer
from alienportal.api.pagination import StableCursorPagination
from alienportal.api.permissions import Can, HasReportsReadScope
from alienportal.errors import Invalid


class CanReadReports(BasePermission):
    """REST clients need the reports/read scope; managers and support read with their own sign-in."""

    message = "Reading reports needs an access token with the reports/read scope, or a Managers or Support sign-in."
    allowed = (Can(Capability.READ_REPORTS)(), HasReportsReadScope())

    def has_permission(self, request: Any, view: Any) -> bool:
        return any(permission.has_permission(request, view) for permission in self.allowed)


ACCESS_NOTE = (
    "\n\nAccess: a bearer access token of the reports client with scope `reports/read`, "
    "or a signed-in Managers or Support user."
)

ERROR_DESCRIPTIONS = {
    400: "Unknown query parameter or invalid value.",
    401: "No or invalid credentials.",
    403: "The token lacks the scope, or the role may not read reports.",
    404: "No such resource.",
    429: "Too many requests: see Retry-After.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses an endpoint declares, all with the one error body."""
    return {
        status: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS.get(status, ""))
        for status in (401, 403, 429, *statuses)
    }


CSV_RESPONSE = {
    (200, "text/csv"): OpenApiResponse(description="CSV (RFC 4180, UTF-8), columns in the documented order.")
}


class ReportsApi(BaseApi):
    """A read of the reports API: unknown query parameters and invalid values are 400, never ignored."""

    # In order: a caller without credentials is told so (401) before being refused (403).
    permission_classes = [IsAuthenticated, CanReadReports]
    token_api = "reports"  # noqa: S105 - an API's name: the reports clients' access tokens (alienportal.auth.tokens.API_TOKENS)
    # The query parameters, validated; each endpoint declares its own (None: it takes none).
    QuerySerializer: ClassVar[type[serializers.Serializer] | None] = None
    # Pagination's own parameters, on list endpoints.
    paginated: ClassVar[bool] = False

    def query(self, request: Request) -> dict[str, Any]:
        """Return the validated query parameters; raise Invalid on one this endpoint does not know."""
        known = set(_field_names(self.QuerySerializer)) if self.QuerySerializer is not None else set()
        if self.paginated:
            known |= {"cursor", "page_size"}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise Invalid(
                f"Unknown query parameter: {', '.join(unknown)}. Allowed: {allowed}.", code="UnknownParameter"
            )
        # DRF reads an empty optional parameter as "not given"; a caller who sent one meant something.
        empty = sorted(name for name, values in request.query_params.lists() if "" in values)
        if empty:
            raise ValidationError({name: ["Must not be empty."] for name in empty})
        if self.paginated and "page_size" in request.query_params:
            size = request.query_params["page_size"]
            limit = StableCursorPagination.max_page_size
            if not size.isdigit() or not 1 <= int(size) <= limit:
                raise Invalid(f"page_size must be a whole number from 1 to {limit}.", code="Invalid")
        if self.QuerySerializer is None:
            return {}
        serializer = self.QuerySerializer(data=request.query_params)
        if not serializer.is_valid():
            # Errors of list items come nested ({index: [...]}); the error body has one list per field.
            raise ValidationError({name: _messages(detail) for name, detail in serializer.errors.items()})
        return dict(serializer.validated_data)


@cache
def _field_names(serializer: type[serializers.Serializer]) -> frozenset[str]:
    # Building a serializer's fields deep-copies its declared fields: once per class, not per request.
    return frozenset(serializer().fields)


class ReportsCursorPagination(StableCursorPagination):
    """A cursor that cannot be decoded is a bad value (400), not a missing page."""

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise Invalid("The cursor is not one this API gave out.", code="InvalidCursor") from exc


def _messages(detail: Any, where: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [message for key, value in detail.items() for message in _messages(value, f"{where}item {key}: ")]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value, where)]
    return [f"{where}{detail}"]


def cursor_pagination(ordering: str) -> type[StableCursorPagination]:
    """A cursor paginator over `ordering`, which must be a unique column (pages never skip or repeat)."""
    name = "CursorBy" + ordering.strip("-").title().replace("_", "")
    return type(name, (ReportsCursorPagination,), {"ordering": ordering})


def page_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The shape of one cursor page of `item`s, for the schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True, help_text="The next page, null on the last one."),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page, null on the first one."),
            "results": item(many=True),
        },
    )
