"""JSON endpoints for scripts and monitors: the overview and the error groups.

Authentication: a logged-in session with ``dashboard.view_dashboard``, or
``Authorization: Bearer <DASHBOARD_API_TOKEN>`` (compared in constant time; no token configured
means token access is off). Failures answer JSON 401/403, never a login redirect. The payloads
come from the same selectors as the HTML pages.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from app.dashboard import charts, selectors
from app.dashboard.access import VIEW_DASHBOARD
from app.dashboard.models import ErrorGroupStat


def _error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="dashboard"'
    return response


def _token_matches(header: str) -> bool:
    expected = getattr(settings, "DASHBOARD_API_TOKEN", "") or ""
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not expected or not token.strip():
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only, never cached, session (with the view permission) or bearer-token auth."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if header:
            if not _token_matches(header):
                return _error(401, "Invalid API token.")
        elif not request.user.is_authenticated:
            return _error(401, "Authentication required: log in or send a bearer token.")
        elif not request.user.has_perm(VIEW_DASHBOARD):
            return _error(403, f"Missing permission {VIEW_DASHBOARD}.")
        return view(request, *args, **kwargs)

    return require_GET(never_cache(wrapped))


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def group_payload(group: ErrorGroupStat) -> dict[str, Any]:
    """One error group as JSON (also used by ``manage.py triage_report --json``)."""
    return {
        "key": group.key,
        "table_name": group.table_name,
        "code": group.code,
        "normalised_message": group.normalised_message,
        "live_count": group.live_count,
        "archive_count": group.archive_count,
        "total": group.total,
        "first_seen": iso(group.first_seen),
        "last_seen": iso(group.last_seen),
        "samples": group.sample_ids,
        "hint": group.hint,
        "failures_url": reverse("dashboard:failures") + f"?group={group.key}&source=both",
    }


@api_view
def overview(request: HttpRequest) -> HttpResponse:
    range_name = request.GET.get("range") or charts.DEFAULT_RANGE
    if range_name not in charts.RANGES:
        return _error(400, f"Unknown range; choose one of {', '.join(charts.RANGES)}.")
    data = selectors.overview(range_name=range_name)
    age = data.oldest_waiting_age
    return JsonResponse(
        {
            "generated_at": iso(data.now),
            "stats_refreshed_at": iso(data.stats_refreshed_at),
            "totals": {
                "failed": data.total.failed,
                "archived_failed": data.total.archived_failed,
                "pending": data.total.pending,
                "new": data.total.new,
            },
            "tables": [
                {
                    "table_name": t.table_name,
                    "failed": t.failed,
                    "archived_failed": t.archived_failed,
                    "pending": t.pending,
                    "new": t.new,
                }
                for t in data.tables
            ],
            "oldest_waiting_at": iso(data.oldest_waiting_at),
            "oldest_waiting_seconds": int(age.total_seconds()) if age is not None else None,
            "error_rate": {
                "range": data.chart.range,
                "processed": data.chart.total_processed,
                "failed": data.chart.total_failed,
                "buckets": [
                    {"start": iso(b.start), "processed": b.processed, "failed": b.failed}
                    for b in data.chart.bars
                ],
            },
            "top_groups": [group_payload(group) for group in data.top_groups],
        }
    )


@api_view
def error_groups(request: HttpRequest) -> HttpResponse:
    table = request.GET.get("table", "").strip()
    code = request.GET.get("code", "").strip()
    if not selectors.valid_group_filters(table=table, code=code):
        return _error(400, "Invalid table or code filter.")
    data = selectors.error_groups(table=table, code=code)
    return JsonResponse(
        {
            "stats_refreshed_at": iso(data.stats_refreshed_at),
            "truncated": data.truncated,
            "groups": [group_payload(group) for group in data.groups],
        }
    )
