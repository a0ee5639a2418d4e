"""The signed scope a confirmation page issues, and that performing a retry / ignore requires.

The confirmation page counts the FAILED rows of an explicit selection and signs, per action,
who may act (the user's id), on what (the selection's kind and parameters, exactly as counted)
and how many rows they saw, with a time stamp. The POST that performs the action carries only
this token: no token, a tampered one, one for the other action, another user's or an expired
one is refused (400) before anything changes, so a request without a confirmed selection can
never act on "everything FAILED".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

__all__ = (
    "FIELD",
    "KINDS",
    "Confirmation",
    "InvalidConfirmation",
    "issue",
    "max_age",
    "read",
)

#: The form field that carries the token.
FIELD = "confirmation"
IDS, FILTER = "ids", "filter"
KINDS = (IDS, FILTER)
_KEYS = {"u", "k", "p", "n", "r"}


class InvalidConfirmation(ValueError):
    """No usable confirmation: missing, tampered, expired, or not this user's / action's."""


@dataclass(frozen=True)
class Confirmation:
    """What the operator confirmed: the selection (``kind`` and ``params``) and its count."""

    action: str
    user_id: int
    kind: str
    params: dict[str, Any]
    count: int
    #: Random per confirmation page: tells two confirmations of the same selection apart.
    nonce: str


def max_age() -> int:
    """Seconds a confirmation stays valid (setting ``DASHBOARD_CONFIRMATION_MAX_AGE``)."""
    return int(settings.DASHBOARD_CONFIRMATION_MAX_AGE)


def _salt(action: str) -> str:
    return f"app.dashboard.confirmations.{action}"


def issue(*, action: str, user: Any, kind: str, params: dict[str, Any], count: int) -> str:
    """A token for ``user`` to perform ``action`` on the selection ``kind``/``params``, which
    had ``count`` FAILED rows when the page was shown."""
    if kind not in KINDS:
        raise ValueError(f"Unknown selection kind {kind!r}.")
    payload = {"u": user.pk, "k": kind, "p": params, "n": count, "r": secrets.token_urlsafe(9)}
    return signing.dumps(payload, salt=_salt(action), compress=True)


def read(token: object, *, action: str, user: Any) -> Confirmation:
    """The confirmation in ``token``; :class:`InvalidConfirmation` unless it was issued for this
    action to this user within :func:`max_age` seconds and is well-formed."""
    if not isinstance(token, str) or not token:
        raise InvalidConfirmation(
            "Nothing was confirmed: open the confirmation page (Retry… / Ignore…) and confirm "
            "the selection there."
        )
    try:
        payload = signing.loads(token, salt=_salt(action), max_age=max_age())
    except signing.SignatureExpired:
        raise InvalidConfirmation(
            "The confirmation has expired: open the confirmation page again."
        ) from None
    except (signing.BadSignature, ValueError, TypeError, OverflowError):
        # (a forged compressed payload can fail to decompress or decode)
        raise InvalidConfirmation("Invalid confirmation.") from None
    if not _well_formed(payload):
        raise InvalidConfirmation("Invalid confirmation.")
    if payload["u"] != getattr(user, "pk", None):
        raise InvalidConfirmation("This confirmation was issued to another user.")
    return Confirmation(
        action=action,
        user_id=payload["u"],
        kind=payload["k"],
        params=payload["p"],
        count=payload["n"],
        nonce=payload["r"],
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _well_formed(payload: object) -> bool:
    if not isinstance(payload, dict) or set(payload) != _KEYS:
        return False
    params = payload["p"]
    return (
        _is_int(payload["u"])
        and payload["k"] in KINDS
        and isinstance(params, dict)
        and all(isinstance(key, str) for key in params)
        and _is_int(payload["n"])
        and payload["n"] >= 0
        and isinstance(payload["r"], str)
    )
