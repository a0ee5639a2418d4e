"""Creating the first operator account (Heroku postdeploy and the local demo)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

ADMINISTRATORS_GROUP = "Administrators"


@dataclass(frozen=True)
class OperatorResult:
    username: str
    created: bool


@transaction.atomic
def ensure_operator(*, username: str, email: str, password: str | None) -> OperatorResult:
    """Create the operator account once; later calls leave an existing account untouched.

    The account is a superuser (it may open the Django admin) and joins the "Administrators"
    group when the dashboard's migrations created it.
    """
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"email": email, "is_staff": True, "is_superuser": True}
    )
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    group = Group.objects.filter(name=ADMINISTRATORS_GROUP).first()
    if group is not None:
        user.groups.add(group)
    return OperatorResult(username=user.get_username(), created=created)
