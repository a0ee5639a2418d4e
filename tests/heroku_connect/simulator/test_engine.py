"""The sync engine's write loop on the real test database (example tables, real triggers)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest

from app.salesforce.models import Account, Contact, Project
from heroku_connect.simulator.org import Org
from tests.heroku_connect.simulator.engine_helpers import (
    engine_database,
    engine_for,
    hc_err,
    log_rows,
    make_state,
    query,
    row,
    truncate_all,
)


@pytest.fixture
def dsn(transactional_db: None) -> Iterator[str]:
    with engine_database() as url:
        yield url


def test_write_cycle__insert_creates_record_and_writes_sfid_back(dsn):
    """A captured INSERT becomes SUCCESS; the new sfid and INSERTED come back to the row."""
    contact = Contact.objects.create(first_name="Ada", last_name="Lovelace", email="ada@ex.com")
    with engine_for(dsn) as engine:
        assert engine.write_cycle() == {"SUCCESS": 1}
        saved = row(dsn, "contact", contact.pk)
        assert saved["sfid"].startswith("003")
        assert len(saved["sfid"]) == 18
        assert saved["_hc_lastop"] == "INSERTED"
        assert saved["_hc_err"] is None
        record = engine.org.get("Contact", saved["sfid"])
        assert record["LastName"] == "Lovelace"
        assert record["Email"] == "ada@ex.com"
        assert record["External_ID__c"] == contact.external_id.hex
        [log] = log_rows(dsn)  # the write-back was not captured
        assert log["state"] == "SUCCESS"
        assert log["sfid"] == saved["sfid"]
        assert log["processed_at"] is not None
        assert log["updated_at"] >= log["created_at"]
        assert log["sf_message"] is None


def test_write_cycle__update_by_sfid(dsn):
    """A later UPDATE changes the same Salesforce record; _hc_lastop becomes UPDATED."""
    contact = Contact.objects.create(last_name="Hopper")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        records = len(engine.org.records("Contact"))
        Contact.objects.filter(pk=contact.pk).update(email="grace@navy.mil")
        assert engine.write_cycle() == {"SUCCESS": 1}
        saved = row(dsn, "contact", contact.pk)
        assert saved["_hc_lastop"] == "UPDATED"
        assert engine.org.get("Contact", saved["sfid"])["Email"] == "grace@navy.mil"
        assert len(engine.org.records("Contact")) == records
        assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS", "SUCCESS"]


def test_write_cycle__upsert_on_external_id_updates_existing_record(dsn):
    """An INSERT whose External ID exists in Salesforce updates that record (no duplicate)."""
    with engine_for(dsn) as engine:
        existing = engine.org.records("Contact")[0]
        contact = Contact.objects.create(
            last_name="Renamed", external_id=uuid.UUID(existing["External_ID__c"])
        )
        assert engine.write_cycle() == {"SUCCESS": 1}
        saved = row(dsn, "contact", contact.pk)
        assert saved["sfid"] == existing["Id"]
        assert saved["_hc_lastop"] == "UPDATED"
        assert engine.org.get("Contact", existing["Id"])["LastName"] == "Renamed"


def _failure(dsn, engine, record_id, table="contact"):
    [log] = [r for r in log_rows(dsn) if r["record_id"] == record_id]
    saved = row(dsn, table, record_id)
    assert log["state"] == "FAILED"
    assert saved["_hc_lastop"] == "FAILED"
    err = hc_err(saved["_hc_err"])
    assert err["msg"] == log["sf_message"]
    assert err["src"] == "SFDC"
    return log["sf_message"], err["code"]


def test_write_cycle__required_field_missing(dsn):
    contact = Contact.objects.create(first_name="No", last_name=None)
    with engine_for(dsn) as engine:
        assert engine.write_cycle() == {"FAILED": 1}
        message, code = _failure(dsn, engine, contact.pk)
    assert message == "Required fields are missing: [LastName]"
    assert code == "REQUIRED_FIELD_MISSING"


def test_write_cycle__invalid_email(dsn):
    contact = Contact.objects.create(last_name="Mail", email="foo@")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        assert _failure(dsn, engine, contact.pk)[0] == "Email: invalid email address: foo@"


def test_write_cycle__string_too_long(dsn):
    """A Salesforce field shortened after the mapping was made rejects longer values."""
    contact = Contact.objects.create(last_name="Wolfeschlegelsteinhausen")
    org = Org(0, records_per_object=10)
    org.describe("Contact").fields["LastName"].length = 20
    with engine_for(dsn, org=org) as engine:
        engine.write_cycle()
        assert _failure(dsn, engine, contact.pk)[0] == (
            "Last Name: data value too large: Wolfeschlegelsteinhausen (max length=20)"
        )


def test_write_cycle__restricted_picklist(dsn):
    project = Project.objects.create(name="Apollo", status="Cancelled")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        message, code = _failure(dsn, engine, project.pk, table="project__c")
    assert message == "Status: bad value for restricted picklist field: Cancelled"
    assert code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_write_cycle__duplicate_external_id(dsn):
    """Changing a synced row's External ID to another record's value is a DUPLICATE_VALUE."""
    contact = Contact.objects.create(last_name="Twin")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        other = engine.org.records("Contact")[0]
        Contact.objects.filter(pk=contact.pk).update(external_id=uuid.UUID(other["External_ID__c"]))
        assert engine.write_cycle() == {"FAILED": 1}
        [_, log] = log_rows(dsn)
    assert log["sf_message"] == (
        f"duplicate value found: External_ID__c duplicates value on record with id: {other['Id']}"
    )


def test_write_cycle__entity_is_deleted(dsn):
    """Updating a row whose record was deleted in Salesforce fails with 'entity is deleted'."""
    contact = Contact.objects.create(last_name="Gone")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        engine.org.delete("Contact", row(dsn, "contact", contact.pk)["sfid"])
        Contact.objects.filter(pk=contact.pk).update(first_name="Still")
        engine.write_cycle()
        assert log_rows(dsn)[1]["sf_message"] == "entity is deleted"
        assert row(dsn, "contact", contact.pk)["_hc_lastop"] == "FAILED"


def test_write_cycle__invalid_cross_reference(dsn):
    contact = Contact.objects.create(last_name="Orphan", account_id="0015g00000ZZZZZAAA")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        assert _failure(dsn, engine, contact.pk) == (
            "invalid cross reference id",
            "INVALID_CROSS_REFERENCE_KEY",
        )


def test_write_cycle__validation_rule(dsn):
    future = datetime.date.today() + datetime.timedelta(days=30)
    contact = Contact.objects.create(last_name="Future", birthdate=future)
    with engine_for(dsn) as engine:
        engine.write_cycle()
        assert _failure(dsn, engine, contact.pk) == (
            "Birthdate cannot be in the future.",
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        )


def test_write_cycle__inactive_owner(dsn):
    org = Org(0, records_per_object=10)
    inactive = next(u for u in org.records("User") if not u["IsActive"])
    account = Account.objects.create(name="Owned", owner_id=inactive["Id"])
    with engine_for(dsn, org=org) as engine:
        engine.write_cycle()
        assert _failure(dsn, engine, account.pk, table="account")[0] == (
            "owner is inactive, cannot reparent record"
        )


def test_write_cycle__transient_lock_errors_at_the_configured_rate(dsn):
    """UNABLE_TO_LOCK_ROW at rate 1 fails every write; at rate 0 none; the text is Salesforce's."""
    first = Contact.objects.create(last_name="Locked")
    with engine_for(dsn, transient_failure_rate=1.0) as engine:
        assert engine.write_cycle() == {"FAILED": 1}
        message, code = _failure(dsn, engine, first.pk)
    assert code == "UNABLE_TO_LOCK_ROW"
    assert message.startswith("unable to obtain exclusive access to this record or 1 records: ")
    truncate_all(dsn)
    Contact.objects.bulk_create([Contact(last_name=f"C{i}") for i in range(40)])
    with engine_for(dsn, transient_failure_rate=0.25, rng_seed=3) as engine:
        counts = engine.write_cycle()
    assert counts["SUCCESS"] + counts["FAILED"] == 40
    assert 3 <= counts["FAILED"] <= 20


def test_write_cycle__ordered_writes_apply_every_row_in_order(dsn):
    contact = Contact.objects.create(last_name="One")
    Contact.objects.filter(pk=contact.pk).update(last_name="Two")
    Contact.objects.filter(pk=contact.pk).update(email="two@ex.com")
    with engine_for(dsn, ordered=True) as engine:
        before = engine.org.sequence
        assert engine.write_cycle() == {"SUCCESS": 3}
        assert engine.org.sequence - before == 3
        record = engine.org.get("Contact", row(dsn, "contact", contact.pk)["sfid"])
    assert (record["LastName"], record["Email"]) == ("Two", "two@ex.com")
    assert [r["state"] for r in log_rows(dsn)] == ["SUCCESS"] * 3


def test_write_cycle__merged_writes_fold_one_record_into_one_write(dsn):
    contact = Contact.objects.create(last_name="One")
    other = Contact.objects.create(last_name="Other")
    Contact.objects.filter(pk=contact.pk).update(last_name="Two")
    Contact.objects.filter(pk=contact.pk).update(email="two@ex.com")
    with engine_for(dsn, ordered=False) as engine:
        before = engine.org.sequence
        assert engine.write_cycle() == {"SUCCESS": 2, "MERGED": 2}
        assert engine.org.sequence - before == 2  # one write per record
        record = engine.org.get("Contact", row(dsn, "contact", contact.pk)["sfid"])
    assert (record["LastName"], record["Email"]) == ("Two", "two@ex.com")
    states = {(r["record_id"], r["id"]): r["state"] for r in log_rows(dsn)}
    assert [s for (rid, _), s in sorted(states.items()) if rid == contact.pk] == [
        "MERGED",
        "MERGED",
        "SUCCESS",
    ]
    assert row(dsn, "contact", other.pk)["_hc_lastop"] == "INSERTED"


def test_write_cycle__merged_failure_fails_every_folded_row(dsn):
    contact = Contact.objects.create(last_name="One")
    Contact.objects.filter(pk=contact.pk).update(email="bad@")
    with engine_for(dsn, ordered=False) as engine:
        assert engine.write_cycle() == {"FAILED": 2}
    assert {r["sf_message"] for r in log_rows(dsn)} == {"Email: invalid email address: bad@"}


def test_write_cycle__delete_and_ignore(dsn):
    """A DELETE of a synced row deletes the record; one without sfid (IGNORE) becomes IGNORED."""
    synced = Contact.objects.create(last_name="Synced")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        sfid = row(dsn, "contact", synced.pk)["sfid"]
        Contact.objects.filter(pk=synced.pk).delete()
        never = Contact.objects.create(last_name="Never")
        Contact.objects.filter(pk=never.pk).delete()
        counts = engine.write_cycle()
        assert engine.org.get("Contact", sfid)["IsDeleted"] is True
    # The INSERT of the row deleted meanwhile is still sent (its values are in the log).
    assert counts == {"SUCCESS": 2, "IGNORED": 1}
    states = [(r["action"], r["state"]) for r in log_rows(dsn)]
    assert ("DELETE", "SUCCESS") in states
    assert ("DELETE", "IGNORED") in states


def test_write_cycle__read_only_and_unmapped_tables_are_left_alone(dsn):
    """READONLY rows are never sent, and NEW rows of tables without a mapping stay NEW."""
    Contact.objects.create(last_name="Unmapped")
    org = Org(0, records_per_object=10)
    state = make_state(org)
    state.delete_mapping(state.mapping_for_object("Contact").id)
    query(
        dsn,
        "INSERT INTO salesforce.\"user\" (name, username) VALUES ('U', 'u@example.com')",
    )
    with engine_for(dsn, org=org, state=state) as engine:
        assert engine.write_cycle() == {}
    assert sorted(r["state"] for r in log_rows(dsn)) == ["NEW", "READONLY"]


def test_write_cycle__paused_connection_does_nothing(dsn):
    """While PAUSED, writes are captured but neither written nor archived; resume continues."""
    org = Org(0, records_per_object=10)
    state = make_state(org)
    state.pause()
    Contact.objects.create(last_name="Waiting")
    with engine_for(dsn, org=org, state=state, archive_after=0) as engine:
        assert engine.write_cycle() == {}
        assert engine.read_cycle() == {}
        assert engine.archive_cycle() == {}
        assert [r["state"] for r in log_rows(dsn)] == ["NEW"]
        state.resume()
        assert engine.write_cycle() == {"SUCCESS": 1}
        assert state.connection_state == "IDLE"


def test_write_cycle__error_state_does_nothing(dsn):
    org = Org(0, records_per_object=10)
    state = make_state(org)
    state.set_connection_state("SYSTEM_ERROR")
    Contact.objects.create(last_name="Waiting")
    with engine_for(dsn, org=org, state=state) as engine:
        assert engine.write_cycle() == {}
    assert [r["state"] for r in log_rows(dsn)] == ["NEW"]


def test_write_cycle__mapping_times_and_counts(dsn):
    org = Org(0, records_per_object=10)
    state = make_state(org)
    Contact.objects.create(last_name="Timed")
    with engine_for(dsn, org=org, state=state) as engine:
        engine.write_cycle()
    contact = state.mapping_for_object("Contact")
    account = state.mapping_for_object("Account")
    assert contact.times["db_poll"] is not None
    assert contact.times["sf_write"] is not None
    assert account.times["db_poll"] is not None
    assert account.times["sf_write"] is None
    assert state.snapshot().last_write_activity_time is not None


def test_write_cycle__sfid_already_on_another_row_fails_and_leaves_the_org_alone(dsn):
    """An upsert landing on a record whose sfid another row already holds cannot be written
    back (unique sfid): the org change is undone and the row FAILS with DUPLICATE_VALUE."""
    first = Contact.objects.create(last_name="First")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        sfid = row(dsn, "contact", first.pk)["sfid"]
        external_id = engine.org.get("Contact", sfid)["External_ID__c"]
        query(  # the row's External ID drifted (a write by Connect, not captured)
            dsn,
            "UPDATE salesforce.contact SET external_id__c = 'drifted' WHERE id = %s",
            [first.pk],
            as_connect=True,
        )
        second = Contact.objects.create(last_name="Second", external_id=uuid.UUID(external_id))
        assert engine.write_cycle() == {"FAILED": 1}
        assert engine.org.get("Contact", sfid)["LastName"] == "First"
        message, code = _failure(dsn, engine, second.pk)
    assert code == "DUPLICATE_VALUE"
    assert message == f"duplicate value found: Id duplicates value on record with id: {sfid}"


def test_write_cycle__missing_metadata_makes_the_connection_db_unavailable(dsn):
    """Without Connect's metadata tables (here: a schema that has none) the connection goes
    DB_UNAVAILABLE with a notification, and stays there until it is restarted."""
    org = Org(0, records_per_object=10)
    state = make_state(org)
    with engine_for(dsn, org=org, state=state, schema="simeng_without_metadata") as engine:
        assert engine.write_cycle() == {}
        assert state.connection_state == "DB_UNAVAILABLE"
        [notification] = state.matching_notifications()
        assert notification.event_type == "postgres-connection"
        assert notification.message == ("DB is missing Connect metadata [DatabaseValidationFailed]")
        assert engine.archive_cycle() == {}
        assert engine.read_cycle() == {}


def test_write_cycle__mapping_in_bad_config_is_skipped(dsn):
    """A mapping in an error state (BAD_CONFIG) neither writes nor polls; others go on."""
    org = Org(0, records_per_object=10)
    state = make_state(org)
    state.set_mapping_state(state.mapping_for_object("Contact").id, "BAD_CONFIG")
    Contact.objects.create(last_name="Stuck")
    Account.objects.create(name="Moving")
    with engine_for(dsn, org=org, state=state) as engine:
        assert engine.write_cycle() == {"SUCCESS": 1}
        engine.read_cycle(generate=False)
    assert sorted((r["table_name"], r["state"]) for r in log_rows(dsn)) == [
        ("account", "SUCCESS"),
        ("contact", "NEW"),
    ]
    assert state.mapping_for_object("Contact").times["sf_poll"] is None
    assert state.mapping_for_object("Account").times["sf_poll"] is not None


def test_write_cycle__logs_like_heroku_connect(dsn, caplog):
    """Each pass logs one Logplex-shaped line per mapping it wrote."""
    Contact.objects.create(last_name="Logged")
    Contact.objects.create(last_name="Bad", email="bad@")
    with (
        caplog.at_level("INFO", logger="heroku_connect.simulator.engine"),
        engine_for(dsn) as engine,
    ):
        engine.write_cycle()
        mapping_id = engine.state.mapping_for_object("Contact").id
    assert caplog.messages == [
        'event="Contact UPSERT \u2191SALESFORCE 2 rows (1 FAILED, 1 SUCCESS)" '
        f"object_type=mapping object_id={mapping_id} state=DATA_SYNCED level=info"
    ]
