"""Permissions, groups and the shell: every dashboard URL needs login and its permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["dashboard:overview", "dashboard:groups", "dashboard:failures"]


def test_groups__created_by_migration_with_their_permissions():
    """Viewers can view; Operators can also retry and ignore; Administrators can do all four."""
    perms = {
        group.name: sorted(
            group.permissions.filter(content_type__app_label="dashboard").values_list(
                "codename", flat=True
            )
        )
        for group in Group.objects.filter(name__in=["Viewers", "Operators", "Administrators"])
    }
    assert perms["Viewers"] == ["view_dashboard"]
    assert perms["Operators"] == ["ignore_writes", "retry_writes", "view_dashboard"]
    assert perms["Administrators"] == [
        "ignore_writes",
        "manage_mappings",
        "retry_writes",
        "view_dashboard",
    ]


@pytest.mark.parametrize("name", PAGES)
def test_page__anonymous_redirected_to_login(client, name):
    """Anonymous users are sent to the login page with ``next`` set."""
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", PAGES)
def test_page__without_permission_is_403(client, nobody, name):
    """A logged-in user outside the groups gets the 403 page naming the permission."""
    client.force_login(nobody)
    response = client.get(reverse(name))
    assert response.status_code == 403
    assert b"dashboard.view_dashboard" in response.content


@pytest.mark.parametrize("name", PAGES)
def test_page__viewer_sees_it(viewer_client, name):
    """Viewers may open every read page; the navigation and a POST logout form are there."""
    response = viewer_client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'action="/accounts/logout/"' in body
    assert 'method="post"' in body
    assert "https://" not in body.split("<body>")[0]  # no CDN in the head


def test_page__post_not_allowed(viewer_client):
    """Read pages answer only GET."""
    assert viewer_client.post(reverse("dashboard:overview")).status_code == 405


def test_login_page__renders_and_logs_in(client, viewer):
    """The login form works and lands on the overview."""
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    response = client.post(reverse("login"), {"username": "viewer", "password": "pw-viewer"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:overview")


def test_refresh__anonymous_redirected_and_no_permission_403(client, nobody):
    """The statistics refresh (POST) needs login and the view permission."""
    url = reverse("dashboard:refresh_stats")
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(nobody)
    assert client.post(url).status_code == 403


def test_refresh__csrf_required(viewer):
    """Without the CSRF token the refresh is refused."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.post(reverse("dashboard:refresh_stats")).status_code == 403


def test_navigation__links_for_the_operator(client, operator):
    """The shell links every section that exists; no admin link for non-staff users."""
    client.force_login(operator)
    body = client.get(reverse("dashboard:overview")).content.decode()
    for name in (
        "dashboard:overview",
        "dashboard:groups",
        "dashboard:failures",
        "dashboard:autoretry",
        "connections:status",
        "connections:diff",
        "audit:list",
    ):
        assert f'href="{reverse(name)}"' in body
    assert reverse("admin:index") not in body
