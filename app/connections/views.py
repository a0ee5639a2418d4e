"""Connection status, mapping diff, imports and connection/mapping actions (short views).

Pages read our own tables (``selectors``); only the explicit operator actions (fetch now,
import, pause/resume/restart/reload) talk to the API, and show API failures as a banner.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.validators import slug_re
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from app.core.redirects import next_path
from app.dashboard.access import MANAGE_MAPPINGS, VIEW_DASHBOARD, require_perm

from . import selectors, services
from .diff import canonical_json
from .errors import describe_api_error, is_api_error
from .models import Connection, ImportJob, Mapping

logger = logging.getLogger(__name__)

#: htmx stops polling when a response has this status.
HTMX_STOP_POLLING = 286


def _code_mapping() -> dict:
    from heroku_connect.mapping import get_mapping

    return get_mapping()


def _api_failure(request: HttpRequest, exc: Exception, what: str) -> None:
    """A banner naming the problem (never the token, never a traceback)."""
    if not is_api_error(exc):
        logger.exception("%s failed unexpectedly", what)
    messages.error(request, f"{what} failed. {describe_api_error(exc)}")


@require_GET
@require_perm(VIEW_DASHBOARD)
def status(request: HttpRequest) -> HttpResponse:
    """Every connection with its health, mappings, counts and open notifications."""
    return TemplateResponse(request, "connections/status.html", {"page": selectors.status_page()})


@require_GET
@require_perm(VIEW_DASHBOARD)
def status_json(request: HttpRequest) -> JsonResponse:
    """The status page's data as JSON (same read model)."""
    return JsonResponse(selectors.status_as_dict(selectors.status_page()))


@require_POST
@require_perm(VIEW_DASHBOARD)
def refresh(request: HttpRequest) -> HttpResponse:
    """Refresh the status from the API now (what beat does every minute); audited."""
    back = next_path(request, fallback=reverse("connections:status"))
    try:
        with services.make_client(timeout=services.web_api_timeout()) as client:
            run = services.refresh_status_now(client=client, user=request.user)
    except services.RefreshAlreadyRunning:
        messages.warning(
            request, "A status refresh is already running; reload in a moment for its result."
        )
    else:
        if run.ok:
            count = Connection.objects.filter(removed_at__isnull=True).count()
            messages.success(
                request,
                ngettext(
                    "Status refreshed: %(count)d connection.",
                    "Status refreshed: %(count)d connections.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.error(request, "The status refresh failed (the banner below says why).")
    return HttpResponseRedirect(back)


@require_GET
@require_perm(VIEW_DASHBOARD)
def connection_detail(request: HttpRequest, connection_id: str) -> HttpResponse:
    """One connection's and its mappings' state timelines, and its imports."""
    conn = get_object_or_404(Connection, connection_id=connection_id)
    return TemplateResponse(
        request,
        "connections/connection.html",
        {"page": selectors.connection_page(conn), "actions": services.Action},
    )


@require_GET
@require_perm(VIEW_DASHBOARD)
def diff(request: HttpRequest) -> HttpResponse:
    """The code's mapping against the deployed one (as last fetched), with warnings."""
    connection_id = request.GET.get("connection") or None
    if connection_id is not None and not slug_re.fullmatch(connection_id):
        raise Http404("No such connection.")  # ids are slugs, as in the URLs (no NUL bytes)
    try:
        page = selectors.diff_page(connection_id, _code_mapping())
    except Connection.DoesNotExist as exc:
        raise Http404("No such connection.") from exc
    return TemplateResponse(request, "connections/diff.html", {"page": page})


@require_POST
@require_perm(VIEW_DASHBOARD)
def fetch_deployed(request: HttpRequest, connection_id: str) -> HttpResponse:
    """Fetch the deployed mapping (export) and the org's required fields now.

    All the API calls share one time budget (``fetch_budget()``, below the router's 30 s): a
    slow API ends the fetch early, keeping what arrived, and the message says what is missing.
    The calls are few and usually fast, so the operator gets the result on this request rather
    than through a job and a polling page.
    """
    conn = get_object_or_404(Connection, connection_id=connection_id)
    try:
        with services.make_client(
            timeout=services.web_api_timeout(), budget=services.fetch_budget()
        ) as client:
            result = services.fetch_deployed(client=client, conn=conn)
    except Exception as exc:
        _api_failure(request, exc, "Fetching the deployed mapping")
    else:
        if result.unchecked:
            messages.warning(
                request,
                "Fetched the deployed mapping, but not the fields Salesforce requires for "
                f"{', '.join(result.unchecked)}: {result.problem} The diff shows no "
                "required-field warnings for them; fetch again to complete it.",
            )
        else:
            messages.success(request, "Fetched the deployed mapping.")
    return redirect(f"{reverse('connections:diff')}?connection={conn.connection_id}")


@require_GET
@require_perm(VIEW_DASHBOARD)
def download_mapping(request: HttpRequest) -> HttpResponse:
    """The code's mapping as sorted, diff-friendly JSON (what ``makemappings`` produces)."""
    response = HttpResponse(canonical_json(_code_mapping()), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="mapping.json"'
    return response


@require_http_methods(["GET", "POST"])
@require_perm(MANAGE_MAPPINGS)
def import_mapping(request: HttpRequest, connection_id: str) -> HttpResponse:
    """GET: confirmation with the diff and warnings. POST: queue the import job."""
    conn = get_object_or_404(Connection, connection_id=connection_id)
    if request.method == "POST":
        try:
            job = services.request_import(conn=conn, document=_code_mapping(), user=request.user)
        except services.ImportAlreadyRunning as exc:
            messages.error(request, str(exc))
            return redirect(f"{reverse('connections:diff')}?connection={conn.connection_id}")
        # Not "queued": the message stays on the page while the progress below moves on.
        messages.info(request, f"Import #{job.pk} requested; this page follows its progress.")
        return redirect("connections:import_job", pk=job.pk)
    page = selectors.diff_page(conn.connection_id, _code_mapping())
    return TemplateResponse(request, "connections/import_confirm.html", {"page": page})


@require_GET
@require_perm(VIEW_DASHBOARD)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Live progress of one import: htmx requests get the partial, 286 once it has ended."""
    job = get_object_or_404(ImportJob.objects.select_related("connection", "requested_by"), pk=pk)
    context = {"job": job}
    if getattr(request, "htmx", False):
        return TemplateResponse(
            request,
            "connections/_import_progress.html",
            context,
            status=200 if job.is_active else HTMX_STOP_POLLING,
        )
    return TemplateResponse(request, "connections/import_job.html", context)


def _action_target(
    connection_id: str, action: services.Action, mapping_id: str | None
) -> tuple[Connection, Mapping | None]:
    conn = get_object_or_404(Connection, connection_id=connection_id)
    if (action in services.MAPPING_ACTIONS) != (mapping_id is not None):
        raise Http404("No such action.")
    mapping = (
        get_object_or_404(Mapping, connection=conn, mapping_id=mapping_id, removed_at=None)
        if mapping_id is not None
        else None
    )
    return conn, mapping


@require_http_methods(["GET", "POST"])
@require_perm(MANAGE_MAPPINGS)
def action(
    request: HttpRequest, connection_id: str, action: str, mapping_id: str | None = None
) -> HttpResponse:
    """Pause / resume / restart a connection or reload a mapping: confirm on GET, act on POST."""
    try:
        chosen = services.Action(action)
    except ValueError as exc:
        raise Http404("No such action.") from exc
    conn, mapping = _action_target(connection_id, chosen, mapping_id)
    label = services.ACTION_LABELS[chosen]
    if request.method == "POST":
        try:
            with services.make_client(timeout=services.web_api_timeout()) as client:
                services.perform_action(
                    client=client, user=request.user, action=chosen, conn=conn, mapping=mapping
                )
        except Exception as exc:
            _api_failure(request, exc, label)
        else:
            messages.success(
                request,
                f"{label}: requested for {mapping.object_name if mapping else conn}. The status "
                "page shows the new state after the next refresh.",
            )
        return redirect("connections:connection", connection_id=conn.connection_id)
    return TemplateResponse(
        request,
        "connections/action_confirm.html",
        {"connection": conn, "mapping": mapping, "action": chosen, "label": label},
    )
