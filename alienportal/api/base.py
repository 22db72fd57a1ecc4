"""The base of every DRF endpoint: authentication, throttling and pagination from settings, and the
single mapping from errors (domain errors, DRF's own) to the one error body."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alienportal.api.errors import error_response
from alienportal.api.pagination import StableCursorPagination
from alienportal.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Refused

# Status of each kind of domain error; a subclass takes its nearest listed ancestor's.
DOMAIN_ERROR_STATUS: dict[type[DomainError], int] = {
    Invalid: status.HTTP_400_BAD_REQUEST,
    Forbidden: status.HTTP_403_FORBIDDEN,
    NotFound: status.HTTP_404_NOT_FOUND,
    Conflict: status.HTTP_409_CONFLICT,
    Refused: status.HTTP_422_UNPROCESSABLE_ENTITY,
}

# The stable code of DRF's own errors, by status; a validation error is "Invalid" with its fields.
API_ERROR_CODES: dict[int, str] = {
    400: "Invalid",
    401: "NotAuthenticated",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    415: "UnsupportedMediaType",
    429: "Throttled",
}


def domain_error_status(error: DomainError) -> int:
    """Return the HTTP status of a domain error (400 for the bare base class)."""
    for kind in type(error).__mro__:
        if kind in DOMAIN_ERROR_STATUS:
            return DOMAIN_ERROR_STATUS[kind]
    return status.HTTP_400_BAD_REQUEST


class BaseApi(APIView):
    """Base of every endpoint. Authentication, permissions and throttling are the settings'
    defaults (REST_FRAMEWORK); list endpoints paginate with `pagination_class`.

    Errors never leave as a 500 for bad input: domain errors and DRF's errors (parse, validation,
    401/403/404/405/429) all answer `{"errorMessage", "errorCode"}` (+ `fields` on validation).
    """

    pagination_class = StableCursorPagination
    # Code of a domain error raised without one: its class name ("Refused", "NotFound", ...).
    default_error_codes = True
    # Message of a body that is not JSON (or not the declared media type's syntax).
    invalid_payload_message = "The request body is not valid JSON."

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DomainError):
            return self.domain_error_response(exc)
        if isinstance(exc, exceptions.ParseError):
            return error_response(self.invalid_payload_message, code=self._code("ParseError"), status=400)
        # DRF first turns its errors (and Django's Http404 / PermissionDenied) into a response with
        # the right status and headers (WWW-Authenticate, Retry-After); only the body is ours.
        response = super().handle_exception(exc)
        if isinstance(exc, (exceptions.APIException, Http404, DjangoPermissionDenied)):
            response.data = self.api_error_body(exc, response)
        return response

    def domain_error_response(self, error: DomainError) -> Response:
        code = error.code or self._code(type(error).__name__)
        return error_response(error.message, code=code, status=domain_error_status(error))

    def api_error_body(self, exc: Exception, response: Response) -> dict[str, Any]:
        code = self._code(API_ERROR_CODES.get(response.status_code, "Error"))
        if isinstance(exc, exceptions.ValidationError):
            detail = exc.detail
            fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
            return {"errorMessage": "Invalid input.", **({"errorCode": code} if code else {}), "fields": fields}
        # DRF's own wording (e.g. "Authentication credentials were not provided.").
        drf_detail = response.data.get("detail") if isinstance(response.data, dict) else None
        message = str(drf_detail) if drf_detail else str(exc) or "Error."
        return {"errorMessage": message, **({"errorCode": code} if code else {})}

    def paginated_response(self, queryset: Any, serialize: Any) -> Response:
        """Answer one page of `queryset`, each row through `serialize(rows) -> data`, with next/previous links."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serialize(page))

    def _code(self, code: str) -> str | None:
        return code if self.default_error_codes else None
