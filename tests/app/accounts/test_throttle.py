"""Login throttling: per account and address, per account, per address; spoofing; lifting."""

from __future__ import annotations

import datetime
import importlib

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from app.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WRONG = "wrong-password-0000"


@pytest.fixture(autouse=True)
def _accounts(settings):
    settings.LOGIN_THROTTLE_LIMITS = {
        ("username", "ip_address"): 5,
        ("username",): 10,
        ("ip_address",): 20,
    }
    settings.TRUSTED_PROXY_COUNT = 0
    User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_user("bob", password=PASSWORD)


def login(username: str, password: str, ip: str = "198.51.100.1", **headers):
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )
    return client, response


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(times: int, username: str = "alice", ip: str = "198.51.100.1", **headers) -> None:
    for _ in range(times):
        _client, response = login(username, WRONG, ip, **headers)
        assert response.status_code in (200, 429)


def test_throttle__five_failures_lock_the_account_from_that_address(settings):
    """After 5 failures even the right password is refused there: 429 with the wait."""
    fail(4)
    client, response = login("alice", PASSWORD)
    assert logged_in(client)  # 4 failures: still allowed (and forgiven by the success)
    fail(5)
    client, response = login("alice", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    assert b"Too many failed logins. Try again in 15 minutes." in response.content
    assert response["Retry-After"] == "900"
    other_address, _ = login("alice", PASSWORD, ip="198.51.100.2")
    assert logged_in(other_address)  # the account itself is not locked everywhere


def test_throttle__ten_failures_from_many_addresses_lock_the_account():
    """Guessing spread over addresses (each below 5) locks the account at 10, everywhere."""
    for i in range(10):
        fail(1, ip=f"203.0.113.{i + 1}")
    client, response = login("alice", PASSWORD, ip="192.0.2.50")
    assert response.status_code == 429
    assert not logged_in(client)
    bob, _ = login("bob", PASSWORD, ip="203.0.113.1")
    assert logged_in(bob)


def test_throttle__twenty_failures_from_one_address_lock_the_address():
    """One address trying many accounts (spraying) is locked at 20, for every account."""
    for i in range(20):
        fail(1, username=f"user{i}")
    client, response = login("bob", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    elsewhere, _ = login("bob", PASSWORD, ip="198.51.100.99")
    assert logged_in(elsewhere)


def test_throttle__spoofed_forwarded_for_cannot_evade_it(settings):
    """Behind Heroku's router (one trusted proxy) the right-most X-Forwarded-For entry counts:
    a new made-up address in front of it on every try changes nothing."""
    settings.TRUSTED_PROXY_COUNT = 1
    router = "10.1.2.3"
    for i in range(5):
        fail(1, ip=router, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.77")
    client, response = login(
        "alice", PASSWORD, ip=router, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.77"
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.77"}
    neighbour, _ = login("alice", PASSWORD, ip=router, HTTP_X_FORWARDED_FOR="203.0.113.78")
    assert logged_in(neighbour)


def test_throttle__lockout_ends_after_the_cool_off():
    """The wait shrinks as time passes, and the lockout ends after 15 minutes."""
    fail(5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=11))
    _client, response = login("alice", PASSWORD)
    assert b"Try again in 4 minutes." in response.content
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    client, _ = login("alice", PASSWORD)
    assert logged_in(client)


def test_throttle__refused_attempts_do_not_prolong_the_lockout():
    """Trying again while locked out is refused without moving the end of the lockout."""
    fail(5)
    until = AccessAttempt.objects.get().attempt_time
    fail(3)
    attempt = AccessAttempt.objects.get()
    assert (attempt.attempt_time, attempt.failures_since_start) == (until, 5)


def grant_lockout_permissions(user: User) -> None:
    """What the Administrators group holds (by permission: groups made by migrations do not
    survive the flush after transactional tests)."""
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="axes",
            codename__in=("view_accessattempt", "delete_accessattempt"),
        )
    )


def _administrator() -> Client:
    admin = User.objects.create_user("admin", password=PASSWORD)
    grant_lockout_permissions(admin)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    return client


def test_lockouts__administrators_see_and_lift_them_audited():
    """The lockout list shows each locked key; lifting one (POST with CSRF) lets the account
    in again and is recorded in the audit trail."""
    fail(5)
    admin = _administrator()
    page = admin.get(reverse("accounts:lockouts"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "this account from this address" in text
    assert "198.51.100.1" in text
    assert "5 / 5" in text
    csrf = page.cookies["csrftoken"].value
    response = admin.post(
        reverse("accounts:lift"),
        {"username": "alice", "ip_address": "198.51.100.1", "csrfmiddlewaretoken": csrf},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client, _ = login("alice", PASSWORD)
    assert logged_in(client)
    entry = AuditEntry.objects.get(action="auth.lockout_lifted")
    assert (entry.username, entry.row_count) == ("admin", 5)
    assert entry.target == "account 'alice' from address 198.51.100.1"
    assert b"Nobody is locked out." in admin.get(reverse("accounts:lockouts")).content


def test_lockouts__lift_without_csrf_or_with_bad_input_changes_nothing():
    """No CSRF token: 403. No key, or a malformed address: 400. The lockout stays."""
    fail(5)
    admin = _administrator()
    response = admin.post(reverse("accounts:lift"), {"username": "alice"})
    assert response.status_code == 403
    csrf = admin.get(reverse("accounts:lockouts")).cookies["csrftoken"].value
    for data in ({}, {"ip_address": "not-an-ip"}, {"username": "a\x00b"}):
        response = admin.post(reverse("accounts:lift"), {**data, "csrfmiddlewaretoken": csrf})
        assert response.status_code == 400, data
    assert AccessAttempt.objects.get().failures_since_start == 5
    assert not AuditEntry.objects.filter(action="auth.lockout_lifted").exists()


def test_lockouts__only_administrators_by_default():
    """The migration gives Administrators (only) the lockout permissions."""
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("app.accounts.migrations.0001_lockout_permissions")
    for name in ("Viewers", "Operators", "Administrators"):
        Group.objects.get_or_create(name=name)
    with connection.schema_editor() as editor:
        migration.grant(apps, editor)
    codenames = {"view_accessattempt", "delete_accessattempt"}
    holders = {
        group.name
        for group in Group.objects.filter(
            permissions__content_type__app_label="axes", permissions__codename__in=codenames
        )
    }
    assert holders == {"Administrators"}
    assert (
        Permission.objects.filter(
            group__name="Administrators", content_type__app_label="axes", codename__in=codenames
        ).count()
        == 2
    )


def test_audit__login_logout_and_failures_recorded_without_the_password():
    """Every login, logout and failed login is an audit entry with the address and the user
    agent (truncated); the password appears nowhere."""
    agent = "Mozilla/5.0 " + "x" * 500
    fail(1, HTTP_USER_AGENT=agent)
    fail(1, username="nobody-here", HTTP_USER_AGENT=agent)
    client, _ = login("alice", PASSWORD, HTTP_USER_AGENT=agent)
    client.post(reverse("logout"), REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=agent)
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.username, e.outcome) for e in entries] == [
        ("auth.login_failed", "alice", "denied"),
        ("auth.login_failed", "anonymous", "denied"),
        ("auth.login", "alice", "ok"),
        ("auth.logout", "alice", "ok"),
    ]
    assert entries[1].user is None
    assert entries[1].selection["username"] == "nobody-here"
    for entry in entries:
        assert entry.selection["ip"] == "198.51.100.1"
        assert entry.selection["user_agent"] == agent[:200]
        text = f"{entry.target} {entry.selection} {entry.detail}"
        assert PASSWORD not in text
        assert WRONG not in text


def test_audit__locked_out_attempts_say_so():
    """A failed login that hits (or runs into) the lockout is recorded with the wait."""
    fail(6)
    details = list(
        AuditEntry.objects.filter(action="auth.login_failed")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert details[:4] == ["Wrong username or password."] * 4
    assert all("locked out for 15 more minute" in detail for detail in details[4:])


def test_login__overlong_username_is_a_plain_refusal():
    """A username longer than the user model allows is refused by the form (200, the usual
    message), never reaching the backends or django-axes' 255-character column (was a 500)."""
    client, response = login("x" * 300, WRONG)
    assert response.status_code == 200
    assert not logged_in(client)
    assert "Your username and password didn't match" in response.content.decode()
    assert not AccessAttempt.objects.exists()
