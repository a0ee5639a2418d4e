"""Keyset pagination over one or several querysets, newest first, with opaque signed cursors.

No ``COUNT(*)`` and no ``OFFSET``: each page reads ``size + 1`` rows per source through the
primary key, so a page costs the same on page 1 and on page 10,000. Rows of several sources
(the live and the archived trigger log) are merged by ``(id DESC, source)``; the cursor holds
the last row's id and source, signed so that a tampered cursor is refused (400), never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

CURSOR_SALT = "app.dashboard.pagination.cursor"


class InvalidCursor(ValueError):
    """The page cursor is malformed or was tampered with."""


@dataclass(frozen=True)
class Cursor:
    id: int
    source: str


@dataclass(frozen=True)
class Page:
    """One page: ``items`` as ``(source, object)`` pairs and the cursor of the next page."""

    items: list[tuple[str, Any]]
    next_cursor: str | None
    is_first: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def encode_cursor(cursor: Cursor) -> str:
    return signing.dumps([cursor.id, cursor.source], salt=CURSOR_SALT, compress=False)


def decode_cursor(token: str, *, sources: Sequence[str]) -> Cursor:
    """The cursor in ``token``; :class:`InvalidCursor` if tampered or not for these sources."""
    try:
        value = signing.loads(token, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise InvalidCursor("Invalid page cursor.") from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or isinstance(value[0], bool)
        or value[1] not in sources
    ):
        raise InvalidCursor("Invalid page cursor.")
    return Cursor(id=value[0], source=value[1])


def _after(cursor: Cursor, source: str) -> Q:
    """Rows of ``source`` that come after ``cursor`` in ``(id DESC, source ASC)`` order."""
    if source > cursor.source:
        return Q(pk__lte=cursor.id)
    return Q(pk__lt=cursor.id)


def keyset_page(sources: Mapping[str, QuerySet], *, cursor: str | None, size: int) -> Page:
    """The page after ``cursor`` (or the first page) of the merged ``sources``, newest first.

    One query per source; raises :class:`InvalidCursor` for a bad cursor.
    """
    names = sorted(sources)
    position = decode_cursor(cursor, sources=names) if cursor else None
    rows: list[tuple[int, str, Any]] = []
    for name in names:
        queryset = sources[name]
        if position is not None:
            queryset = queryset.filter(_after(position, name))
        rows += [(obj.pk, name, obj) for obj in queryset.order_by("-pk")[: size + 1]]
    rows.sort(key=lambda row: (-row[0], row[1]))
    page_rows = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last_id, last_source, _obj = page_rows[-1]
        next_cursor = encode_cursor(Cursor(id=last_id, source=last_source))
    return Page(
        items=[(name, obj) for _pk, name, obj in page_rows],
        next_cursor=next_cursor,
        is_first=position is None,
    )
