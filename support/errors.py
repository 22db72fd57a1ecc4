"""What the support services refuse with: the portal's domain errors (alienportal.errors)."""

from __future__ import annotations

from alienportal.errors import DomainError, Invalid, NotFound, Refused

__all__ = ["DomainError", "Invalid", "NotFound", "Refused"]
