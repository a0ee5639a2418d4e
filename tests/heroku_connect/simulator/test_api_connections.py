"""Connection, mapping, errors, notifications, diagnose and describe endpoints over real HTTP."""

from __future__ import annotations

import time

import pytest
import requests
from django.db import connection

from tests.heroku_connect.simulator.api_helpers import connection_url, document, session


@pytest.fixture
def contact_sim(simulator):
    """The simulator with the Contact mapping imported and synced."""
    simulator.import_mapping(document())
    simulator.wait_idle()
    return simulator


def _mapping_id(sim):
    return sim.state.mapping_for_object("Contact").id


def _app_write(query, params=()):
    """A write by the application (captured by the triggers)."""
    with connection.cursor() as cursor:
        cursor.execute(query, params)


def test_discovery__lists_the_apps_connection_with_region_and_cells(simulator):
    """GET /connections?app= at the root and under /api/v3: {count, results, regions, cells}."""
    for url in (f"{simulator.base_url}/connections", f"{simulator.api_url}/connections"):
        body = session(simulator).get(url, params={"app": simulator.app_name}, timeout=5).json()
        assert body["count"] == 1
        [item] = body["results"]
        assert item["id"] == simulator.connection_id
        assert item["app_name"] == simulator.app_name
        assert item["region_url"] == simulator.base_url
        assert item["detail_url"] == connection_url(simulator)
        assert item["features"]["poll_db_no_merge"] is True
        assert item["cell"] in body["cells"]
        assert item["region"] in body["regions"]
        assert "mappings" not in item


def test_discovery__other_app_is_empty_and_missing_app_is_400(simulator):
    """Another app has no connections for this token; no app parameter is 400."""
    s = session(simulator)
    other = s.get(f"{simulator.api_url}/connections", params={"app": "someone-else"}, timeout=5)
    assert other.status_code == 200
    assert other.json()["results"] == []
    missing = s.get(f"{simulator.api_url}/connections", timeout=5)
    assert missing.status_code == 400
    assert "app" in missing.json()["message"]


@pytest.mark.parametrize(
    "path", ["/api/v3/users/me/apps/{app}/auth", "/auth/{app}", "/users/me/apps/{app}/auth"]
)
def test_account_link__old_and_central_endpoints(simulator, path):
    """Linking works for the own app (200 with connections) and is 403 for another app."""
    s = session(simulator)
    ok = s.post(simulator.base_url + path.format(app=simulator.app_name), timeout=5)
    assert ok.status_code == 200
    assert ok.json()["connections"][0]["id"] == simulator.connection_id
    denied = s.post(simulator.base_url + path.format(app="not-mine"), timeout=5)
    assert denied.status_code == 403
    assert "not-mine" in denied.json()["message"]


@pytest.mark.parametrize("deep", ["true", "True", "1"])
def test_connection__deep_adds_mappings(contact_sim, deep):
    """deep=true|True|1 adds the mappings with config, counts and times."""
    s = session(contact_sim)
    shallow = s.get(connection_url(contact_sim), timeout=5).json()
    assert "mappings" not in shallow
    assert shallow["state"] == "IDLE"
    assert shallow["schema_name"] == "salesforce"
    assert shallow["organization_id"] == contact_sim.org.organization_id
    assert "password" not in str(shallow["database"])
    body = s.get(connection_url(contact_sim), params={"deep": deep}, timeout=5).json()
    [mapping] = body["mappings"]
    assert mapping["object_name"] == "Contact"
    assert mapping["config"]["upsert_field"] == "External_ID__c"
    assert mapping["config"]["applied_at"]
    assert set(mapping["counts"]) == {"db", "sf", "pending", "errors"}
    assert set(mapping["times"]) == {"sf_poll", "sf_write", "db_poll", "db_write"}
    assert mapping["connection"] == {"id": contact_sim.connection_id}


def test_connection__patch(simulator):
    """PATCH sets db_key/name/features; unknown fields 400; another schema 409."""
    s = session(simulator)
    url = connection_url(simulator)
    ok = s.patch(url, json={"db_key": "HEROKU_POSTGRESQL_RED_URL", "name": "renamed"}, timeout=5)
    assert ok.status_code == 200
    assert ok.json()["db_key"] == "HEROKU_POSTGRESQL_RED_URL"
    assert ok.json()["name"] == "renamed"
    merged = s.patch(url, json={"features": {"poll_db_no_merge": False}}, timeout=5)
    assert merged.json()["features"]["poll_db_no_merge"] is False
    assert simulator.state.ordered_writes is False
    assert s.patch(url, json={"colour": "red"}, timeout=5).status_code == 400
    assert s.patch(url, json={"features": {"warp": True}}, timeout=5).status_code == 400
    assert s.patch(url, json=["db_key"], timeout=5).status_code == 400
    assert s.patch(url, json={"schema_name": "other"}, timeout=5).status_code == 409


def test_pause_resume_restart(simulator):
    """Pause only from IDLE (else 409 {message}); resume; restart recovers an error state."""
    s = session(simulator)
    assert s.post(connection_url(simulator, "/actions/pause"), timeout=5).status_code == 202
    assert simulator.state.connection_state == "PAUSED"
    again = s.post(connection_url(simulator, "/actions/pause"), timeout=5)
    assert again.status_code == 409
    assert "IDLE" in again.json()["message"]
    assert s.post(connection_url(simulator, "/actions/resume"), timeout=5).status_code == 202
    assert simulator.state.connection_state == "IDLE"
    assert s.post(connection_url(simulator, "/actions/resume"), timeout=5).status_code == 409
    simulator.state.set_connection_state("SYSTEM_ERROR")
    assert s.post(connection_url(simulator, "/actions/pause"), timeout=5).status_code == 409
    assert s.post(connection_url(simulator, "/actions/restart"), timeout=5).status_code == 202
    assert simulator.state.connection_state == "IDLE"


def test_mapping__get_and_delete(contact_sim):
    """GET /mappings/{M} returns the mapping; DELETE answers 204 and keeps the table."""
    s = session(contact_sim)
    url = f"{contact_sim.api_url}/mappings/{_mapping_id(contact_sim)}"
    body = s.get(url, timeout=5).json()
    assert body["object_name"] == "Contact"
    assert body["detail_url"] == url
    assert body["errors_url"] == f"{url}/errors"
    assert body["counts"]["db"] == len(contact_sim.org.records("Contact"))
    deleted = s.delete(url, timeout=5)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert s.get(url, timeout=5).status_code == 404
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM salesforce.contact")
        assert cursor.fetchone()[0] == len(contact_sim.org.records("Contact"))


@pytest.mark.simulator(import_seconds=0.4)
def test_mapping__reload_goes_through_reload_table(contact_sim):
    """Reload answers 202, shows RELOAD_TABLE, reloads the rows, ends DATA_SYNCED."""
    with connection.cursor() as cursor:
        cursor.execute("SET xmlbinary = 'hex'")
        cursor.execute("UPDATE salesforce.contact SET lastname = 'Scribbled'")
        cursor.execute("SET xmlbinary = 'base64'")
    s = session(contact_sim)
    url = f"{contact_sim.api_url}/mappings/{_mapping_id(contact_sim)}"
    assert s.post(f"{url}/actions/reload", timeout=5).status_code == 202
    assert s.get(url, timeout=5).json()["state"] == "RELOAD_TABLE"
    assert s.post(f"{url}/actions/reload", timeout=5).status_code == 409
    contact_sim.wait_idle()
    assert s.get(url, timeout=5).json()["state"] == "DATA_SYNCED"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM salesforce.contact WHERE lastname = 'Scribbled'")
        assert cursor.fetchone()[0] == 0


def test_errors__failed_writes_of_the_last_24_hours(contact_sim):
    """The engine's FAILED rows show in both errors endpoints and in counts; old ones do not."""
    _app_write(
        "INSERT INTO salesforce.contact (lastname, external_id__c) VALUES (NULL, 'ext-missing')"
    )
    contact_sim.engine.write_cycle()
    _app_write(
        "INSERT INTO salesforce._trigger_log_archive (id, state, action, table_name, record_id,"
        " created_at, sf_message) VALUES (999999, 'FAILED', 'INSERT', 'contact', 1,"
        " now() - interval '2 days', 'too old')"
    )
    _app_write("INSERT INTO salesforce.contact (lastname) VALUES ('Pending')")
    s = session(contact_sim)
    for url in (
        connection_url(contact_sim, "/errors"),
        f"{contact_sim.api_url}/mappings/{_mapping_id(contact_sim)}/errors",
    ):
        body = s.get(url, timeout=5).json()
        assert body["count"] == 1
        [error] = body["results"]
        assert set(error) == {"id", "table_name", "record_id", "message", "created_at"}
        assert error["table_name"] == "contact"
        assert error["message"] == "Required fields are missing: [LastName]"
    mapping = s.get(f"{contact_sim.api_url}/mappings/{_mapping_id(contact_sim)}", timeout=5)
    assert mapping.json()["counts"]["errors"] == 1
    assert mapping.json()["counts"]["pending"] == 1


def test_notifications__list_filter_acknowledge(simulator):
    """Unacknowledged notifications list and filter; acknowledge answers 204; bad params 400."""
    simulator.state.add_notification("mapping-error", "first")
    simulator.state.add_notification("postgres-connection", "second")
    s = session(simulator)
    url = connection_url(simulator, "/notifications")
    body = s.get(url, params={"page_size": 1000}, timeout=5).json()
    assert [n["message"] for n in body["results"]] == ["first", "second"]
    assert set(body["results"][0]) == {"id", "created_at", "event_type", "message"}
    only = s.get(url, params={"event_type": "postgres-connection"}, timeout=5).json()
    assert [n["message"] for n in only["results"]] == ["second"]
    ack = s.post(f"{url}/acknowledge", params={"event_type": "mapping-error"}, timeout=5)
    assert ack.status_code == 204
    assert [n["message"] for n in s.get(url, timeout=5).json()["results"]] == ["second"]
    assert s.get(url, params={"after": "yesterday"}, timeout=5).status_code == 400
    assert s.get(url, params={"page_size": "-1"}, timeout=5).status_code == 400
    assert s.post(f"{url}/acknowledge", params={"colour": "red"}, timeout=5).status_code == 400


@pytest.mark.simulator(validation_seconds=0.3)
def test_validations__202_then_result(contact_sim):
    """Diagnose: 202 {result_url}; polling gives 202 while running, then 200 with the checks."""
    s = session(contact_sim)
    started = s.post(connection_url(contact_sim, "/validations"), timeout=5)
    assert started.status_code == 202
    result_url = started.json()["result_url"]
    assert s.get(result_url, timeout=5).status_code == 202
    time.sleep(0.35)
    done = s.get(result_url, timeout=5)
    assert done.status_code == 200
    body = done.json()
    assert set(body) == {"errors", "warnings", "passes", "skips", "mappings"}
    rule_ids = {c["rule_id"] for c in body["passes"] + body["skips"]}
    assert {"NUM_MAPPINGS_WITHIN_LIMIT", "HEROKU_POSTGRES_REQUIRED"} <= rule_ids
    check = body["passes"][0]
    assert set(check) == {"rule_id", "display_name", "status", "message", "doc_url"}
    assert body["mappings"]["Contact"]["errors"] == []
    assert s.get(result_url + "x", timeout=5).status_code == 404


def test_validations__report_mapping_and_connection_errors(contact_sim):
    """A BAD_CONFIG mapping and an UNAUTHORIZED connection fail their checks."""
    contact_sim.state.set_mapping_state(_mapping_id(contact_sim), "BAD_CONFIG")
    contact_sim.state.set_connection_state("UNAUTHORIZED")
    s = session(contact_sim)
    result_url = s.post(connection_url(contact_sim, "/validations"), timeout=5).json()["result_url"]
    body = s.get(result_url, timeout=5).json()
    assert [c["rule_id"] for c in body["errors"]] == ["SHOULD_HAVE_VALID_SF_PERMISSIONS"]
    assert [c["status"] for c in body["mappings"]["Contact"]["errors"]] == ["FAILED"]


def test_schemas__describe_and_unknown_object(simulator):
    """GET /connections/{C}/schemas/{Object} returns the describe; unknown objects 404."""
    s = session(simulator)
    body = s.get(connection_url(simulator, "/schemas/Contact"), timeout=5).json()
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["LastName"]["required"] is True
    assert fields["External_ID__c"]["externalId"] is True
    assert s.get(connection_url(simulator, "/schemas/Nope__c"), timeout=5).status_code == 404


def test_api_url_accepts_trailing_slash(simulator):
    """Clients joining URLs with a trailing slash still reach the resource."""
    response = requests.get(
        connection_url(simulator) + "/",
        headers={"Authorization": f"Bearer {simulator.token}"},
        timeout=5,
    )
    assert response.status_code == 200


def test_pause__during_a_write_pass_is_allowed_and_sticks(simulator):
    """Pausing while the engine shows POLLING_DB_CHANGES works; the pass does not undo it."""
    with simulator.state.polling_db() as syncing:
        assert syncing
        assert simulator.state.connection_state == "POLLING_DB_CHANGES"
        response = session(simulator).post(connection_url(simulator, "/actions/pause"), timeout=5)
        assert response.status_code == 202
    assert simulator.state.connection_state == "PAUSED"
    with simulator.state.polling_db() as syncing:
        assert not syncing


@pytest.mark.simulator(loops=True, write_interval=0.05, read_interval=0.2)
def test_loops__background_engine_writes_and_stops_cleanly(contact_sim):
    """With loops on, a captured insert is written by the background write loop."""
    _app_write(
        "INSERT INTO salesforce.contact (lastname, external_id__c) VALUES ('Looped', 'ext-loop')"
    )
    deadline = time.monotonic() + 10
    state = None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT state FROM salesforce._trigger_log ORDER BY id DESC LIMIT 1")
            state = cursor.fetchone()[0]
        if state == "SUCCESS":
            break
        time.sleep(0.05)
    assert state == "SUCCESS"
    assert contact_sim.org.find("Contact", "External_ID__c", "ext-loop")["LastName"] == "Looped"


def test_apps__db_keys(simulator):
    """GET /apps/{app} lists the database config var; other apps are 404."""
    s = session(simulator)
    body = s.get(f"{simulator.api_url}/apps/{simulator.app_name}", timeout=5).json()
    assert body["db_keys"][0]["name"] == "DATABASE_URL"
    assert s.get(f"{simulator.api_url}/apps/other", timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("body", "host"),
    [
        ({}, "login.salesforce.com"),
        ({"environment": "sandbox"}, "test.salesforce.com"),
        ({"environment": "custom", "domain": "acme.my.salesforce.com"}, "acme.my.salesforce.com"),
    ],
)
def test_authorize_url__201_with_redirect(simulator, body, host):
    """POST authorize_url answers 201 {redirect} for the chosen login host."""
    response = session(simulator).post(
        connection_url(simulator, "/authorize_url"), json=body, timeout=5
    )
    assert response.status_code == 201
    assert response.json()["redirect"].startswith(f"https://{host}/services/oauth2/authorize")


def test_authorize_url__bad_environment_is_400(simulator):
    """Unknown environments and custom ones without a domain are 400."""
    s = session(simulator)
    url = connection_url(simulator, "/authorize_url")
    assert s.post(url, json={"environment": "moon"}, timeout=5).status_code == 400
    assert s.post(url, json={"environment": "custom"}, timeout=5).status_code == 400


def test_api_version__schema_diff_and_change_while_paused(contact_sim):
    """schema-diff lists the mappings; the change needs PAUSED (409) and a sane version (400)."""
    s = session(contact_sim)
    diff = s.get(connection_url(contact_sim, "/schema-diff?target_version=61.0"), timeout=5)
    assert diff.status_code == 200
    assert diff.json()["target_api_version"] == "61.0"
    assert [m["name"] for m in diff.json()["mappings"]] == ["Contact"]
    assert s.get(connection_url(contact_sim, "/schema-diff"), timeout=5).status_code == 400
    change = connection_url(contact_sim, "/actions/change-sf-api-version")
    refused = s.post(change, json={"target_version": "61.0"}, timeout=5)
    assert refused.status_code == 409
    assert "PAUSED" in refused.json()["message"]
    s.post(connection_url(contact_sim, "/actions/pause"), timeout=5)
    assert s.post(change, json={"target_version": "sixty"}, timeout=5).status_code == 400
    contact_sim.state.set_mapping_state(_mapping_id(contact_sim), "POLLING_SF_CHANGES")
    syncing = s.post(change, json={"target_version": "61.0"}, timeout=5)
    assert syncing.status_code == 409
    assert syncing.json()["syncing_mappings"] == ["Contact"]
    contact_sim.state.set_mapping_state(_mapping_id(contact_sim), "DATA_SYNCED")
    done = s.post(change, json={"target_version": "61.0"}, timeout=5)
    assert done.status_code == 202
    assert done.json()["target_version"] == "61.0"
    assert s.get(connection_url(contact_sim), timeout=5).json()["api_version"] == "61.0"
