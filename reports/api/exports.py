"""CSV exports streamed row by row: flat memory whatever the size, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse

# A cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV injection");
# a leading apostrophe makes it text. Tab and carriage return hide a formula behind whitespace.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Rows are sent in chunks of about this many bytes: fewer, larger writes than one per row.
CHUNK_BYTES = 64 * 1024


def csv_cell(value: Any) -> str | int | float:
    """Return `value` as a CSV cell: numbers as they are, times in ISO 8601, text formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """A file-like object whose write returns what it was given (csv.writer then yields lines)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield the CSV text of the header and the rows, in chunks of about CHUNK_BYTES."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    buffer: list[str] = [writer.writerow(header)]
    size = 0
    for row in rows:
        line = writer.writerow([csv_cell(value) for value in row])
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(buffer)
            buffer, size = [], 0
    yield "".join(buffer)


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """Stream the rows as a CSV attachment (RFC 4180, UTF-8, CRLF line ends)."""
    response = StreamingHttpResponse(csv_lines(header=header, rows=rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
