"""The postdeploy command that creates the first operator account."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command


@pytest.mark.django_db
def test_create_operator__creates_once_and_is_idempotent(monkeypatch, capsys):
    """The first run creates a superuser with the given password; a second run changes nothing."""
    monkeypatch.setenv("ADMIN_USERNAME", "ops")
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery")
    Group.objects.get_or_create(name="Administrators")
    call_command("create_operator")
    user = get_user_model().objects.get(username="ops")
    assert user.is_superuser
    assert user.check_password("correct horse battery")
    assert user.groups.filter(name="Administrators").exists()

    monkeypatch.setenv("ADMIN_PASSWORD", "another password")
    call_command("create_operator")
    user.refresh_from_db()
    assert user.check_password("correct horse battery")
    assert get_user_model().objects.filter(username="ops").count() == 1
    assert "already exists" in capsys.readouterr().out


@pytest.mark.django_db
def test_create_operator__without_password_gets_an_unusable_one(monkeypatch):
    """No ADMIN_PASSWORD: the account exists but cannot log in until a password is set."""
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("create_operator", username="nopass", email="n@example.com")
    assert not get_user_model().objects.get(username="nopass").has_usable_password()
