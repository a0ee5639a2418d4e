"""Login throttling on django-axes: one limit per kind of key, lockouts listed and lifted.

Failed logins count within the cool-off (``LOGIN_COOLOFF_MINUTES``) against three keys, each
with its own limit (``LOGIN_THROTTLE_LIMITS`` in the settings):

* one account from one client (``LOGIN_FAILURE_LIMIT``, 5): someone mistyping, or guessing
  one password from one place;
* one account from any client (``LOGIN_FAILURE_LIMIT_PER_USER``, 10): guessing spread over
  many addresses; higher than the first, so locking a person out from everywhere takes more;
* any account from one client (``LOGIN_FAILURE_LIMIT_PER_IP``, 20): one address trying many
  accounts (password spraying); higher still, since an office shares one address.

django-axes stores one row per (username, address, user agent) and locks when the failures of
any of its lockout parameters reach one limit; :class:`LoginThrottleHandler` gives each key
its own limit by comparing every key's count with that key's limit. A successful login forgives
only that account's failures from that client, never another client's.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from dataclasses import dataclass

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

Key = tuple[str, ...]

KEY_LABELS: dict[Key, str] = {
    ("username", "ip_address"): "this account from this address",
    ("username",): "this account from any address",
    ("ip_address",): "any account from this address",
}


def limits() -> dict[Key, int]:
    """``{lockout key: failures that lock it}``, read at call time."""
    return {tuple(key): int(limit) for key, limit in settings.LOGIN_THROTTLE_LIMITS.items()}


def cool_off() -> datetime.timedelta:
    return get_cool_off() or datetime.timedelta(0)


def _window() -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cool_off())


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """django-axes' database handler with one limit per lockout key (see the module)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures of the key nearest its limit, in units of axes' own limit.

        Axes locks when this reaches ``AXES_FAILURE_LIMIT`` (the smallest key limit); a key
        with a larger limit counts ``failures * smallest // its limit``, which reaches the
        smallest limit exactly when its own failures reach its own limit.
        """
        base = get_failure_limit(request, credentials)
        values = {"username": get_client_username(request, credentials)}
        values["ip_address"] = request.axes_ip_address
        threshold = get_cool_off_threshold(request)
        nearest = 0
        for key, limit in limits().items():
            if any(values[field] is None for field in key):
                continue
            attempts = AccessAttempt.objects.filter(
                attempt_time__gte=threshold, **{field: values[field] for field in key}
            )
            nearest = max(nearest, _failures(attempts) * base // limit)
        return nearest

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After a successful login: forget this account's failures from this address only."""
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        ).delete()
        return count


@dataclass(frozen=True)
class Lockout:
    """One key that has reached its limit within the cool-off."""

    key: Key
    username: str | None
    ip_address: str | None
    failures: int
    limit: int
    until: datetime.datetime

    @property
    def label(self) -> str:
        return KEY_LABELS.get(self.key, " + ".join(self.key))


def current_lockouts(
    *, username: str | None = None, ip_address: str | None = None
) -> list[Lockout]:
    """Every key locked now (optionally only those a login as ``username`` from
    ``ip_address`` runs into), soonest to expire last. One query per key kind."""
    window = _window()
    found: list[Lockout] = []
    for key, limit in limits().items():
        rows = window.filter(**{f"{field}__isnull": False for field in key})
        if username is not None or ip_address is not None:
            given = {"username": username, "ip_address": ip_address}
            rows = rows.filter(**{field: given[field] for field in key})
        grouped = (
            rows.values(*key)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
            .order_by(*key)
        )
        found += [
            Lockout(
                key=key,
                username=row.get("username"),
                ip_address=row.get("ip_address"),
                failures=row["failures"],
                limit=limit,
                until=row["last"] + cool_off(),
            )
            for row in grouped
        ]
    return sorted(found, key=lambda lockout: lockout.until, reverse=True)


def minutes_left(lockouts: list[Lockout]) -> int:
    """Whole minutes (at least 1) until every one of ``lockouts`` has expired."""
    if not lockouts:
        return max(1, math.ceil(cool_off().total_seconds() / 60))
    seconds = (max(lockout.until for lockout in lockouts) - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def _matching(username: str | None, ip_address: str | None) -> QuerySet[AccessAttempt]:
    attempts = AccessAttempt.objects.all()
    if username is not None:
        attempts = attempts.filter(username=username)
    if ip_address is not None:
        attempts = attempts.filter(ip_address=ip_address)
    return attempts


def lift_lockout(*, username: str | None, ip_address: str | None) -> int:
    """Forget the failures behind a lockout key; returns how many failed logins were forgotten.

    A username alone clears that account's failures from every address; an address alone
    clears every failure from it; both clear that account's failures from that address.
    """
    if username is None and ip_address is None:
        raise ValueError("Name a username, an address or both.")
    attempts = _matching(username, ip_address)
    forgotten = _failures(attempts)
    attempts.delete()
    return forgotten


def iter_key_limits() -> Iterator[tuple[str, int]]:
    """(label, limit) of every key, for pages that explain the policy."""
    for key, limit in limits().items():
        yield KEY_LABELS.get(key, " + ".join(key)), limit
