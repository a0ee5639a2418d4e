"""Fixtures for the dashboard tests: users in the groups the migration created."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User


def _user(username: str, *groups: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def viewer(db) -> User:
    return _user("viewer", "Viewers")


@pytest.fixture
def operator(db) -> User:
    return _user("operator", "Operators")


@pytest.fixture
def nobody(db) -> User:
    return _user("nobody")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client
