"""The archiver (processed rows, FAILED hold, REQUEUE) and the read loop on the real database."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.utils import timezone

from app.salesforce.models import Account, Contact
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.simulator.engine import APPLICATION_NAME
from heroku_connect.simulator.org import Org
from tests.heroku_connect.simulator.engine_helpers import (
    engine_database,
    engine_for,
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


def test_archive_cycle__moves_processed_rows_keeping_ids(dsn):
    """SUCCESS/IGNORED/READONLY rows older than archive_after move with their ids; FAILED
    rows stay until failed_archive_after; NEW rows are never archived."""
    ok = Contact.objects.create(last_name="Ok")
    bad = Contact.objects.create(last_name="Bad", email="bad@")
    Contact.objects.filter(pk=ok.pk).update(last_name="Ok")  # no change: IGNORE
    query(dsn, "INSERT INTO salesforce.\"user\" (name) VALUES ('Read only')")
    with engine_for(dsn, archive_after=0, failed_archive_after=3600) as engine:
        engine.write_cycle()
        Contact.objects.create(last_name="Later")  # NEW, not yet processed
        before = {r["id"]: r for r in log_rows(dsn)}
        assert engine.archive_cycle() == {"archived": 3, "requeued": 0}
    live = {r["id"]: r["state"] for r in log_rows(dsn)}
    archived = {r["id"]: r for r in log_rows(dsn, "_trigger_log_archive")}
    assert sorted(live.values()) == ["FAILED", "NEW"]
    assert sorted(r["state"] for r in archived.values()) == ["IGNORED", "READONLY", "SUCCESS"]
    for log_id, archived_row in archived.items():
        assert archived_row == before[log_id]  # every column, the id included
    assert [r.record_id for r in TriggerLog.objects.filter(state="FAILED")] == [bad.pk]


def test_archive_cycle__age_counts_from_the_last_state_change(dsn):
    """A FAILED row an operator dismissed (IGNORED) or retried under ordered writes
    (REQUEUED) long after the failure is archived archive_after seconds after that change."""
    first = Contact.objects.create(last_name="Bad", email="bad@")
    second = Contact.objects.create(last_name="Worse", email="worse@")
    with engine_for(dsn, archive_after=3600, failed_archive_after=7200) as engine:
        engine.write_cycle()
        query(
            dsn,
            "UPDATE salesforce._trigger_log SET processed_at = now() - interval '2 hours', "
            "updated_at = now() - interval '90 minutes'",
        )
        TriggerLog.objects.filter(record_id=first.pk).update(state="IGNORED")  # updated_at kept
        TriggerLog.objects.filter(record_id=second.pk).update(state="REQUEUED")
        assert engine.archive_cycle()["archived"] == 2
        assert TriggerLog.objects.count() == 0
        Contact.objects.filter(pk=first.pk).update(email="fine@ex.com")
        engine.write_cycle()
        TriggerLog.objects.update(processed_at=timezone.now() - datetime.timedelta(hours=3))
        assert engine.archive_cycle()["archived"] == 0  # just processed (updated_at = now)


def test_archive_cycle__failed_rows_after_their_own_delay(dsn):
    Contact.objects.create(last_name="Bad", email="bad@")
    with engine_for(dsn, archive_after=3600, failed_archive_after=0) as engine:
        engine.write_cycle()
        assert engine.archive_cycle() == {"archived": 1, "requeued": 0}
    assert [r["state"] for r in log_rows(dsn, "_trigger_log_archive")] == ["FAILED"]
    assert log_rows(dsn) == []


def test_archive_cycle__requeue_copies_the_row_back_as_new(dsn):
    """An archive row set to REQUEUE comes back to _trigger_log as NEW and becomes REQUEUED;
    the next write pass sends it."""
    contact = Contact.objects.create(last_name="Unlucky", email="unlucky@ex.com")
    with engine_for(
        dsn, archive_after=0, failed_archive_after=0, transient_failure_rate=1.0
    ) as engine:
        assert engine.write_cycle() == {"FAILED": 1}  # a transient lock error
        engine.archive_cycle()
        engine.transient_failure_rate = 0.0
        [failed] = TriggerLogArchive.objects.all()
        TriggerLogArchive.objects.filter(pk=failed.pk).update(state="REQUEUE")
        assert engine.archive_cycle() == {"archived": 0, "requeued": 1}
        assert TriggerLogArchive.objects.get(pk=failed.pk).state == "REQUEUED"
        copy = TriggerLog.objects.get()
        assert copy.id != failed.id
        assert (copy.state, copy.action, copy.record_id, copy.values) == (
            "NEW",
            "INSERT",
            contact.pk,
            failed.values,
        )
        assert engine.write_cycle() == {"SUCCESS": 1}
        sfid = row(dsn, "contact", contact.pk)["sfid"]
        assert engine.org.get("Contact", sfid)["Email"] == "unlucky@ex.com"
        assert engine.archive_cycle() == {"archived": 1, "requeued": 0}
        assert engine.archive_cycle() == {"archived": 0, "requeued": 0}  # REQUEUED stays


def test_read_cycle__brings_written_records_back_as_synced(dsn):
    """After the next poll, a row inserted through the write loop shows SYNCED with the
    Salesforce values (SystemModstamp), and nothing is captured."""
    contact = Contact.objects.create(last_name="Roundtrip")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        assert row(dsn, "contact", contact.pk)["_hc_lastop"] == "INSERTED"
        assert engine.read_cycle(generate=False) == {"update": 1}
    saved = row(dsn, "contact", contact.pk)
    assert saved["_hc_lastop"] == "SYNCED"
    assert saved["systemmodstamp"] is not None
    assert saved["isdeleted"] is False
    assert len(log_rows(dsn)) == 1


def test_read_cycle__applies_salesforce_changes_without_capturing_them(dsn):
    """Generated inserts, updates and deletes reach the mapped tables as Heroku Connect."""
    org = Org(0, records_per_object=10)
    with engine_for(dsn, org=org, max_read_changes=6, rng_seed=5) as engine:
        totals = {}
        for _ in range(4):
            for kind, n in engine.read_cycle().items():
                totals[kind] = totals.get(kind, 0) + n
    assert totals.get("insert", 0) > 0
    for model, name in ((Contact, "Contact"), (Account, "Account")):
        in_org = {r["Id"] for r in org.records(name)}
        rows = {
            r["sfid"]: r
            for r in query(dsn, f"SELECT * FROM salesforce.{name.lower()} WHERE sfid IS NOT NULL")
        }
        live_rows = {sfid for sfid, r in rows.items() if not r["isdeleted"]}
        assert live_rows <= in_org
        assert {r["_hc_lastop"] for r in rows.values()} <= {"SYNCED"}
        assert model.objects.count() == len(rows)
    assert log_rows(dsn) == []


def test_read_cycle__keeps_a_row_whose_change_waits_to_be_written(dsn):
    """A poll does not overwrite an application change still PENDING; after the write, the
    next poll brings the record back as SYNCED."""
    contact = Contact.objects.create(last_name="Mine")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        sfid = row(dsn, "contact", contact.pk)["sfid"]
        Contact.objects.filter(pk=contact.pk).update(first_name="App")
        engine.org.update("Contact", sfid, {"Title": "Changed in Salesforce"})
        assert engine.read_cycle(generate=False) == {"skipped": 1}
        assert row(dsn, "contact", contact.pk)["firstname"] == "App"
        assert engine.write_cycle() == {"SUCCESS": 1}
        assert engine.read_cycle(generate=False) == {"update": 1}
    saved = row(dsn, "contact", contact.pk)
    assert (saved["firstname"], saved["_hc_lastop"]) == ("App", "SYNCED")


def test_read_cycle__soft_delete_and_purge(dsn):
    contact = Contact.objects.create(last_name="Doomed")
    with engine_for(dsn) as engine:
        engine.write_cycle()
        sfid = row(dsn, "contact", contact.pk)["sfid"]
        engine.org.delete("Contact", sfid)
        assert engine.read_cycle(generate=False) == {"delete": 1}
        assert row(dsn, "contact", contact.pk)["isdeleted"] is True
        engine.org.purge("Contact", sfid)
        assert engine.read_cycle(generate=False) == {"delete": 1}
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert [r["action"] for r in log_rows(dsn)] == ["INSERT"]


def test_read_cycle__soft_delete_without_system_modstamp_mapped(dsn):
    contact = Contact.objects.create(last_name="Doomed")
    org = Org(0, records_per_object=10)
    state = make_state(org)
    mapping = state.mapping_for_object("Contact")
    del mapping.config.fields["SystemModstamp"]
    state.update_mapping_config(mapping.id, mapping.config)
    state.set_mapping_state(mapping.id, "DATA_SYNCED")
    with engine_for(dsn, org=org, state=state) as engine:
        engine.write_cycle()
        engine.org.delete("Contact", row(dsn, "contact", contact.pk)["sfid"])
        assert engine.read_cycle(generate=False) == {"delete": 1}
    saved = row(dsn, "contact", contact.pk)
    assert (saved["isdeleted"], saved["systemmodstamp"]) == (True, None)


def test_read_cycle__honours_the_polling_interval(dsn):
    """Unforced passes poll a mapping only once per interval; forced ones always."""
    org = Org(0, records_per_object=10)
    state = make_state(org)
    with engine_for(dsn, org=org, state=state, read_interval=3600) as engine:
        engine.read_cycle(force=False, generate=False)
        first = state.mapping_for_object("Contact").times["sf_poll"]
        engine.read_cycle(force=False, generate=False)
        assert state.mapping_for_object("Contact").times["sf_poll"] == first
        engine.read_cycle(force=True, generate=False)
        assert state.mapping_for_object("Contact").times["sf_poll"] > first


def test_read_cycle__deterministic_for_a_seed(dsn):
    """The same org seed and engine seed make the same changes."""
    changes = []
    for _ in range(2):
        org = Org(4, records_per_object=10)
        state = make_state(org)
        with engine_for(dsn, org=org, state=state, rng_seed=9, max_read_changes=4) as engine:
            engine.read_cycle()
        changes.append(sorted((r["sfid"], r["lastname"]) for r in query(
            dsn, "SELECT sfid, lastname FROM salesforce.contact"
        )))  # fmt: skip
        truncate_all(dsn)
    assert changes[0]
    assert changes[0] == changes[1]


def test_background_loops__write_read_and_archive_run_until_stopped(dsn):
    """start() runs all three loops; stop() ends them and closes every connection."""
    import time

    org = Org(0, records_per_object=10)
    state = make_state(org)
    contact = Contact.objects.create(last_name="Looped")
    with engine_for(
        dsn, org=org, state=state, write_interval=0.05, read_interval=0.05, archive_after=0
    ) as engine:
        engine.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            saved = row(dsn, "contact", contact.pk)
            if saved["_hc_lastop"] == "SYNCED" and not log_rows(dsn):
                break
            time.sleep(0.05)
        engine.stop()
        assert engine._threads == []
    assert row(dsn, "contact", contact.pk)["_hc_lastop"] == "SYNCED"
    assert [r["state"] for r in log_rows(dsn, "_trigger_log_archive")] == ["SUCCESS"]
    active = query(
        dsn,
        "SELECT count(*) AS n FROM pg_stat_activity "
        "WHERE application_name = %s AND datname = current_database()",
        [APPLICATION_NAME],
    )
    assert active == [{"n": 0}]
