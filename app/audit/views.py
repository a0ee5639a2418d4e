"""The audit trail in the dashboard: a filtered, keyset-paginated list and a CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from app.audit.forms import AuditFilterForm
from app.audit.models import AuditEntry
from app.dashboard.access import require_perm

VIEW_AUDIT = "audit.view_auditentry"
PAGE_SIZE = 50
CSV_COLUMNS = (
    "id",
    "created_at",
    "username",
    "action",
    "target",
    "selection",
    "row_count",
    "outcome",
    "detail",
)
#: Characters that make spreadsheet programs read a cell as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def _bad_filters(request: HttpRequest, form: AuditFilterForm) -> HttpResponse:
    return TemplateResponse(
        request, "audit/list.html", {"form": form, "entries": [], "invalid": True}, status=400
    )


@require_GET
@require_perm(VIEW_AUDIT)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filters(request, form)
    queryset = form.filter(AuditEntry.objects.all()).order_by("-id")
    if form.cleaned_data["before"]:
        queryset = queryset.filter(id__lt=form.cleaned_data["before"])
    entries = list(queryset[: PAGE_SIZE + 1])
    params = form.filter_params()
    next_query = ""
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        next_query = urlencode({**params, "before": entries[-1].id})
    context: dict[str, Any] = {
        "form": form,
        "entries": entries,
        "next_query": next_query,
        "first_query": urlencode(params),
        "paged": bool(form.cleaned_data["before"]),
        "export_query": urlencode(params),
        "actions": AuditEntry.objects.order_by("action")
        .values_list("action", flat=True)
        .distinct(),
    }
    return TemplateResponse(request, "audit/list.html", context)


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming with csv.writer."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas: text starting with ``= + - @`` (or a control character)
    gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _rows(entries: Iterator[AuditEntry]) -> Iterator[list[object]]:
    yield list(CSV_COLUMNS)
    for entry in entries:
        yield [
            entry.id,
            entry.created_at.isoformat(),
            safe_cell(entry.username),
            safe_cell(entry.action),
            safe_cell(entry.target),
            safe_cell(json.dumps(entry.selection, sort_keys=True)),
            entry.row_count,
            safe_cell(entry.outcome),
            safe_cell(entry.detail),
        ]


@require_GET
@require_perm(VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponse:
    """Every entry matching the filters, newest first, streamed as CSV."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filters(request, form)
    entries = form.filter(AuditEntry.objects.all()).order_by("-id").iterator(chunk_size=2000)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _rows(entries)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
