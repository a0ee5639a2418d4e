"""Template filters of the connections pages."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

register = template.Library()


@register.filter
def ago(value: datetime.datetime | None, now: datetime.datetime) -> str:
    """Compact age with second resolution: ``40 s ago``, ``3 min ago``, ``2 h ago``, ``4 d ago``."""
    if value is None:
        return "never"
    seconds = max(0, int((now - value).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


@register.filter
def api_time(value: object) -> str:
    """An API timestamp (ISO 8601 text) as ``2026-11-25 09:25:08 UTC``; "–" when missing.

    The API sends times as strings with microseconds and an offset, too long and ambiguous to
    read in a table; text that is not a timestamp is shown as it came.
    """
    if value in (None, ""):
        return "–"
    parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
    if parsed is None:
        return str(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
