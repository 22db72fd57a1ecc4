"""What the support services refuse with."""

from __future__ import annotations


class SupportError(Exception):
    """A support request that cannot be done; `message` is for a person, `code` is stable."""

    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Invalid(SupportError):
    status = 400


class NotFound(SupportError):
    status = 404


class Refused(SupportError):
    """A business rule says no (e.g. a status move the workflow does not allow)."""

    status = 422
