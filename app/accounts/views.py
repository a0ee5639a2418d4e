"""The lockout page shown at the login form, and the Administrators' list of lockouts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from app.audit.services import record_action
from app.dashboard.access import require_perm

from . import throttle
from .client_ip import client_ip

VIEW_LOCKOUTS = "axes.view_accessattempt"
LIFT_LOCKOUTS = "axes.delete_accessattempt"


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``): 429 with the wait in minutes."""
    username = (credentials or {}).get("username") or request.POST.get("username") or None
    lockouts = throttle.current_lockouts(username=username, ip_address=client_ip(request))
    minutes = throttle.minutes_left(lockouts)
    response = TemplateResponse(
        request, "accounts/locked_out.html", {"minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response.render()


class LiftLockoutForm(forms.Form):
    username = forms.CharField(required=False, max_length=150)
    ip_address = forms.GenericIPAddressField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not (data.get("username") or data.get("ip_address")):
            raise forms.ValidationError("Name the username, the address or both.")
        return data


def _page(request: HttpRequest, form: LiftLockoutForm | None = None, status: int = 200):
    return TemplateResponse(
        request,
        "accounts/lockouts.html",
        {
            "lockouts": throttle.current_lockouts(),
            "policy": list(throttle.iter_key_limits()),
            "cool_off_minutes": int(throttle.cool_off().total_seconds() // 60),
            "can_lift": request.user.has_perm(LIFT_LOCKOUTS),
            "form": form,
        },
        status=status,
    )


@require_GET
@require_perm(VIEW_LOCKOUTS)
def lockouts(request: HttpRequest) -> HttpResponse:
    """Every account and address locked out now, with its failures and when it ends."""
    return _page(request)


@require_POST
@require_perm(LIFT_LOCKOUTS)
def lift(request: HttpRequest) -> HttpResponse:
    """Lift one lockout (forget its failed logins) and record who did it."""
    form = LiftLockoutForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    username = form.cleaned_data["username"] or None
    ip_address = form.cleaned_data["ip_address"] or None
    forgotten = throttle.lift_lockout(username=username, ip_address=ip_address)
    target = " from ".join(
        part
        for part in (
            f"account {username!r}" if username else "",
            f"address {ip_address}" if ip_address else "",
        )
        if part
    )
    record_action(
        user=request.user,
        action="auth.lockout_lifted",
        target=target,
        selection={"username": username, "ip": ip_address},
        row_count=forgotten,
    )
    messages.success(request, f"Lifted the lockout of {target} ({forgotten} failed logins).")
    return redirect("accounts:lockouts")
