"""Users of the three dashboard groups, logged-in clients for them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group


def _user(django_user_model, username: str, group: str | None):
    user = django_user_model.objects.create_user(username, password="pw-" + username)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def viewer(django_user_model):
    return _user(django_user_model, "viewer", "Viewers")


@pytest.fixture
def boss(django_user_model):
    return _user(django_user_model, "boss", "Administrators")


@pytest.fixture
def nobody(django_user_model):
    return _user(django_user_model, "nobody", None)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def boss_client(client, boss):
    client.force_login(boss)
    return client
