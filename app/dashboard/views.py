"""Dashboard pages (read side): overview, error groups, failure list and failure detail."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from app.dashboard import charts, filters, selectors, stats
from app.dashboard.access import VIEW_DASHBOARD, require_perm
from app.dashboard.models import BulkActionJob, StatsRun
from app.dashboard.pagination import InvalidCursor, keyset_page
from heroku_connect.models import TriggerLog, TriggerLogArchive


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dashboard/400.html", {"message": message}, status=400)


def _ensure_stats() -> None:
    """Build the summaries on the very first visit (a fresh install, before beat's first run)."""
    if not StatsRun.objects.exists():
        stats.refresh_stats()


@require_GET
@require_perm(VIEW_DASHBOARD)
def overview(request: HttpRequest) -> HttpResponse:
    range_name = request.GET.get("range") or charts.DEFAULT_RANGE
    if range_name not in charts.RANGES:
        return _bad_request(request, f"Unknown range; choose one of {', '.join(charts.RANGES)}.")
    _ensure_stats()
    return render(
        request,
        "dashboard/overview.html",
        {"overview": selectors.overview(range_name=range_name), "ranges": list(charts.RANGES)},
    )


@require_GET
@require_perm(VIEW_DASHBOARD)
def groups(request: HttpRequest) -> HttpResponse:
    """Failures grouped by cause (table, status code, normalised message)."""
    table = request.GET.get("table", "").strip()
    code = request.GET.get("code", "").strip()
    if not selectors.valid_group_filters(table=table, code=code):
        return _bad_request(request, "Invalid table or code filter.")
    _ensure_stats()
    return render(
        request,
        "dashboard/groups.html",
        {"data": selectors.error_groups(table=table, code=code), "table": table, "code": code},
    )


@require_POST
@require_perm(VIEW_DASHBOARD)
def refresh(request: HttpRequest) -> HttpResponse:
    """Rebuild the error-group and error-rate summaries now (they change no trigger-log row)."""
    run = stats.refresh_stats()
    if run is None:
        messages.warning(request, "A refresh is already running; try again in a moment.")
    else:
        messages.success(
            request,
            f"Statistics refreshed in {run.duration_ms} ms: {run.groups} error groups, "
            f"{run.failed_rows} failed writes.",
        )
    return redirect("dashboard:groups")


@require_GET
@require_perm(VIEW_DASHBOARD)
def failures(request: HttpRequest) -> HttpResponse:
    """The filtered failure list, newest first, one keyset page at a time."""
    form = filters.FailureFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "dashboard/failures.html", {"form": form}, status=400)
    selection = filters.selection(form)
    try:
        page = keyset_page(
            {"live": selection.live, "archive": selection.archive},
            cursor=request.GET.get("cursor") or None,
            size=settings.DASHBOARD_PAGE_SIZE,
        )
    except InvalidCursor as error:
        return _bad_request(request, str(error))
    return render(
        request,
        "dashboard/failures.html",
        {
            "form": form,
            "selection": selection,
            "page": page,
            "query": urlencode(selection.as_params()),
            "active_jobs": BulkActionJob.objects.filter(
                state__in=BulkActionJob.ACTIVE_STATES
            ).order_by("created_at")[:5],
        },
    )


@require_GET
@require_perm(VIEW_DASHBOARD)
def detail(request: HttpRequest, source: str, pk: int) -> HttpResponse:
    """One trigger-log row with its decoded values, connected record and history."""
    if source not in ("live", "archive"):
        raise Http404("Unknown source.")
    model = TriggerLog if source == "live" else TriggerLogArchive
    try:
        detail = selectors.failure_detail(source, pk)
    except model.DoesNotExist:
        raise Http404("No such trigger-log row.") from None
    return render(request, "dashboard/detail.html", {"detail": detail})
