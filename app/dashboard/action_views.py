"""Retry / ignore pages (confirm on GET, act on POST) and the auto-retry policy page.

Views are thin: parse the selection (tampered input is a 400 and changes nothing), call
:mod:`app.dashboard.actions` or :mod:`app.dashboard.autoretry`, report with a message.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from app.audit.models import AutoRetryAttempt, AutoRetryPolicy
from app.dashboard import actions, autoretry, filters
from app.dashboard.access import (
    IGNORE_WRITES,
    RETRY_WRITES,
    VIEW_DASHBOARD,
    forbidden,
    require_perm,
)
from app.dashboard.actions import ActionInputError, SelectionLike, WriteAlgorithmUnavailable

logger = logging.getLogger(__name__)

#: Parameters of the confirmation form that are not part of a filter.
_CONTROL_PARAMS = (
    "csrfmiddlewaretoken",
    "scope",
    "id",
    "ids",
    "next",
    "write_algorithm",
    "expected",
)


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dashboard/actions/invalid.html", {"message": message}, status=400)


def _selection(data: QueryDict) -> tuple[str, SelectionLike]:
    """``("ids", IdSelection)`` or ``("filter", Selection)``; invalid input raises
    :class:`ActionInputError` / :class:`filters.InvalidFilter`."""
    scope = data.get("scope") or ("ids" if "id" in data or "ids" in data else "filter")
    if scope == "ids":  # checkboxes of the failure list are named "ids", the detail page "id"
        return scope, actions.parse_ids(data.getlist("id") + data.getlist("ids"))
    if scope == "filter":
        params = {k: v for k, v in data.items() if k not in _CONTROL_PARAMS}
        return scope, filters.selection_from_params(params)
    raise ActionInputError(f"Unknown scope {scope[:20]!r}.")


def _next_url(request: HttpRequest, scope: str, selection: SelectionLike) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    failures = reverse("dashboard:failures")
    if scope == "filter":
        return f"{failures}?{urlencode(selection.as_params())}"
    return failures


def _hidden_fields(scope: str, selection: SelectionLike) -> list[tuple[str, str]]:
    """The selection as (name, value) pairs, re-posted by the confirmation form."""
    if scope == "ids":
        return [("id", token) for token in selection.as_params()["ids"]]
    return sorted(selection.as_params().items())


def _confirm_page(
    request: HttpRequest,
    action: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    try:
        scope, selection = _selection(data)
        algorithm = actions.parse_algorithm(data.get("write_algorithm"))
    except (ActionInputError, filters.InvalidFilter) as problem:
        return _bad_request(request, str(problem))
    plan = actions.plan_action(action, selection, algorithm=algorithm, look_up=not error)
    context: dict[str, Any] = {
        "action": action,
        "plan": plan,
        "scope": scope,
        "hidden": _hidden_fields(scope, selection),
        "next": _next_url(request, scope, selection),
        "error": error or plan.algorithm_error,
        "chosen_algorithm": data.get("write_algorithm") or "auto",
        "merged_effects": plan.retry_effects(actions.ALGORITHM_CHOICES["merged"]),
        "ordered_effects": plan.retry_effects(actions.ALGORITHM_CHOICES["ordered"]),
        "perform_url": reverse(f"dashboard:{action}"),
    }
    return render(request, "dashboard/actions/confirm.html", context, status=status)


def _perform(request: HttpRequest, action: str) -> HttpResponse:
    try:
        scope, selection = _selection(request.POST)
        algorithm = actions.parse_algorithm(request.POST.get("write_algorithm"))
        expected = int(request.POST.get("expected") or 0)
    except (ActionInputError, filters.InvalidFilter) as problem:
        return _bad_request(request, str(problem))
    except ValueError:
        return _bad_request(request, "Invalid expected count.")
    next_url = _next_url(request, scope, selection)
    try:
        result = actions.perform_action(action, selection, user=request.user, algorithm=algorithm)
    except WriteAlgorithmUnavailable as problem:
        return _confirm_page(request, action, error=str(problem), status=503)
    except LookupError as problem:  # a mapped table is missing: nothing changed
        messages.error(request, f"Nothing changed: {problem}")
        return redirect(next_url)
    except Exception:
        logger.exception("Dashboard %s failed", action)
        messages.error(request, "Nothing changed: the operation failed; see the server log.")
        return redirect(next_url)
    text = result.message()
    if expected > result.total:
        text += (
            f" {expected - result.total:,} of the {expected:,} confirmed were no longer FAILED "
            "(handled meanwhile) or could not be re-captured (record deleted)."
        )
    messages.success(request, text)
    return redirect(next_url)


@require_http_methods(["GET", "POST"])
@require_perm(RETRY_WRITES)
def retry_confirm(request: HttpRequest) -> HttpResponse:
    """What a retry of the selection would change (POST here only renders, never acts)."""
    return _confirm_page(request, actions.RETRY)


@require_http_methods(["GET", "POST"])
@require_perm(IGNORE_WRITES)
def ignore_confirm(request: HttpRequest) -> HttpResponse:
    return _confirm_page(request, actions.IGNORE)


@require_POST
@require_perm(RETRY_WRITES)
def retry(request: HttpRequest) -> HttpResponse:
    return _perform(request, actions.RETRY)


@require_POST
@require_perm(IGNORE_WRITES)
def ignore(request: HttpRequest) -> HttpResponse:
    return _perform(request, actions.IGNORE)


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
