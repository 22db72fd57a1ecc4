"""Cursor pagination over a stable, unique ordering: pages never skip or repeat rows as data grows."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pages ordered by `ordering`, which must end in a unique column (the primary key by default).

    A view sets `ordering` on its paginator subclass (e.g. `("-created_at", "-pk")`); the client
    may ask for `page_size` up to `max_page_size`.
    """

    ordering: str | tuple[str, ...] = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
