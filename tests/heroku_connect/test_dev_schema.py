"""The development schema: what create_heroku_connect_schema(development=True), the command and
the opted-in test-DB hook build, and that application writes are captured into _trigger_log the
way Heroku Connect does. The default tables-only schema: test_test_database.py."""

import io
import uuid

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection
from django.test import override_settings

from app.salesforce.models import Account, Contact, User
from heroku_connect import schema
from heroku_connect.models import TriggerLogArchive
from heroku_connect.test.utils import no_heroku_connect_write_restrictions
from heroku_connect.utils import create_heroku_connect_schema, hstore_text_to_dict
from tests.heroku_connect.sql import execute, rows

pytestmark = pytest.mark.django_db


def _columns(schema_name, table):
    return dict(
        rows(
            "SELECT column_name, data_type || coalesce('(' || character_maximum_length || ')', '') "
            "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            [schema_name, table],
        )
    )


def _indexes(schema_name, table):
    return dict(
        rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
              [schema_name, table])
    )  # fmt: skip


def _triggers(schema_name, table):
    return {
        name
        for (name,) in rows(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND NOT t.tgisinternal",
            [schema_name, table],
        )
    }


def _log(table=None):
    log_rows = rows(
        'SELECT action, state, table_name, record_id, sfid, "values", old '
        "FROM salesforce._trigger_log ORDER BY id"
    )
    return [
        {
            "action": r[0],
            "state": r[1],
            "table_name": r[2],
            "record_id": r[3],
            "sfid": r[4],
            "values": hstore_text_to_dict(r[5]),
            "old": hstore_text_to_dict(r[6]),
        }
        for r in log_rows
        if table is None or r[2] == table
    ]


def _as_connect(sql, params=()):
    """Run SQL the way Heroku Connect writes (not captured), then restore the session."""
    with connection.cursor() as cursor:
        cursor.execute(schema.CONNECT_SESSION_SQL)
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute(schema.APPLICATION_SESSION_SQL)


def test_test_database__has_the_heroku_connect_objects():
    """The test-DB hook built the development schema (the app opts in with
    HEROKU_CONNECT_TEST_DEVELOPMENT_SCHEMA): metadata tables, functions and per-table triggers."""
    tables = {
        name
        for (name,) in rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'salesforce'"
        )
    }
    assert {"_hcmeta", "_sf_event_log", "_trigger_log", "_trigger_log_archive"} <= tables
    assert {"account", "contact", "project__c", "user", "recordtype"} <= tables
    assert rows("SELECT hcver FROM salesforce._hcmeta") == [(schema.HCMETA_VERSION,)]
    functions = {
        name
        for (name,) in rows(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('salesforce', 'public')"
        )
    }
    assert {
        "hc_capture_insert_from_row", "hc_capture_update_from_row", "tlog_notify_trigger",
        "get_xmlbinary", "hc_account_logger", "hc_account_status",
    } <= functions  # fmt: skip
    assert _triggers("salesforce", "account") == {
        "hc_account_logtrigger",
        "hc_account_status_trigger",
    }
    assert _triggers("salesforce", "_trigger_log") == {"tlog_insert_trigger"}


def test_mapped_table__heroku_connect_column_types():
    """Columns use Heroku Connect's types: id integer (serial), sfid varchar(18), ..."""
    columns = _columns("salesforce", "account")
    assert columns == {
        "id": "integer",
        "sfid": "character varying(18)",
        "systemmodstamp": "timestamp without time zone",
        "isdeleted": "boolean",
        "_hc_lastop": "character varying(32)",
        "_hc_err": "text",
        "name": "character varying(255)",
        "accountnumber": "character varying(40)",
        "industry": "character varying(255)",
        "phone": "character varying(40)",
        "website": "character varying(255)",
        "annualrevenue": "double precision",
        "numberofemployees": "double precision",
        "ownerid": "character varying(18)",
        "recordtypeid": "character varying(18)",
        "external_id__c": "character varying(32)",
    }
    assert "isdeleted" not in _columns("salesforce", "user")
    (default,) = rows(
        "SELECT column_default FROM information_schema.columns WHERE table_schema = 'salesforce' "
        "AND table_name = 'account' AND column_name = 'id'"
    )[0]
    assert default.startswith("nextval(")


def test_mapped_table__indexes():
    """hcu_idx_ for sfid and unique fields, hc_idx_ for systemmodstamp and lookups."""
    indexes = _indexes("salesforce", "contact")
    assert set(indexes) == {
        "contact_pkey",
        "hcu_idx_contact_sfid",
        "hcu_idx_contact_external_id__c",
        "hc_idx_contact_systemmodstamp",
        "hc_idx_contact_accountid",
    }
    assert "UNIQUE" in indexes["hcu_idx_contact_sfid"]
    assert "UNIQUE" not in indexes["hc_idx_contact_systemmodstamp"]


def test_trigger_log__heroku_connect_columns_and_indexes():
    """_trigger_log has Heroku Connect's column types and indexes."""
    columns = _columns("salesforce", "_trigger_log")
    assert columns["id"] == "integer"
    assert columns["record_id"] == "integer"
    assert columns["state"] == "character varying(8)"
    assert columns["action"] == "character varying(7)"
    assert columns["table_name"] == "character varying(128)"
    assert {"processed_tx", "sf_result"} <= set(columns)
    assert set(_columns("salesforce", "_trigger_log_archive")) == set(columns)
    assert {
        "_trigger_log_idx_created_at",
        "_trigger_log_idx_state_id",
        "_trigger_log_idx_state_table_name",
    } <= set(_indexes("salesforce", "_trigger_log"))


def test_trigger_log_archive__id_default_from_its_own_sequence():
    """The one intentional DDL difference: archive rows can be created without an id."""
    sequences = rows(
        "SELECT pg_get_serial_sequence('salesforce._trigger_log', 'id'), "
        "pg_get_serial_sequence('salesforce._trigger_log_archive', 'id')"
    )
    assert sequences == [
        ("salesforce._trigger_log_id_seq", "salesforce._trigger_log_archive_id_seq")
    ]
    row = {"table_name": "account", "record_id": 1, "action": "UPDATE", "state": "FAILED"}
    first, second = (TriggerLogArchive.objects.create(**row) for _ in range(2))
    assert second.pk == first.pk + 1
    assert TriggerLogArchive.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_capture__insert_on_read_write_table_is_new_with_full_row():
    """An application INSERT is logged as NEW with the whole row minus _hc_* columns."""
    account = Account.objects.create(name="Acme", phone="123")
    account.refresh_from_db()
    assert account._hc_lastop == "PENDING"
    (entry,) = _log("account")
    assert (entry["action"], entry["state"], entry["record_id"]) == ("INSERT", "NEW", account.pk)
    assert entry["values"]["name"] == "Acme"
    assert entry["values"]["external_id__c"] == account.external_id.hex
    assert "_hc_lastop" not in entry["values"]
    assert "_hc_err" not in entry["values"]
    assert entry["old"] is None


def test_capture__update_logs_only_changed_columns_with_sfid():
    """An UPDATE logs only the changed columns, and the sfid of the old row."""
    account = Account.objects.create(name="Acme", phone="123")
    _as_connect(
        "UPDATE salesforce.account SET sfid = %s WHERE id = %s", ["001000000000001AAA", account.pk]
    )
    Account.objects.filter(pk=account.pk).update(phone="456", name="Acme")
    update = _log("account")[-1]
    assert (update["action"], update["state"]) == ("UPDATE", "NEW")
    assert update["values"] == {"phone": "456"}
    assert update["sfid"] == "001000000000001AAA"
    assert update["old"]["phone"] == "123"
    assert "_hc_lastop" not in update["old"]


def test_capture__no_op_update_and_delete_without_sfid_are_ignore():
    """No-op updates and deletes of rows without sfid are logged as IGNORE."""
    contact = Contact.objects.create(last_name="Doe")
    Contact.objects.filter(pk=contact.pk).update(last_name="Doe")
    Contact.objects.filter(pk=contact.pk).delete()
    assert [(e["action"], e["state"]) for e in _log("contact")] == [
        ("INSERT", "NEW"),
        ("UPDATE", "IGNORE"),
        ("DELETE", "IGNORE"),
    ]


def test_capture__read_only_table_is_readonly():
    """Writes to read-only mappings are captured as READONLY."""
    with no_heroku_connect_write_restrictions():
        user = User.objects.create(name="Ann")
        User.objects.filter(pk=user.pk).update(name="Anne")
    assert [(e["action"], e["state"]) for e in _log("user")] == [
        ("INSERT", "READONLY"),
        ("UPDATE", "READONLY"),
    ]


def test_capture__connect_session_writes_are_not_captured():
    """Writes after Heroku Connect's session setting are not logged and mark rows SYNCED."""
    external_id = uuid.uuid4().hex
    _as_connect(
        "INSERT INTO salesforce.account (sfid, name, external_id__c) VALUES (%s, %s, %s)",
        ["001000000000002AAA", "From Salesforce", external_id],
    )
    assert _log("account") == []
    account = Account.objects.get(external_id=external_id)
    assert account._hc_lastop == "SYNCED"
    _as_connect("UPDATE salesforce.account SET _hc_lastop = 'INSERTED' WHERE id = %s", [account.pk])
    account.refresh_from_db()
    assert account._hc_lastop == "INSERTED"
    assert _log("account") == []


def test_capture__functions_record_newrows():
    """hc_capture_insert_from_row / hc_capture_update_from_row add NEW rows."""
    account = Account.objects.create(name="Acme", phone="1")
    (insert_id, update_id) = rows(
        "SELECT salesforce.hc_capture_insert_from_row(hstore(a.*), 'account', ARRAY['phone']), "
        "salesforce.hc_capture_update_from_row(hstore(a.*), 'account', ARRAY['name']) "
        "FROM salesforce.account a WHERE id = %s",
        [account.pk],
    )[0]
    assert insert_id is not None
    assert update_id is not None
    entries = _log("account")
    assert [(e["action"], e["state"]) for e in entries] == [
        ("INSERT", "NEW"),
        ("INSERT", "NEW"),
        ("UPDATE", "NEW"),
    ]
    assert "phone" not in entries[1]["values"]
    assert entries[2]["values"] == {"name": "Acme"}


def test_capture__notify_on_insert(django_db_blocker):
    """Each _trigger_log insert sends pg_notify('<schema>.hc_trigger_log', 'ping')."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with (
        psycopg.connect(**params, autocommit=True) as listener,
        psycopg.connect(**params, autocommit=True) as writer,
    ):
        listener.execute('LISTEN "salesforce.hc_trigger_log"')
        writer.execute("INSERT INTO salesforce.account (name) VALUES ('Notify Ltd')")
        try:
            notices = list(listener.notifies(timeout=5, stop_after=1))
        finally:
            writer.execute(schema.CONNECT_SESSION_SQL)
            writer.execute("DELETE FROM salesforce.account WHERE name = 'Notify Ltd'")
            writer.execute("DELETE FROM salesforce._trigger_log WHERE table_name = 'account'")
    assert [(n.channel, n.payload) for n in notices] == [("salesforce.hc_trigger_log", "ping")]


def test_django_model_and_serial_id_work_together():
    """The model's BigAutoField reads the serial id; lookups by sf_id join on varchar."""
    _as_connect(
        "INSERT INTO salesforce.account (sfid, name) VALUES ('001000000000003AAA', 'Parent')"
    )
    parent = Account.objects.get(sf_id="001000000000003AAA")
    contact = Contact.objects.create(last_name="Child", account=parent)
    assert isinstance(contact.pk, int)
    assert Contact.objects.get(account__name="Parent") == contact
    assert list(parent.contacts.all()) == [contact]


def test_create_heroku_connect_schema__returns_false_when_schema_exists():
    """An existing schema is left alone."""
    before = rows("SELECT count(*) FROM salesforce._hcmeta")
    assert create_heroku_connect_schema() is False
    assert rows("SELECT count(*) FROM salesforce._hcmeta") == before


@override_settings(HEROKU_CONNECT_SCHEMA="hc_libcore_dev", HEROKU_CONNECT_ORGANIZATION_ID="00Dx")
def test_create_heroku_connect_schema__creates_everything_in_the_configured_schema():
    """A new development schema gets _hcmeta (with the org id), the log tables and every model's
    table with its triggers."""
    assert create_heroku_connect_schema(using="default", development=True) is True
    assert rows("SELECT org_id FROM hc_libcore_dev._hcmeta") == [("00Dx",)]
    assert _triggers("hc_libcore_dev", "contact") == {
        "hc_contact_logtrigger",
        "hc_contact_status_trigger",
    }
    execute("INSERT INTO hc_libcore_dev.contact (lastname) VALUES ('x')")
    assert rows("SELECT action, state FROM hc_libcore_dev._trigger_log") == [("INSERT", "NEW")]


@override_settings(HEROKU_CONNECT_SCHEMA="hc_libcore_cmd")
def test_create_development_schema__creates_then_refuses_then_forces():
    """The command's messages, --force and --database."""
    out = io.StringIO()
    call_command("create_development_schema", "--database", "default", stdout=out)
    assert out.getvalue() == "Schema hc_libcore_cmd created.\n"
    with pytest.raises(CommandError, match=r"^Schema hc_libcore_cmd already exists\.$"):
        call_command("create_development_schema")
    execute("INSERT INTO hc_libcore_cmd.account (name) VALUES ('gone after --force')")
    out = io.StringIO()
    call_command("create_development_schema", "--force", stdout=out)
    assert out.getvalue() == "Schema hc_libcore_cmd created.\n"
    assert rows("SELECT count(*) FROM hc_libcore_cmd.account") == [(0,)]


@override_settings(HEROKU_CONNECT_SCHEMA="hc_libcore_broken")
def test_create_heroku_connect_schema__failure_leaves_nothing_behind(monkeypatch):
    """If one table cannot be created, the schema and everything before it are rolled back."""
    import heroku_connect.dev_schema

    # The same model twice: its second CREATE TABLE fails half-way through the models.
    monkeypatch.setattr(
        heroku_connect.dev_schema, "get_heroku_connect_models", lambda: iter([Account, Account])
    )
    with pytest.raises(ProgrammingError, match="already exists"):
        create_heroku_connect_schema(development=True)
    assert rows(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'hc_libcore_broken'"
    ) == [(0,)]


@override_settings(HEROKU_CONNECT_SCHEMA="salesforce")
def test_create_development_schema__force_failure_keeps_the_old_schema(monkeypatch):
    """--force drops and re-creates in one transaction: a failure keeps the existing schema."""
    import heroku_connect.dev_schema

    account = Account.objects.create(name="Survivor")
    monkeypatch.setattr(
        heroku_connect.dev_schema, "get_heroku_connect_models", lambda: iter([Account, Account])
    )
    with pytest.raises(ProgrammingError):
        call_command("create_development_schema", "--force")
    assert Account.objects.get(pk=account.pk).name == "Survivor"


def test_create_development_schema__unknown_database_alias():
    """An unknown --database alias is a clear command-line error."""
    with pytest.raises(CommandError, match="invalid choice: 'nope'"):
        call_command("create_development_schema", "--database", "nope")
