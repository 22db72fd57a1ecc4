"""How refused requests are logged: one line, never a traceback."""

from __future__ import annotations

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """Drop the traceback Django attaches to "Forbidden (Permission denied)" (django.request).

    Django logs every PermissionDenied with `exc_info`: a Support user opening a manager's page
    is expected, and a stack in the log for it buries the real errors. The line itself stays.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
