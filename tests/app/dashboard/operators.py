"""Users for transactional tests, where the groups created by migrations are gone.

Transactional tests flush every table afterwards; permissions come back (post_migrate) but the
groups of the data migrations do not, so these users get the Operators' permissions directly.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission, User

OPERATOR_PERMISSIONS = (
    ("dashboard", "view_dashboard"),
    ("dashboard", "retry_writes"),
    ("dashboard", "ignore_writes"),
    ("audit", "view_auditentry"),
)


def make_operator(username: str, password: str | None = None) -> User:
    """A user with exactly the permissions of the "Operators" group."""
    user = User.objects.create_user(username, password=password)
    for app_label, codename in OPERATOR_PERMISSIONS:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user
