"""Dashboard users (by permission, so that they also work after a transactional flush)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

VIEW = ("view_dashboard",)
MANAGE = ("view_dashboard", "manage_mappings")


def make_user(django_user_model, username: str, codenames: tuple[str, ...] = ()):
    """A user holding the given ``dashboard.*`` permissions."""
    user = django_user_model.objects.create_user(username, password="pw-" + username)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="dashboard", codename__in=codenames)
    )
    return user


@pytest.fixture
def viewer(django_user_model):
    return make_user(django_user_model, "viewer", VIEW)


@pytest.fixture
def boss(django_user_model):
    return make_user(django_user_model, "boss", MANAGE)


@pytest.fixture
def nobody(django_user_model):
    return make_user(django_user_model, "nobody")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def boss_client(client, boss):
    client.force_login(boss)
    return client
