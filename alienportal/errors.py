"""Domain errors: what a service refuses with, in words for a person. They know nothing of HTTP.

Interfaces translate them in one place each: the API base (alienportal.api.base) maps them to
status codes and the error body; the admin shows the message.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain cannot carry out; `message` is for a person, `code` is stable for programs."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Invalid(DomainError):
    """The request itself is malformed or out of range."""


class NotFound(DomainError):
    """What the request names does not exist."""


class Refused(DomainError):
    """The request is well-formed but a business rule says no."""


class Conflict(DomainError):
    """The request collides with the current state (e.g. something already exists or changed meanwhile)."""


class Forbidden(DomainError):
    """The caller may not do this (a rule about who, checked by the service)."""
