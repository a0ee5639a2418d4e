"""``next`` is a local path or ignored, everywhere a ``next`` is accepted, and is checked before
anything happens (issue 9, item 2: ``next=overview-x`` used to commit, then answer 500)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from app.audit.models import AuditEntry
from app.core.redirects import local_path
from heroku_connect.models import TriggerLog
from tests.app.dashboard.confirming import confirm, confirmation_token
from tests.app.dashboard.connect_api import unreachable_api
from tests.heroku_connect.trigger_log.factories import make_log
from tests.url_catalog import ALL_PERMISSIONS, VIEW, make_user

pytestmark = pytest.mark.django_db

#: Values that are not a local path: view names, bare words, other sites, scheme tricks,
#: backslashes and control characters.
NOT_LOCAL = [
    "overview-x",
    "0",
    "foo",
    "dashboard:overview",
    "failures/",
    "https://evil.example/",
    "//evil.example/x",
    "///evil.example/x",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/failures/\x00",
    "/failures/\r\nSet-Cookie: x=1",
    "/" + "x" * 3000,
    " /failures/",
]


@pytest.fixture
def operator_client(client: Client) -> Client:
    client.force_login(make_user("oona", ALL_PERMISSIONS))
    return client


def test_local_path__only_paths_of_this_site(rf):
    """A path on this site is kept; everything else is None."""
    request = rf.get("/")
    assert local_path(request, "/failures/?table=account&source=both") == (
        "/failures/?table=account&source=both"
    )
    assert local_path(request, "/") == "/"
    for value in [*NOT_LOCAL, None, 7, ["/failures/"]]:
        assert local_path(request, value) is None, value


@pytest.mark.parametrize("action", ["retry", "ignore"])
@pytest.mark.parametrize("value", NOT_LOCAL)
def test_perform__a_bad_next_falls_back_to_the_failure_list(operator_client, action, value):
    """The action is done once, audited once and redirects to the failure list: no 500, no
    foreign or broken redirect."""
    log = make_log()
    token = confirm(operator_client, action, {"ids": f"live:{log.pk}", "write_algorithm": "merged"})
    response = operator_client.post(
        reverse(f"dashboard:{action}"),
        {"confirmation": token, "next": value, "write_algorithm": "merged"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:failures")
    assert TriggerLog.objects.get(pk=log.pk).state == ("NEW" if action == "retry" else "IGNORED")
    assert AuditEntry.objects.filter(outcome="ok").count() == 1


@pytest.mark.parametrize("value", NOT_LOCAL)
def test_confirm__a_bad_next_never_reaches_the_page(operator_client, value):
    """A crafted confirmation link cannot put a bad ``next`` into the form or the links."""
    log = make_log()
    for method in (operator_client.get, operator_client.post):
        response = method(
            reverse("dashboard:ignore_confirm"), {"ids": f"live:{log.pk}", "next": value}
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="next" value="/failures/"' in html
        assert "evil.example" not in html
        confirmation_token(response)  # the form is there


def test_confirm__a_local_next_is_kept(operator_client):
    log = make_log()
    response = operator_client.get(
        reverse("dashboard:ignore_confirm"), {"ids": f"live:{log.pk}", "next": "/groups/"}
    )
    assert 'name="next" value="/groups/"' in response.content.decode()


@pytest.mark.parametrize("value", NOT_LOCAL)
def test_login__a_bad_next_goes_to_the_overview(client, value):
    """Login follows only local paths; the form never carries a bad ``next``."""
    make_user("lena", (VIEW,))
    page = client.get(reverse("login"), {"next": value})
    assert page.status_code == 200
    assert "evil.example" not in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "lena", "password": "pw-lena", "next": value}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:overview")


@pytest.mark.parametrize("value", NOT_LOCAL)
def test_logout__a_bad_next_goes_to_the_login_page(client, value):
    client.force_login(make_user("lena"))
    response = client.post(reverse("logout"), {"next": value})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_login_and_logout__a_local_next_is_followed(client):
    make_user("lena", (VIEW,))
    response = client.post(
        reverse("login"), {"username": "lena", "password": "pw-lena", "next": "/groups/"}
    )
    assert response["Location"] == "/groups/"
    assert client.post(reverse("logout"), {"next": "/groups/"})["Location"] == "/groups/"


def test_login_redirect__an_overlong_query_is_dropped(client):
    """Anonymous with a huge query string: sent to login with the path alone (a redirect that
    long is refused by Django, and no ``next`` that long is followed)."""
    response = client.get(reverse("dashboard:failures"), {"q": "x" * 20_000})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/failures/"


@pytest.mark.parametrize("value", NOT_LOCAL)
def test_connections_refresh__a_bad_next_goes_to_the_status_page(operator_client, value):
    """'Refresh now' redirects to a local ``next`` only (``foo`` was passed to ``redirect()``
    after the refresh had run and been audited: a 500)."""
    with unreachable_api():
        response = operator_client.post(reverse("connections:refresh"), {"next": value})
    assert response.status_code == 302
    assert response["Location"] == reverse("connections:status")


def test_connections_refresh__a_local_next_is_followed(operator_client):
    with unreachable_api():
        response = operator_client.post(reverse("connections:refresh"), {"next": "/groups/"})
    assert response["Location"] == "/groups/"
