"""Login throttling in a browser: the lockout page, then an Administrator lifts the lockout."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.app.accounts.test_throttle import grant_lockout_permissions


@pytest.mark.django_db(transaction=True)
def test_lockout__clear_page_then_lifted_by_an_administrator(live_server, page, login, browser):
    """Five wrong passwords: the login answers "try again in 15 minutes" even for the right
    one; an Administrator sees the lockout on the Lockouts page and lifts it; the login works."""
    User.objects.create_user("mira", password="right-password-1")
    admin = User.objects.create_user("chief", password="chief-password-1")
    grant_lockout_permissions(admin)  # what the Administrators group holds
    for _ in range(5):
        login("mira", "wrong")
    login("mira", "right-password-1")
    banner = page.get_by_test_id("locked-out")
    assert banner.inner_text() == "Too many failed logins. Try again in 15 minutes."

    other = browser.new_context()
    admin_page = other.new_page()
    admin_page.goto(f"{live_server.url}/accounts/login/")
    admin_page.fill("input[name=username]", "chief")
    admin_page.fill("input[name=password]", "chief-password-1")
    admin_page.click("[type=submit]")
    admin_page.get_by_role("link", name="Lockouts").click()
    row = admin_page.locator("#lockouts tbody tr")
    assert "mira" in row.inner_text()
    row.get_by_role("button", name="Lift").click()
    assert "Lifted the lockout of account 'mira'" in admin_page.locator(".messages").inner_text()
    other.close()

    login("mira", "right-password-1")
    assert page.url.rstrip("/") == live_server.url
