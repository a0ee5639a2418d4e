"""Nothing acts on what nobody selected (issue 9, item 1): performing a retry / ignore needs the
signed scope a confirmation page issued; every other POST is a 400 that changes nothing."""

from __future__ import annotations

import json

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from app.dashboard import confirmations
from tests.app.dashboard.confirming import confirm
from tests.heroku_connect.trigger_log.factories import make_log
from tests.url_catalog import ALL_PERMISSIONS, make_user, state_counts

pytestmark = pytest.mark.django_db

ACTIONS = ["retry", "ignore"]


@pytest.fixture
def failures():
    """FAILED rows that an unscoped action used to change ("everything FAILED")."""
    return [make_log() for _ in range(3)]


@pytest.fixture
def operator(db):
    return make_user("oona", ALL_PERMISSIONS)


@pytest.fixture
def operator_client(client: Client, operator) -> Client:
    client.force_login(operator)
    return client


def _refused(response) -> None:
    assert response.status_code == 400, response.status_code
    assert "Nothing was changed" in response.content.decode()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"scope": "filter"},
        {"scope": "ids"},
        {"scope": "filter", "source": "both", "state": "FAILED", "expected": "3"},
        {"ids": "live:1"},
        {"id": "live:1", "expected": "1"},
        {"confirmation": ""},
        {"confirmation": "null"},
        {"confirmation": ["a", "b"]},
    ],
)
def test_perform__without_a_confirmation_is_a_400(operator_client, failures, action, body):
    """Empty forms, the old selection fields, or no usable token: 400, nothing changed."""
    before = state_counts()
    _refused(operator_client.post(reverse(f"dashboard:{action}"), body))
    assert state_counts() == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "payload", [{"id": "live:1"}, {"scope": "filter"}, {"confirmation": "x"}, [1, 2], "x"]
)
def test_perform__json_bodies_are_a_400(operator_client, failures, action, payload):
    """A JSON body is no form: 400, nothing changed (it once ignored 100,528 rows)."""
    before = state_counts()
    response = operator_client.post(
        reverse(f"dashboard:{action}"), json.dumps(payload), content_type="application/json"
    )
    _refused(response)
    assert state_counts() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_perform__another_users_confirmation_is_a_400(client, operator, failures, action):
    """A token issued to one operator does not work for another one."""
    client.force_login(operator)
    token = confirm(client, action, {"ids": f"live:{failures[0].pk}", "write_algorithm": "merged"})
    client.force_login(make_user("otto", ALL_PERMISSIONS))
    before = state_counts()
    _refused(client.post(reverse(f"dashboard:{action}"), {"confirmation": token}))
    assert state_counts() == before


def test_perform__the_other_actions_confirmation_is_a_400(operator_client, failures):
    """A retry confirmation cannot ignore (the salt is per action), and the reverse."""
    data = {"ids": f"live:{failures[0].pk}", "write_algorithm": "merged"}
    retry_token = confirm(operator_client, "retry", data)
    ignore_token = confirm(operator_client, "ignore", data)
    before = state_counts()
    _refused(operator_client.post(reverse("dashboard:ignore"), {"confirmation": retry_token}))
    _refused(operator_client.post(reverse("dashboard:retry"), {"confirmation": ignore_token}))
    assert state_counts() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_perform__expired_or_tampered_confirmations_are_a_400(
    operator_client, operator, failures, action, settings
):
    """An expired token, an edited one and one signed with another salt are refused."""
    token = confirm(operator_client, action, {"ids": f"live:{failures[0].pk}"})
    forged = signing.dumps(
        {"u": operator.pk, "k": "filter", "p": {"source": "both"}, "n": 10**9, "r": "x"},
        salt="app.dashboard.pagination.cursor",
        compress=True,
    )
    before = state_counts()
    url = reverse(f"dashboard:{action}")
    for bad in (token[:-2] + "xx", token.replace(":", ".", 1), forged, token + token):
        _refused(operator_client.post(url, {"confirmation": bad}))
    settings.DASHBOARD_CONFIRMATION_MAX_AGE = -1
    response = operator_client.post(url, {"confirmation": token})
    _refused(response)
    assert "expired" in response.content.decode()
    assert state_counts() == before


@pytest.mark.parametrize("action", ACTIONS)
def test_confirm__without_a_selection_is_a_400(operator_client, failures, action):
    """The confirmation page itself has no default selection either."""
    before = state_counts()
    for body in ({}, {"scope": "filter"}, {"scope": "ids"}, {"next": "/failures/"}):
        _refused(operator_client.post(reverse(f"dashboard:{action}_confirm"), body))
        _refused(operator_client.get(reverse(f"dashboard:{action}_confirm"), body))
    assert state_counts() == before


def test_confirm__the_whole_failure_list_is_an_explicit_filter(operator_client, failures):
    """ "Retry all matching…" of an unfiltered list names its filter and counts it; that count is
    what the token allows."""
    response = operator_client.get(
        reverse("dashboard:ignore_confirm"), {"source": "both", "state": "FAILED"}
    )
    assert response.status_code == 200
    assert "Ignore 3 FAILED writes: FAILED writes, live and archived" in response.content.decode()
    assert confirmations.FIELD in response.content.decode()
