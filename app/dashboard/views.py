"""Dashboard pages (read side): overview, error groups, failure list and failure detail."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from app.dashboard import filters, selectors
from app.dashboard.access import VIEW_DASHBOARD, require_perm
from app.dashboard.pagination import InvalidCursor, keyset_page
from heroku_connect.models import TriggerLog, TriggerLogArchive


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dashboard/400.html", {"message": message}, status=400)


@require_GET
@require_perm(VIEW_DASHBOARD)
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/overview.html", {"overview": selectors.overview()})


@require_GET
@require_perm(VIEW_DASHBOARD)
def groups(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/groups.html", {"groups": []})


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
