"""The audit trail service record_action and the permission granted by migration."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User

from app.audit.models import AuditEntry
from app.audit.services import record_action


@pytest.mark.django_db
def test_record_action__stores_who_what_and_how_many():
    """Every field given is stored, the user and their username both."""
    user = User.objects.create_user("alice")
    entry = record_action(
        user=user,
        action="retry",
        target="UNABLE_TO_LOCK_ROW on contact",
        selection={"table": "contact", "source": "both"},
        row_count=12,
        detail="live 10, archived 2",
    )
    entry.refresh_from_db()
    assert (entry.user, entry.username, entry.action, entry.row_count, entry.outcome) == (
        user,
        "alice",
        "retry",
        12,
        "ok",
    )
    assert entry.selection == {"table": "contact", "source": "both"}
    assert entry.created_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_record_action__without_a_user_is_system(user):
    """Beat tasks (no user) are recorded as ``system``."""
    entry = record_action(user=user, action="autoretry")
    assert (entry.user, entry.username, entry.selection) == (None, "system", {})


@pytest.mark.django_db
def test_record_action__unknown_outcome_is_rejected_and_nothing_stored():
    """A typo in the outcome is a ValueError, not a silently odd entry."""
    with pytest.raises(ValueError, match="Unknown audit outcome"):
        record_action(user=None, action="retry", outcome="fine")
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_record_action__survives_the_users_deletion():
    """Deleting the account keeps the entry and its username."""
    user = User.objects.create_user("bob")
    entry = record_action(user=user, action="ignore", row_count=3)
    user.delete()
    entry.refresh_from_db()
    assert (entry.user, entry.username) == (None, "bob")


@pytest.mark.django_db
@pytest.mark.parametrize("group", ["Viewers", "Operators", "Administrators"])
def test_migration__groups_may_view_the_audit_trail(group):
    """The data migration grants audit.view_auditentry to the dashboard groups."""
    user = User.objects.create_user(f"member-{group}")
    user.groups.add(Group.objects.get(name=group))
    assert user.has_perm("audit.view_auditentry")
    assert not user.has_perm("audit.change_auditentry")
