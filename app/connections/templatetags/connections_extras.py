"""Template filters of the connections pages."""

from __future__ import annotations

import datetime

from django import template

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
