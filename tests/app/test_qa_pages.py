"""Regressions found by using the demo as an operator would (cross-app page details)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.app.test_url_security import make_user

pytestmark = pytest.mark.django_db


def test_404__unknown_url_says_so_without_the_resolver_class_name(client):
    """Django hands the 404 template the exception class name for unknown URLs ('Resolver404')."""
    client.force_login(make_user("viewer", ("dashboard.view_dashboard",)))
    body = client.get("/no/such/page/").content.decode()
    assert "Resolver404" not in body
    assert "There is no page at this address." in body
    body = client.get(reverse("dashboard:detail", args=["live", 999999])).content.decode()
    assert "No such trigger-log row." in body


def test_pages__declare_a_favicon_that_exists(client):
    """Without a declared icon every page load also requests /favicon.ico: a 404 and a warning."""
    client.force_login(make_user("viewer", ("dashboard.view_dashboard",)))
    body = client.get(reverse("dashboard:overview")).content.decode()
    assert 'rel="icon"' in body
    assert finders.find("dashboard/logo.png")
