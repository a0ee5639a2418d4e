"""The schema a project's test database gets: tables only by default (as the public package
builds it), the development schema with HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA, and the
development_schema() helper for single tests.

The app's own test database is built with the development schema (its test settings opt in);
these tests put it aside, build the default schema in its place and put it back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db.models.signals import pre_migrate

from app.salesforce.models import Account, Contact
from heroku_connect.db.backends.base import creation
from heroku_connect.dev_schema import create_heroku_connect_schema
from heroku_connect.mapping import get_heroku_connect_models
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.test.schema import development_schema
from tests.heroku_connect.sql import execute, rows

APP_SCHEMA_ASIDE = "salesforce_app_development"


@contextmanager
def _app_schema_aside() -> Iterator[None]:
    """The app's development schema renamed away for the block (always put back)."""
    execute(f"ALTER SCHEMA salesforce RENAME TO {APP_SCHEMA_ASIDE}")
    try:
        yield
    finally:
        execute("DROP SCHEMA IF EXISTS salesforce CASCADE")
        execute(f"ALTER SCHEMA {APP_SCHEMA_ASIDE} RENAME TO salesforce")


@contextmanager
def _tables_only_schema() -> Iterator[None]:
    """The library's default test schema in place of the app's development schema."""
    with _app_schema_aside():
        assert create_heroku_connect_schema() is True
        yield


def _tables() -> set[str]:
    return {
        name
        for (name,) in rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'salesforce'"
        )
    }


def _triggers() -> list[str]:
    return [
        name
        for (name,) in rows(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'salesforce' AND NOT t.tgisinternal"
        )
    ]


def _functions() -> list[str]:
    return [
        name
        for (name,) in rows(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'salesforce'"
        )
    ]


def _is_development_schema() -> bool:
    return rows("SELECT to_regclass('salesforce._hcmeta') IS NOT NULL") == [(True,)]


def _column(table: str, column: str) -> tuple[str, str]:
    (row,) = rows(
        "SELECT data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = 'salesforce' AND table_name = %s AND column_name = %s",
        [table, column],
    )
    return row


def _failed_log(model=TriggerLog, **fields):
    values = {"table_name": "account", "record_id": 1, "action": "UPDATE", "state": "FAILED"}
    return model.objects.create(**{**values, **fields})


# --- the default: tables only ---------------------------------------------------------------


@pytest.mark.django_db
def test_default_schema__tables_only_like_the_public_package():
    """Schema, the connected models' tables and both trigger-log tables; no trigger, function,
    metadata table or non-unique index."""
    with _tables_only_schema():
        model_tables = {m.get_heroku_connect_table_name() for m in get_heroku_connect_models()}
        assert _tables() == model_tables | {"_trigger_log", "_trigger_log_archive"}
        assert _triggers() == []
        assert _functions() == []
        assert not _is_development_schema()
        # Django's column types, as the public package's test tables have them.
        assert _column("_trigger_log", "id") == ("bigint", "YES")
        assert _column("_trigger_log_archive", "id") == ("bigint", "YES")
        assert _column("_trigger_log", "record_id") == ("bigint", "NO")
        assert _column("account", "id") == ("bigint", "YES")
        indexes = {name for (name,) in rows(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'salesforce' "
            "AND tablename = 'contact'"
        )}  # fmt: skip
        assert indexes == {"contact_pkey", "contact_sfid_key", "contact_external_id__c_key"}


@pytest.mark.django_db
def test_default_schema__writes_capture_nothing_and_archive_rows_need_no_id():
    """A test's create() writes no trigger-log row; archive rows get ids from their sequence."""
    with _tables_only_schema():
        account = Account.objects.create(name="Acme")
        Contact.objects.filter(pk=Contact.objects.create(last_name="Doe").pk).delete()
        assert TriggerLog.objects.count() == 0
        account.refresh_from_db()
        assert account._hc_lastop is None
        first, second = _failed_log(TriggerLogArchive), _failed_log(TriggerLogArchive)
        assert second.pk == first.pk + 1


@pytest.mark.django_db
@pytest.mark.parametrize("development", [False, True])
def test_pre_migrate_hook__builds_the_schema_the_setting_asks_for(settings, development):
    """Connected the public package's way (no dispatch_uid): it builds the schema once,
    development or tables only as HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA says, and disconnects."""
    settings.HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA = development
    with _app_schema_aside():
        pre_migrate.connect(creation._create_heroku_connect_schema)
        try:
            pre_migrate.send(sender=None, app_config=None, using="default")
        finally:
            still_connected = pre_migrate.disconnect(creation._create_heroku_connect_schema)
        assert not still_connected
        assert "_trigger_log_archive" in _tables()
        assert _is_development_schema() is development
        assert bool(_triggers()) is development


def test_app_settings__opt_in_to_the_development_schema(settings):
    """The app's own suite runs on the development schema (the library's default is off)."""
    from heroku_connect.conf import HerokuConnectAppConf

    assert settings.HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA is True
    assert HerokuConnectAppConf._meta.defaults["HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA"] is False


# --- development_schema() for one test --------------------------------------------------------


@pytest.mark.django_db
def test_development_schema__swaps_in_the_development_schema_with_therows():
    """Inside: triggers, functions and a copy of the rows (ids continue after them). After: the
    tables-only schema as it was, the block's changes gone."""
    with _tables_only_schema():
        account = Account.objects.create(name="Before")
        log = _failed_log(record_id=account.pk)
        with development_schema():
            assert _is_development_schema()
            assert Account.objects.get().name == "Before"
            assert Account.objects.get()._hc_lastop is None  # copied, not captured
            assert list(TriggerLog.objects.values_list("id", "state")) == [(log.pk, "FAILED")]
            created = Account.objects.create(name="Inside")
            captured = TriggerLog.objects.exclude(pk=log.pk).get()
            assert (captured.action, captured.state, captured.record_id) == (
                "INSERT",
                "NEW",
                created.pk,
            )
            assert created.pk > account.pk
            assert captured.pk > log.pk
            (recaptured,) = TriggerLog.capture_insert_from_model("account", account.pk)
            assert TriggerLog.objects.get(pk=recaptured.pk).values_as_dict["name"] == "Before"
        assert not _is_development_schema()
        assert _triggers() == []
        assert list(Account.objects.values_list("name", flat=True)) == ["Before"]
        assert list(TriggerLog.objects.values_list("id", flat=True)) == [log.pk]


@pytest.mark.django_db
def test_development_schema__restored_when_the_block_raises():
    """An exception in the block still brings the tables-only schema back."""
    seen = []

    def failing_block():
        with development_schema():
            seen.append(_is_development_schema())
            raise RuntimeError("boom")

    with _tables_only_schema():
        with pytest.raises(RuntimeError, match="boom"):
            failing_block()
        assert seen == [True]
        assert not _is_development_schema()
        assert "_trigger_log" in _tables()


@pytest.mark.django_db
def test_development_schema__as_a_decorator():
    """@development_schema() wraps a function the same way."""

    @development_schema()
    def inside():
        return _is_development_schema(), _triggers()

    with _tables_only_schema():
        is_development, triggers = inside()
        assert is_development
        assert "hc_account_logtrigger" in triggers
        assert not _is_development_schema()


@pytest.mark.django_db(transaction=True)
def test_development_schema__transactional_test_commits_and_restores():
    """In a transactional test every step commits; the block still ends on the old schema."""
    with _tables_only_schema():
        _failed_log()
        with development_schema():
            Account.objects.create(name="Captured")
            assert TriggerLog.objects.count() == 2
        assert TriggerLog.objects.count() == 1
        assert _triggers() == []
        assert not rows(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'salesforce\\_tables\\_%%'"
        )


@pytest.mark.django_db
def test_development_schema__no_change_when_already_the_development_schema():
    """On the development schema (the app's suite) the helper changes nothing."""
    (before,) = rows("SELECT oid FROM pg_namespace WHERE nspname = 'salesforce'")
    account = Account.objects.create(name="Kept")
    with development_schema():
        assert rows("SELECT oid FROM pg_namespace WHERE nspname = 'salesforce'") == [before]
        Account.objects.filter(pk=account.pk).update(name="Changed")
    assert Account.objects.get(pk=account.pk).name == "Changed"
