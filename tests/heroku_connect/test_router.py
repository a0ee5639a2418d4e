"""HerokuConnectRouter and WriteNotSupportedError."""

import pytest
from django.db import NotSupportedError
from django.test import override_settings

from app.salesforce.models import Account, RecordType, User
from heroku_connect.db.exceptions import WriteNotSupportedError
from heroku_connect.db.router import HerokuConnectRouter
from heroku_connect.test.utils import no_heroku_connect_write_restrictions


def test_write_not_supported_error__is_not_supported_error():
    """WriteNotSupportedError subclasses django.db.NotSupportedError."""
    assert issubclass(WriteNotSupportedError, NotSupportedError)


def test_router__read_only_model_raises_with_message():
    """Writes to read-only models raise with the model's repr in the message."""
    with pytest.raises(WriteNotSupportedError) as excinfo:
        HerokuConnectRouter().db_for_write(User)
    assert str(excinfo.value) == "<class 'app.salesforce.models.User'> is a read-only model."


def test_router__no_opinion_otherwise():
    """Read-write models and models without sf_access get None."""
    router = HerokuConnectRouter()
    assert router.db_for_write(Account) is None
    assert router.db_for_write(object) is None


@pytest.mark.django_db
def test_router__blocks_orm_writes_to_read_only_models():
    """create(), update() and delete() on a read-only model raise."""
    with pytest.raises(WriteNotSupportedError):
        User.objects.create(name="x")
    with pytest.raises(WriteNotSupportedError):
        RecordType.objects.update(name="x")
    with pytest.raises(WriteNotSupportedError):
        User.objects.all().delete()


@pytest.mark.django_db
def test_no_write_restrictions__allows_writes_then_restores():
    """Inside the block read-only models can be written; afterwards they cannot."""
    with no_heroku_connect_write_restrictions():
        user = User.objects.create(name="Test user", sf_id="005000000000001AAA")
    assert User.objects.get(pk=user.pk).name == "Test user"
    with pytest.raises(WriteNotSupportedError):
        User.objects.create(name="again")


class _OtherRouter:
    def db_for_read(self, model, **hints):
        return None


@pytest.mark.django_db
@override_settings(
    DATABASE_ROUTERS=(
        "heroku_connect.db.router.HerokuConnectRouter",
        "tests.heroku_connect.test_router._OtherRouter",
    )
)
def test_no_write_restrictions__works_with_a_tuple_setting():
    """A tuple DATABASE_ROUTERS works and other routers keep running."""
    from django.conf import settings

    with no_heroku_connect_write_restrictions():
        assert list(settings.DATABASE_ROUTERS) == ["tests.heroku_connect.test_router._OtherRouter"]
        User.objects.create(name="Tuple user")
    assert settings.DATABASE_ROUTERS[0] == "heroku_connect.db.router.HerokuConnectRouter"
    with pytest.raises(WriteNotSupportedError):
        User.objects.create(name="again")
