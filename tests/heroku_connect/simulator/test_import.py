"""Import and export through the simulator's API, on the real test database."""

from __future__ import annotations

import copy
import io
import json
import time

import pytest
from django.core.management import call_command
from django.db import connection

from heroku_connect.simulator.importer import READ_WRITE_NEEDS_UPSERT
from tests.heroku_connect.simulator.api_helpers import (
    CONTACT_MAPPING,
    connection_url,
    document,
    session,
)


def _import(sim, doc):
    return session(sim).post(connection_url(sim, "/actions/import"), json=doc, timeout=10)


def _deep(sim):
    return session(sim).get(connection_url(sim, "?deep=true"), timeout=10).json()


def _fetch(query, params=()):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _columns(table):
    return dict(
        _fetch(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'salesforce' AND table_name = %s",
            [table],
        )
    )


def _log_count():
    return _fetch("SELECT count(*) FROM salesforce._trigger_log")[0][0]


@pytest.mark.simulator(import_seconds=0.6)
def test_import__states_tables_rows_then_idle(simulator):
    """202, IMPORT_CONFIGURATION with INITIAL -> RELOAD_TABLE -> DATA_SYNCED, rows loaded, IDLE."""
    log_before = _log_count()
    response = _import(simulator, document())
    assert response.status_code == 202
    seen_connection, seen_mapping = set(), []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = _deep(simulator)
        seen_connection.add(body["state"])
        for mapping in body["mappings"]:
            if not seen_mapping or seen_mapping[-1] != mapping["state"]:
                seen_mapping.append(mapping["state"])
        if body["state"] == "IDLE":
            break
        time.sleep(0.03)
    assert "IMPORT_CONFIGURATION" in seen_connection
    assert seen_mapping == ["INITIAL", "RELOAD_TABLE", "DATA_SYNCED"]
    assert body["state"] == "IDLE"
    [mapping] = body["mappings"]
    expected = len(simulator.org.records("Contact"))
    assert mapping["counts"] == {"db": expected, "sf": expected, "pending": 0, "errors": 0}
    assert mapping["config"]["revision"] == 1
    assert mapping["times"]["sf_poll"] is not None
    rows = _fetch("SELECT sfid, lastname, _hc_lastop FROM salesforce.contact")
    assert len(rows) == expected
    assert {r[2] for r in rows} == {"SYNCED"}
    by_id = {r["Id"]: r["LastName"] for r in simulator.org.records("Contact")}
    assert {r[0]: r[1] for r in rows} == by_id
    assert _log_count() == log_before, "Connect's own loads must not be captured"


def test_import__existing_django_table_keeps_its_columns(simulator):
    """The example contact table (made from the Django model) is adopted, not replaced."""
    before = _columns("contact")
    assert _import(simulator, document()).status_code == 202
    simulator.wait_idle()
    assert _columns("contact") == before


def test_import__creates_new_table_with_connect_types(simulator):
    """A new object's table gets Heroku Connect's column types, indexes and triggers."""
    invoice_like = {
        "object_name": "Opportunity",
        "config": {
            "access": "read_only",
            "fields": {"Id": {}, "Name": {}, "Amount": {}, "CloseDate": {}, "IsDeleted": {}},
            "indexes": {"Id": {"unique": True}},
        },
    }
    assert _import(simulator, document(invoice_like)).status_code == 202
    simulator.wait_idle()
    columns = _columns("opportunity")
    assert columns["sfid"] == "character varying"
    assert columns["amount"] == "double precision"
    assert columns["closedate"] == "date"
    assert columns["isdeleted"] == "boolean"
    assert {"id", "_hc_lastop", "_hc_err"} <= set(columns)
    indexes = {
        r[0] for r in _fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'opportunity'")
    }
    assert "hcu_idx_opportunity_sfid" in indexes
    triggers = {r[0] for r in _fetch("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    assert "hc_opportunity_logtrigger" in triggers
    count = _fetch("SELECT count(*) FROM salesforce.opportunity")[0][0]
    assert count == len(simulator.org.records("Opportunity")) > 0


def test_import__changed_mapping_alters_table_and_bumps_revision(simulator):
    """Adding a field: SCHEMA_CHANGED/RESYNC, a new column, values loaded, revision 2."""
    assert _import(simulator, document()).status_code == 202
    simulator.wait_idle()
    changed = copy.deepcopy(CONTACT_MAPPING)
    changed["config"]["fields"]["Title"] = {}
    assert _import(simulator, document(changed)).status_code == 202
    simulator.wait_idle()
    [mapping] = _deep(simulator)["mappings"]
    assert mapping["state"] == "DATA_SYNCED"
    assert mapping["config"]["revision"] == 2
    assert "Title" in mapping["config"]["fields"]
    assert "title" in _columns("contact")
    titles = {r["Id"]: r.get("Title") for r in simulator.org.records("Contact")}
    rows = dict(_fetch("SELECT sfid, title FROM salesforce.contact WHERE sfid IS NOT NULL"))
    assert rows == titles


def test_import__behaves_like_patch(simulator):
    """Mappings absent from a later import stay; re-importing the same config changes nothing."""
    assert _import(simulator, document()).status_code == 202
    simulator.wait_idle()
    account = {
        "object_name": "Account",
        "config": {"access": "read_only", "fields": {"Id": {}, "Name": {}}, "indexes": {}},
    }
    assert _import(simulator, document(account)).status_code == 202
    simulator.wait_idle()
    assert _import(simulator, document()).status_code == 202
    simulator.wait_idle()
    mappings = {m["object_name"]: m for m in _deep(simulator)["mappings"]}
    assert set(mappings) == {"Contact", "Account"}
    assert mappings["Contact"]["config"]["revision"] == 1


def test_import__while_importing_is_409(simulator):
    """A second import during IMPORT_CONFIGURATION is refused with 409."""
    simulator.importer.import_seconds = 1.0
    assert _import(simulator, document()).status_code == 202
    response = _import(simulator, document())
    assert response.status_code == 409
    assert "in progress" in response.json()["message"]
    simulator.wait_idle()


def _bad(sim, mapping_changes=None, doc=None):
    mapping = copy.deepcopy(CONTACT_MAPPING)
    if mapping_changes:
        mapping_changes(mapping)
    response = _import(sim, doc if doc is not None else document(mapping))
    assert response.status_code == 400, response.text
    assert sim.state.mappings() == []
    assert sim.state.connection_state == "IDLE"
    return response.json()["message"]


def test_import__unknown_object_is_400_naming_it(simulator):
    """Unknown objects are named in the 400 message."""
    message = _bad(simulator, lambda m: m.update(object_name="Spaceship__c"))
    assert "Spaceship__c" in message


def test_import__unknown_fields_are_400_naming_them(simulator):
    """Unknown fields are listed in the 400 message."""

    def change(m):
        m["config"]["fields"].update({"Warp_Speed__c": {}, "Shoe_Size__c": {}})

    message = _bad(simulator, change)
    assert "Contact" in message
    assert "Shoe_Size__c, Warp_Speed__c" in message


def test_import__read_write_without_upsert_field_is_400(simulator):
    """The real service's message for read-write mappings without an upsert field."""
    message = _bad(simulator, lambda m: m["config"].pop("upsert_field"))
    assert message == READ_WRITE_NEEDS_UPSERT


def test_import__upsert_field_not_unique_external_id_is_400(simulator):
    """An upsert field that is not a unique External ID is rejected."""
    message = _bad(simulator, lambda m: m["config"].update(upsert_field="Email"))
    assert "Email" in message
    assert "unique External ID" in message


def test_import__relationship_field_without_indexed_lookup_is_400(simulator):
    """X__r__Ext__c needs its base lookup indexed (we reject; Connect drops it silently)."""

    def change(m):
        m["config"]["fields"].update({"AccountId": {}, "Account__r__External_ID__c": {}})

    message = _bad(simulator, change)
    assert "Account__r__External_ID__c" in message
    assert "AccountId" in message


def test_import__relationship_field_with_indexed_lookup_loads_values(simulator):
    """With AccountId indexed, the relationship column holds the account's External ID."""
    mapping = copy.deepcopy(CONTACT_MAPPING)
    mapping["config"]["fields"].update({"AccountId": {}, "Account__r__External_ID__c": {}})
    mapping["config"]["indexes"]["AccountId"] = {"unique": False}
    assert _import(simulator, document(mapping)).status_code == 202
    simulator.wait_idle()
    accounts = {a["Id"]: a["External_ID__c"] for a in simulator.org.records("Account")}
    rows = _fetch("SELECT accountid, account__r__external_id__c FROM salesforce.contact")
    linked = [(a, e) for a, e in rows if a]
    assert linked
    assert all(accounts.get(a) == e for a, e in linked)


def test_import__missing_required_fields_is_a_warning_notification(simulator):
    """Missing LastName imports (202) but warns, in the body and as a notification."""
    message = "Fields needed for insertion to Salesforce need to be mapped: LastName"
    mapping = copy.deepcopy(CONTACT_MAPPING)
    del mapping["config"]["fields"]["LastName"]
    response = _import(simulator, document(mapping))
    assert response.status_code == 202
    assert response.json()["warnings"] == [f"Contact: {message}"]
    simulator.wait_idle()
    notes = session(simulator).get(connection_url(simulator, "/notifications"), timeout=5)
    assert [n["message"] for n in notes.json()["results"]] == [f"Contact: {message}"]
    assert notes.json()["results"][0]["event_type"] == "mapping-error"


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ([], "JSON object"),
        ({"version": 2, "mappings": []}, "version"),
        ({"version": 1}, "mappings"),
        ({"mappings": [{"object_name": "Contact"}]}, "config"),
        ({"mappings": [{"object_name": "Contact", "config": {"access": "rw"}}]}, "access"),
        (
            {"mappings": [{"object_name": "Contact", "config": {"access": "read_only"}}]},
            "fields",
        ),
        (
            {
                "mappings": [
                    {
                        "object_name": "Contact",
                        "config": {
                            "access": "read_only",
                            "fields": {"Id": {}},
                            "sf_polling_seconds": "often",
                        },
                    }
                ]
            },
            "sf_polling_seconds",
        ),
    ],
)
def test_import__malformed_documents_are_400(simulator, doc, fragment):
    """Documents of the wrong shape answer 400 with a message naming the problem."""
    assert fragment in _bad(simulator, doc=doc)


def test_export__round_trip(simulator):
    """Export returns the deployed config (no revision/applied_at); importing it changes nothing."""
    assert _import(simulator, document()).status_code == 202
    simulator.wait_idle()
    exported = session(simulator).get(connection_url(simulator, "/actions/export"), timeout=5)
    assert exported.status_code == 200
    body = exported.json()
    assert body["version"] == 1
    assert body["connection"]["app_name"] == simulator.app_name
    assert body["connection"]["organization_id"] == simulator.org.organization_id
    assert body["connection"]["features"]["poll_db_no_merge"] is True
    assert body["connection"]["api_version"]
    assert body["mappings"] == document()["mappings"]
    assert _import(simulator, body).status_code == 202
    simulator.wait_idle()
    assert simulator.state.mappings()[0].config.revision == 1


def test_makemappings__imports_end_to_end(simulator):
    """makemappings of the example models imports cleanly and exports back the same config."""
    out = io.StringIO()
    call_command("makemappings", stdout=out)
    generated = json.loads(out.getvalue())
    response = _import(simulator, generated)
    assert response.status_code == 202, response.text
    assert response.json()["warnings"] == []
    simulator.wait_idle(timeout=20)
    body = _deep(simulator)
    assert body["state"] == "IDLE"
    assert {m["state"] for m in body["mappings"]} == {"DATA_SYNCED"}
    exported = session(simulator).get(connection_url(simulator, "/actions/export"), timeout=5)

    def by_name(doc):
        return {m["object_name"]: m["config"] for m in doc["mappings"]}

    assert by_name(exported.json()) == by_name(generated)
    for mapping in body["mappings"]:
        assert mapping["counts"]["db"] == mapping["counts"]["sf"], mapping["object_name"]


def _schema_shape():
    tables = _fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'salesforce'"
    )
    return {
        "tables": sorted(t[0] for t in tables),
        "contact": _columns("contact"),
        "indexes": sorted(
            r[0] for r in _fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'salesforce'")
        ),
        "triggers": sorted(
            r[0] for r in _fetch("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        ),
        "rows": _fetch("SELECT count(*) FROM salesforce.contact")[0][0],
        "log": _log_count(),
    }


def test_running_simulator__leaves_the_database_as_found(transactional_db):
    """New tables, added columns, loaded rows and trigger-log rows are all undone on exit."""
    from heroku_connect.test.simulator import dsn_from_settings_dict, running_simulator

    before = _schema_shape()
    changed = copy.deepcopy(CONTACT_MAPPING)
    changed["config"]["fields"]["Title"] = {}
    changed["config"]["access"] = "read_only"
    opportunity = {
        "object_name": "Opportunity",
        "config": {"access": "read_only", "fields": {"Id": {}, "Name": {}}, "indexes": {}},
    }
    with running_simulator(dsn_from_settings_dict(connection.settings_dict)) as sim:
        sim.import_mapping(document(changed, opportunity))
        sim.wait_idle()
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO salesforce.contact (lastname) VALUES ('Captured')")
        during = _schema_shape()
        assert during != before
        assert during["log"] == before["log"] + 1
    assert _schema_shape() == before
    with connection.cursor() as cursor:  # the read-write trigger is back
        cursor.execute("INSERT INTO salesforce.contact (lastname) VALUES ('Again')")
        cursor.execute("SELECT state FROM salesforce._trigger_log ORDER BY id DESC LIMIT 1")
        assert cursor.fetchone()[0] == "NEW"
        cursor.execute("DELETE FROM salesforce._trigger_log")
        cursor.execute("SET xmlbinary = 'hex'")
        cursor.execute("DELETE FROM salesforce.contact")
        cursor.execute("SET xmlbinary = 'base64'")


def test_start__creates_connect_metadata_in_a_missing_schema(transactional_db):
    """A fresh schema gets _hcmeta and the trigger log; an import creates its tables there."""
    from heroku_connect.test.simulator import dsn_from_settings_dict, running_simulator

    dsn = dsn_from_settings_dict(connection.settings_dict)
    with running_simulator(dsn, schema="simapi_fresh") as sim:
        assert _fetch("SELECT org_id FROM simapi_fresh._hcmeta") == [(sim.org.organization_id,)]
        assert _fetch("SELECT count(*) FROM simapi_fresh._trigger_log") == [(0,)]
        sim.import_mapping(document())
        sim.wait_idle()
        rows = _fetch("SELECT count(*) FROM simapi_fresh.contact")[0][0]
        assert rows == len(sim.org.records("Contact"))
    assert _fetch("SELECT to_regnamespace('simapi_fresh')") == [(None,)]


@pytest.mark.simulator(import_seconds=0.3)
def test_import_mappings_command__wait_end_to_end(simulator):
    """manage.py import_mappings --wait finds the connection, uploads, waits until IDLE."""
    out = io.StringIO()
    call_command(
        "import_mappings", "--app", simulator.app_name, "--wait", "--wait-interval", "0",
        stdout=out,
    )  # fmt: skip
    assert "Done!" in out.getvalue()
    assert simulator.state.connection_state == "IDLE"
    states = {m.object_name: m.state for m in simulator.state.mappings()}
    assert set(states) == {"User", "RecordType", "Account", "Contact", "Project__c"}
    assert set(states.values()) == {"DATA_SYNCED"}


def test_import__unreachable_database_is_db_unavailable(simulator):
    """When the database goes away during an import: DB_UNAVAILABLE, mappings too, a notice."""
    simulator.importer.dsn = "postgresql://postgres@127.0.0.1:1/gone?connect_timeout=2"
    assert _import(simulator, document()).status_code == 202
    simulator.state.wait_import_done(10)
    body = _deep(simulator)
    assert body["state"] == "DB_UNAVAILABLE"
    assert body["mappings"][0]["state"] == "DB_UNAVAILABLE"
    notes = session(simulator).get(connection_url(simulator, "/notifications"), timeout=5).json()
    assert notes["results"][-1]["event_type"] == "postgres-connection"
    assert notes["results"][-1]["message"] == "database unavailable [InvalidDatabaseException]"


def test_restart__recovers_after_the_database_is_back(simulator):
    """restart shows RECOVERY, resyncs the failed mappings (tables, rows) and ends IDLE."""
    good_dsn = simulator.importer.dsn
    simulator.importer.dsn = "postgresql://postgres@127.0.0.1:1/gone?connect_timeout=2"
    assert _import(simulator, document()).status_code == 202
    simulator.state.wait_import_done(10)
    simulator.importer.dsn = good_dsn
    simulator.importer.import_seconds = 0.4
    restarted = session(simulator).post(connection_url(simulator, "/actions/restart"), timeout=5)
    assert restarted.status_code == 202
    assert _deep(simulator)["state"] == "RECOVERY"
    again = session(simulator).post(connection_url(simulator, "/actions/restart"), timeout=5)
    assert again.status_code == 409
    simulator.wait_idle()
    body = _deep(simulator)
    assert body["state"] == "IDLE"
    assert body["mappings"][0]["state"] == "DATA_SYNCED"
    assert body["mappings"][0]["counts"]["db"] == len(simulator.org.records("Contact"))


def test_restart__unsticks_a_schema_changed_mapping(simulator):
    """A mapping stuck in SCHEMA_CHANGED (set by the control API) is resynced by restart."""
    simulator.import_mapping(document())
    simulator.wait_idle()
    mapping_id = simulator.state.mappings()[0].id
    simulator.state.set_mapping_state(mapping_id, "SCHEMA_CHANGED")
    session(simulator).post(connection_url(simulator, "/actions/restart"), timeout=5)
    simulator.wait_idle()
    assert simulator.state.mapping(mapping_id).state == "DATA_SYNCED"
    assert simulator.state.connection_state == "IDLE"
