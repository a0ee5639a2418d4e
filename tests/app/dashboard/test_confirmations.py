"""The signed scope of a confirmation page (app.dashboard.confirmations)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import signing

from app.dashboard import confirmations
from app.dashboard.confirmations import InvalidConfirmation

SELECTION = {"group": "UNABLE_TO_LOCK_ROW.YWNjb3VudAp4", "source": "both", "state": "FAILED"}


@pytest.fixture
def olivia(db) -> User:
    return User.objects.create_user("olivia")


@pytest.fixture
def oscar(db) -> User:
    return User.objects.create_user("oscar")


def _issue(user: User, action: str = "retry", **overrides) -> str:
    fields = {"kind": "filter", "params": SELECTION, "count": 12, **overrides}
    return confirmations.issue(action=action, user=user, **fields)


def test_read__returns_what_was_confirmed(olivia):
    """The token carries the action's selection, its count and a per-page nonce."""
    token = _issue(olivia)
    confirmed = confirmations.read(token, action="retry", user=olivia)
    assert (confirmed.kind, confirmed.params, confirmed.count) == ("filter", SELECTION, 12)
    assert confirmed.user_id == olivia.pk
    assert confirmations.read(_issue(olivia), action="retry", user=olivia).nonce != confirmed.nonce


@pytest.mark.parametrize("token", [None, "", 7, ["x"], "abc", "a:b:c", "x" * 5000])
def test_read__missing_or_garbage_is_refused(olivia, token):
    """No token or a string that was never signed by us is refused."""
    with pytest.raises(InvalidConfirmation):
        confirmations.read(token, action="retry", user=olivia)


def test_read__bound_to_the_user_and_the_action(olivia, oscar):
    """Another user's token, or the retry token used to ignore, is refused."""
    token = _issue(olivia)
    with pytest.raises(InvalidConfirmation, match="another user"):
        confirmations.read(token, action="retry", user=oscar)
    with pytest.raises(InvalidConfirmation):
        confirmations.read(token, action="ignore", user=olivia)


def test_read__tampered_payload_is_refused(olivia):
    """Changing the count (or any byte of the payload) breaks the signature."""
    token = _issue(olivia, kind="ids", params={"ids": ["live:1"]}, count=1)
    payload, _sep, rest = token.partition(":")
    forged = signing.dumps(
        {"u": olivia.pk, "k": "ids", "p": {"ids": ["live:1"]}, "n": 99, "r": "x"},
        salt="another.salt",
        compress=True,
    )
    for bad in (payload[:-1] + ("A" if payload[-1] != "A" else "B") + ":" + rest, forged):
        with pytest.raises(InvalidConfirmation):
            confirmations.read(bad, action="retry", user=olivia)


def test_read__signed_but_malformed_payloads_are_refused(olivia):
    """A correctly signed payload of the wrong shape (as a key leak would allow) is refused."""
    salt = "app.dashboard.confirmations.retry"
    for payload in (
        [1, 2],
        {"u": olivia.pk},
        {"u": olivia.pk, "k": "everything", "p": {}, "n": 1, "r": "x"},
        {"u": olivia.pk, "k": "ids", "p": [], "n": 1, "r": "x"},
        {"u": olivia.pk, "k": "ids", "p": {}, "n": -1, "r": "x"},
        {"u": True, "k": "ids", "p": {}, "n": 1, "r": "x"},
    ):
        with pytest.raises(InvalidConfirmation):
            confirmations.read(signing.dumps(payload, salt=salt), action="retry", user=olivia)


def test_read__expires(olivia, settings):
    """A confirmation older than DASHBOARD_CONFIRMATION_MAX_AGE is refused as expired."""
    token = _issue(olivia)
    settings.DASHBOARD_CONFIRMATION_MAX_AGE = -1
    with pytest.raises(InvalidConfirmation, match="expired"):
        confirmations.read(token, action="retry", user=olivia)


def test_issue__unknown_kind_is_a_programming_error(olivia):
    with pytest.raises(ValueError, match="kind"):
        _issue(olivia, kind="everything")
