"""Dashboard pages (read side): overview, error groups, failure list and failure detail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from app.dashboard import selectors
from app.dashboard.access import VIEW_DASHBOARD, require_perm


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
    return render(request, "dashboard/failures.html", {"rows": []})
