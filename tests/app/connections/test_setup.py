"""The setup banner: what a button deploy leaves unset, with the exact command, on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.connections.setup import APP_PLACEHOLDER, app_name_from_host, setup_problems

HOST = "acme-ops-1a2b3c4d5e6f.herokuapp.com"
DASHBOARD_PAGES = [
    "dashboard:overview",
    "dashboard:groups",
    "dashboard:failures",
    "connections:status",
    "connections:diff",
    "audit:list",
]


@pytest.mark.parametrize(
    ("host", "app"),
    [
        ("acme-ops-1a2b3c4d5e6f.herokuapp.com", "acme-ops"),
        ("acme-ops.herokuapp.com", "acme-ops"),
        ("Acme-Ops.herokuapp.com:443", "acme-ops"),
        ("ops.example.com", None),
        ("herokuapp.com.evil.example", None),
    ],
)
def test_app_name_from_host__reads_herokus_default_domains(host, app):
    assert app_name_from_host(host) == app


@pytest.fixture
def unset(settings):
    settings.HEROKU_CONNECT_APP_NAME = ""
    settings.HEROKU_AUTH_TOKEN = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".herokuapp.com", "ops.example.com"]
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("page", DASHBOARD_PAGES)
def test_setup_banner__every_dashboard_page_gives_the_exact_commands(admin_client, unset, page):
    """Without an app name (no runtime-dyno-metadata) and token, every page says how to set them,
    naming the app from the page's herokuapp.com host."""
    response = admin_client.get(reverse(page), HTTP_HOST=HOST)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="setup-problem"') == 2
    assert "Heroku Connect app name unknown: nothing is being watched." in html
    assert "heroku config:set HEROKU_CONNECT_APP_NAME=acme-ops -a acme-ops" in html
    assert "heroku labs:enable runtime-dyno-metadata -a acme-ops" in html
    assert "heroku config:set HEROKU_CONNECT_API_TOKEN=$(heroku authorizations:create --short" in (
        html
    )


@pytest.mark.django_db
def test_setup_banner__on_a_custom_domain_a_placeholder_names_the_app(viewer_client, unset):
    response = viewer_client.get(reverse("dashboard:overview"), HTTP_HOST="ops.example.com")
    html = response.content.decode()
    assert f"HEROKU_CONNECT_APP_NAME={APP_PLACEHOLDER} -a {APP_PLACEHOLDER}" in html


@pytest.mark.django_db
def test_setup_banner__gone_once_configured(viewer_client, unset):
    unset.HEROKU_CONNECT_APP_NAME = "acme-ops"
    unset.HEROKU_AUTH_TOKEN = "token"
    response = viewer_client.get(reverse("connections:status"), HTTP_HOST=HOST)
    assert 'data-testid="setup-problem"' not in response.content.decode()
    assert setup_problems(host=HOST) == []


@pytest.mark.django_db
def test_setup_banner__not_shown_to_anonymous_visitors(client, unset):
    """The login page tells a stranger nothing about the configuration."""
    response = client.get(reverse("login"), HTTP_HOST=HOST)
    assert response.status_code == 200
    assert "HEROKU_CONNECT_APP_NAME" not in response.content.decode()
