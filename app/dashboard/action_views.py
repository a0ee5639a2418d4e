"""Retry / ignore pages (confirm on GET, act on POST) and the auto-retry policy page.

Views are thin: parse the selection (tampered input is a 400 and changes nothing), call
:mod:`app.dashboard.actions` or :mod:`app.dashboard.autoretry`, report with a message.

Performing needs the signed scope the confirmation page issued
(:mod:`app.dashboard.confirmations`): the POST carries no selection of its own, so a request
without a confirmed selection (an empty form, a JSON body, a forged token) is a 400 that
changes nothing, and a selection that grew beyond the confirmed count is shown again.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from app.audit.models import AutoRetryAttempt, AutoRetryPolicy
from app.core.db import is_statement_timeout
from app.core.redirects import next_path
from app.dashboard import actions, autoretry, bulk, confirmations, filters
from app.dashboard.access import (
    IGNORE_WRITES,
    RETRY_WRITES,
    VIEW_DASHBOARD,
    forbidden,
    require_perm,
)
from app.dashboard.actions import (
    ActionInputError,
    SelectionGrew,
    SelectionLike,
    WriteAlgorithmUnavailable,
)
from app.dashboard.models import BulkActionJob
from heroku_connect.states import WriteAlgorithm

logger = logging.getLogger(__name__)

#: The filter parameters a confirmation page accepts (the failure list's filter form).
FILTER_FIELDS = tuple(filters.FailureFilterForm.base_fields)
#: Where the pages return to when the request's ``next`` is not a local path.
FALLBACK_PAGE = "dashboard:failures"


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dashboard/actions/invalid.html", {"message": message}, status=400)


def requested_selection(data: QueryDict) -> tuple[str, SelectionLike]:
    """The explicit selection of a confirmation request: ticked rows (``ids``, or ``id`` from
    the detail page; several per field allowed) or a filter (at least one filter parameter).

    Nothing selected, both at once, or invalid values raise :class:`ActionInputError` /
    :class:`filters.InvalidFilter`; there is no default selection.
    """
    scope = data.get("scope", "")
    if scope not in ("", *confirmations.KINDS):
        raise ActionInputError(f"Unknown scope {scope[:20]!r}.")
    ids = data.getlist("ids") + data.getlist("id")
    params = {name: data[name] for name in FILTER_FIELDS if name in data}
    if ids or scope == confirmations.IDS:
        if params:
            raise ActionInputError("Select either rows or a filter, not both.")
        return confirmations.IDS, actions.parse_ids(ids)
    if not params:
        raise ActionInputError(
            "Nothing selected: tick rows on the failure list, or use a filter or an error group."
        )
    return confirmations.FILTER, filters.selection_from_params(params)


def _next_url(request: HttpRequest) -> str:
    return next_path(request, fallback=reverse(FALLBACK_PAGE))


def _confirm_page(
    request: HttpRequest,
    action: str,
    kind: str,
    selection: SelectionLike,
    *,
    next_url: str,
    algorithm: WriteAlgorithm | None,
    error: str = "",
    look_up: bool = True,
    status: int = 200,
) -> HttpResponse:
    """Count the selection now and show it, with a fresh confirmation for that count."""
    plan = actions.plan_action(action, selection, algorithm=algorithm, look_up=look_up)
    chosen = request.POST.get("write_algorithm") or request.GET.get("write_algorithm")
    context: dict[str, Any] = {
        "action": action,
        "plan": plan,
        "confirmation": confirmations.issue(
            action=action,
            user=request.user,
            kind=kind,
            params=selection.as_params(),
            count=plan.total,
        ),
        "confirmation_field": confirmations.FIELD,
        "next": next_url,
        "error": error or plan.algorithm_error,
        "chosen_algorithm": chosen if chosen in actions.ALGORITHM_CHOICES else "auto",
        "merged_effects": plan.retry_effects(actions.ALGORITHM_CHOICES["merged"]),
        "ordered_effects": plan.retry_effects(actions.ALGORITHM_CHOICES["ordered"]),
        "perform_url": reverse(f"dashboard:{action}"),
        "runs_as_job": bulk.runs_as_job(plan.total),
        "batch_size": bulk.batch_size(),
    }
    return render(request, "dashboard/actions/confirm.html", context, status=status)


def _confirm(request: HttpRequest, action: str) -> HttpResponse:
    requested_next = next_path(request, fallback="")
    data = request.POST if request.method == "POST" else request.GET
    try:
        kind, selection = requested_selection(data)
        algorithm = actions.parse_algorithm(data.get("write_algorithm"))
    except (ActionInputError, filters.InvalidFilter) as problem:
        return _bad_request(request, str(problem))
    next_url = requested_next or reverse(FALLBACK_PAGE)
    if not requested_next and kind == confirmations.FILTER:  # back to the filtered list
        next_url += "?" + urlencode(selection.as_params())
    return _confirm_page(request, action, kind, selection, next_url=next_url, algorithm=algorithm)


def _perform(request: HttpRequest, action: str) -> HttpResponse:
    next_url = _next_url(request)  # validated before anything else happens
    try:
        confirmed = confirmations.read(
            request.POST.get(confirmations.FIELD), action=action, user=request.user
        )
        selection = actions.selection_for(confirmed.kind, confirmed.params)
        algorithm = actions.parse_algorithm(request.POST.get("write_algorithm"))
    except (confirmations.InvalidConfirmation, ActionInputError, filters.InvalidFilter) as problem:
        return _bad_request(request, str(problem))
    if bulk.runs_as_job(confirmed.count):
        return _start_job(request, action, confirmed, selection, algorithm, next_url)
    try:
        result = actions.perform_action(
            action,
            selection,
            user=request.user,
            algorithm=algorithm,
            confirmed_count=confirmed.count,
        )
    except (SelectionGrew, WriteAlgorithmUnavailable) as problem:
        return _ask_again(request, action, confirmed, selection, next_url, algorithm, problem)
    except LookupError as problem:  # a mapped table is missing: nothing changed
        messages.error(request, f"Nothing changed: {problem}")
        return HttpResponseRedirect(next_url)
    except Exception as error:
        if is_statement_timeout(error):
            raise  # the statement-timeout page (app.core.middleware) says what happened
        logger.exception("Dashboard %s failed", action)
        messages.error(request, "Nothing changed: the operation failed; see the server log.")
        return HttpResponseRedirect(next_url)
    text = result.message()
    if confirmed.count > result.total:
        text += (
            f" {confirmed.count - result.total:,} of the {confirmed.count:,} confirmed were no "
            "longer FAILED (handled meanwhile) or could not be re-captured (record deleted)."
        )
    messages.success(request, text)
    return HttpResponseRedirect(next_url)


def _ask_again(
    request: HttpRequest,
    action: str,
    confirmed: confirmations.Confirmation,
    selection: SelectionLike,
    next_url: str,
    algorithm: WriteAlgorithm | None,
    problem: SelectionGrew | WriteAlgorithmUnavailable,
) -> HttpResponse:
    """Nothing changed: the confirmation page again, with the problem and a new confirmation.
    A grown selection is counted anew (409); an unreadable write algorithm is offered as an
    explicit choice (503)."""
    unavailable = isinstance(problem, WriteAlgorithmUnavailable)
    return _confirm_page(
        request,
        action,
        confirmed.kind,
        selection,
        next_url=next_url,
        algorithm=None if unavailable else algorithm,
        error=str(problem),
        look_up=not unavailable,
        status=503 if unavailable else 409,
    )


def _start_job(
    request: HttpRequest,
    action: str,
    confirmed: confirmations.Confirmation,
    selection: SelectionLike,
    algorithm: WriteAlgorithm | None,
    next_url: str,
) -> HttpResponse:
    """A large selection: re-count it, then hand it to a background job and show its progress."""
    plan = actions.plan_action(action, selection, algorithm=algorithm, look_up=False)
    if plan.total > confirmed.count:
        grew = SelectionGrew(confirmed=confirmed.count, found=plan.total)
        return _ask_again(request, action, confirmed, selection, next_url, algorithm, grew)
    chosen = algorithm is not None
    try:
        if action == actions.RETRY and algorithm is None:
            algorithm = actions.lookup_write_algorithm()
        job = bulk.start_job(
            action=action,
            kind=confirmed.kind,
            selection=selection,
            confirmed_count=confirmed.count,
            confirmation=confirmed.nonce,
            user=request.user,
            algorithm=algorithm if action == actions.RETRY else None,
            chosen=chosen,
        )
    except WriteAlgorithmUnavailable as problem:
        return _ask_again(request, action, confirmed, selection, next_url, algorithm, problem)
    except bulk.JobAlreadyStarted as started:
        return redirect("dashboard:bulk_job", pk=started.job.pk)
    messages.info(
        request,
        f"{job.get_action_display()} of {confirmed.count:,} writes started as job #{job.pk}; "
        "this page follows its progress.",
    )
    return redirect("dashboard:bulk_job", pk=job.pk)


@require_http_methods(["GET", "POST"])
@require_perm(RETRY_WRITES)
def retry_confirm(request: HttpRequest) -> HttpResponse:
    """What a retry of the selection would change (POST here only renders, never acts)."""
    return _confirm(request, actions.RETRY)


@require_http_methods(["GET", "POST"])
@require_perm(IGNORE_WRITES)
def ignore_confirm(request: HttpRequest) -> HttpResponse:
    return _confirm(request, actions.IGNORE)


@require_POST
@require_perm(RETRY_WRITES)
def retry(request: HttpRequest) -> HttpResponse:
    return _perform(request, actions.RETRY)


@require_POST
@require_perm(IGNORE_WRITES)
def ignore(request: HttpRequest) -> HttpResponse:
    return _perform(request, actions.IGNORE)


# --- Bulk jobs ------------------------------------------------------------------------------

#: htmx (and static/connections/progress.js) stop polling when a response has this status.
HTMX_STOP_POLLING = 286
#: The permission needed to act on (cancel) a job of each action.
ACTION_PERMISSIONS = {actions.RETRY: RETRY_WRITES, actions.IGNORE: IGNORE_WRITES}


@require_GET
@require_perm(VIEW_DASHBOARD)
def bulk_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of one bulk job: htmx requests get the partial, 286 once it has ended."""
    job = get_object_or_404(BulkActionJob.objects.select_related("requested_by"), pk=pk)
    context = {
        "job": job,
        "can_cancel": job.is_active and request.user.has_perm(ACTION_PERMISSIONS[job.action]),
    }
    if getattr(request, "htmx", False):
        status = 200 if job.is_active else HTMX_STOP_POLLING
        return render(request, "dashboard/actions/_job_progress.html", context, status=status)
    return render(request, "dashboard/actions/job.html", context)


@require_POST
@require_perm(VIEW_DASHBOARD)
def bulk_job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop a job before its next batch (needs the permission of the job's action)."""
    job = get_object_or_404(BulkActionJob, pk=pk)
    permission = ACTION_PERMISSIONS[job.action]
    if not request.user.has_perm(permission):
        return forbidden(request, permission)
    job = bulk.request_cancel(job.pk, user=request.user)
    if job.state == BulkActionJob.State.CANCELLED:
        messages.info(request, f"Job #{job.pk} cancelled: {job.done:,} writes had been changed.")
    elif job.is_active:
        messages.info(request, f"Job #{job.pk} stops after its current batch.")
    else:
        messages.info(request, f"Job #{job.pk} had already ended ({job.get_state_display()}).")
    return redirect("dashboard:bulk_job", pk=job.pk)


# --- Auto-retry policy ----------------------------------------------------------------------


class AutoRetryPolicyForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Enabled")
    codes = forms.MultipleChoiceField(
        choices=[(code, code) for code in autoretry.TRANSIENT_CODES],
        widget=forms.CheckboxSelectMultiple,
        label="Transient errors to retry",
    )
    max_attempts = forms.IntegerField(min_value=1, max_value=20, label="Attempts per record")
    backoff_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60, label="First backoff (minutes, doubling)"
    )
    max_age_hours = forms.IntegerField(
        min_value=1, max_value=31 * 24, label="Only failures captured in the last (hours)"
    )


@require_http_methods(["GET", "POST"])
@require_perm(VIEW_DASHBOARD)
def autoretry_policy(request: HttpRequest) -> HttpResponse:
    """Show the policy and its last runs; operators with ``retry_writes`` may change it."""
    policy = AutoRetryPolicy.current()
    can_change = request.user.has_perm(RETRY_WRITES)
    status = 200
    if request.method == "POST":
        if not can_change:
            return forbidden(request, RETRY_WRITES)
        form = AutoRetryPolicyForm(request.POST)
        if form.is_valid():
            autoretry.update_policy(user=request.user, **form.cleaned_data)
            state = "enabled" if form.cleaned_data["enabled"] else "disabled"
            messages.success(request, f"Auto-retry {state}.")
            return redirect("dashboard:autoretry")
        status = 400
    else:
        form = AutoRetryPolicyForm(initial=autoretry.policy_params(policy))
    context = {
        "policy": policy,
        "form": form,
        "can_change": can_change,
        "runs": autoretry.recent_runs(),
        "tracked_records": AutoRetryAttempt.objects.count(),
        "exhausted_records": AutoRetryAttempt.objects.filter(
            attempts__gte=policy.max_attempts
        ).count(),
    }
    return render(request, "dashboard/actions/autoretry.html", context, status=status)
