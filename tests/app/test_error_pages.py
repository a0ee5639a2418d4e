"""No traceback reaches an operator: our 500, 404, 403 and CSRF pages, also without a database."""

from __future__ import annotations

import logging

import psycopg
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from heroku_connect.test.simulator import dsn_from_settings_dict
from tests.app.test_url_security import ALL_PERMISSIONS, make_user

SHELL = b"Heroku Connect Operator"


def assert_no_trace(body: bytes) -> None:
    for marker in (b"Traceback", b'File "/', b"OperationalError", b"psycopg", b"DATABASES"):
        assert marker not in body, marker


def test_500__renders_without_the_database():
    """The 500 page needs no database (access is blocked in this test) and shows no detail."""
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"Server error" in response.content
    assert SHELL in response.content
    assert_no_trace(response.content)


def _terminate(pid: int) -> None:
    with psycopg.connect(dsn_from_settings_dict(connection.settings_dict), autocommit=True) as db:
        db.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["dashboard:overview", "dashboard:failures", "connections:status"])
def test_500__database_lost_mid_session(settings, caplog, name):
    """The app's database session is killed by the server: the operator gets our 500 page, the
    log gets the traceback."""
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    client.force_login(make_user("operator", ALL_PERMISSIONS))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    _terminate(pid)
    try:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            response = client.get(reverse(name))
    finally:
        connection.close()  # the test client keeps the broken connection open
    assert response.status_code == 500
    assert b"Server error" in response.content
    assert_no_trace(response.content)
    assert any(record.exc_info for record in caplog.records)
    assert client.get(reverse(name)).status_code == 200  # a fresh connection serves again


@pytest.mark.django_db
def test_404__our_page_in_the_shell(client):
    """Unknown URLs and missing records show our 404 page, with the navigation when logged in."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert b"logout" not in response.content
    client.force_login(make_user("viewer", ("dashboard.view_dashboard",)))
    for url in ("/no/such/page/at/all/", reverse("connections:import_job", args=[999999])):
        response = client.get(url)
        assert response.status_code == 404
        assert b"Not found" in response.content
        assert b'action="/accounts/logout/"' in response.content
        assert_no_trace(response.content)


@pytest.mark.django_db
def test_403__permission_denied_page(rf):
    """A PermissionDenied raised anywhere renders our 403 page, not Django's bare one."""
    request = rf.get("/")
    request.user = make_user("nobody")
    response = defaults.permission_denied(request, PermissionDenied("secret detail"))
    assert response.status_code == 403
    assert b"Permission denied" in response.content
    assert SHELL in response.content
    assert b"secret detail" not in response.content


@pytest.mark.django_db
def test_403_csrf__our_page_nothing_changed():
    """A form posted without its CSRF token shows our page explaining what to do."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator", ALL_PERMISSIONS))
    response = client.post(reverse("dashboard:refresh_stats"))
    assert response.status_code == 403
    assert b"Form expired" in response.content
    assert SHELL in response.content


@pytest.mark.django_db
def test_400__unknown_host_gets_our_page(client):
    """A request for a host name we do not serve gets our 400 page, nothing more."""
    response = client.get(reverse("dashboard:overview"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert b"evil.example" not in response.content
    assert_no_trace(response.content)
