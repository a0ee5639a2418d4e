"""heroku_connect.utils: enums, constants, registry helpers and mapping export."""

import datetime
import inspect

import pytest
from django.test import override_settings

from app.salesforce.models import Account, Contact, Project, RecordType, User
from heroku_connect import utils
from heroku_connect.db.models import HerokuConnectModel


def test_constants():
    """The request timeout and the connection states keep their public values."""
    assert utils.HEROKU_REQUEST_TIMEOUT == 30
    states = utils.ConnectionStates
    for name in (
        "IDLE", "POLLING_DB_CHANGES", "IMPORT_CONFIGURATION", "BUSY", "NEED_AUTHENTICATION",
        "INACTIVE_ORG", "PAUSED",
    ):  # fmt: skip
        assert getattr(states, name) == name
    assert states.OK_STATES == ("IDLE", "POLLING_DB_CHANGES", "IMPORT_CONFIGURATION", "BUSY")


def test_mapping_state__members_and_groups():
    """23 unique str members; the three groups partition all but INITIAL-free states."""
    members = list(utils.MappingState)
    assert len(members) == 23
    assert all(m.value == m.name and isinstance(m, str) for m in members)
    assert utils.MappingState("DATA_SYNCED") == "DATA_SYNCED"
    groups = (
        utils.OK_MAPPING_STATES,
        utils.TEMPORARY_ERROR_MAPPING_STATES,
        utils.ERROR_MAPPING_STATES,
    )
    assert [len(g) for g in groups] == [13, 3, 7]
    assert set().union(*groups) == set(members)
    assert "RECOVERY" in utils.TEMPORARY_ERROR_MAPPING_STATES
    assert "UNAUTHORIZED" in utils.ERROR_MAPPING_STATES


def test_write_algorithm():
    """ORDERED_WRITES only with the poll_db_no_merge feature."""
    assert utils.WriteAlgorithm.MERGE_WRITES.value == 1
    assert utils.WriteAlgorithm.ORDERED_WRITES.value == 2
    from_info = utils._write_algorithm_from_connection_info
    ordered, merged = utils.WriteAlgorithm.ORDERED_WRITES, utils.WriteAlgorithm.MERGE_WRITES
    assert from_info({"features": {"poll_db_no_merge": True}}) is ordered
    assert from_info({"features": {"poll_db_no_merge": False}}) is merged
    assert from_info({}) is merged


def test_get_heroku_connect_models__generator_of_unmanaged_connected_models():
    """A generator over the installed connected models, in registration order."""
    result = utils.get_heroku_connect_models()
    assert inspect.isgenerator(result)
    found = list(result)
    assert [User, RecordType, Account, Contact, Project] == [
        m for m in found if m._meta.app_label == "salesforce"
    ]
    assert all(issubclass(m, HerokuConnectModel) and not m._meta.managed for m in found)


def test_get_connected_model_for_table_name():
    """Finds the model by table name; unknown names raise LookupError."""
    assert utils.get_connected_model_for_table_name("account") is Account
    assert utils.get_connected_model_for_table_name("project__c") is Project
    with pytest.raises(LookupError, match="No connected model found for table 'nope'"):
        utils.get_connected_model_for_table_name("nope")


@override_settings(
    HEROKU_CONNECT_ORGANIZATION_ID="00D000000000001", HEROKU_CONNECT_APP_NAME="app-x"
)
def test_get_mapping():
    """version, connection (org, app, exported_at) and one mapping per model."""
    exported = datetime.datetime(2001, 5, 24)
    mapping = utils.get_mapping(version=2, exported_at=exported)
    assert list(mapping) == ["version", "connection", "mappings"]
    assert mapping["version"] == 2
    assert mapping["connection"] == {
        "organization_id": "00D000000000001",
        "app_name": "app-x",
        "exported_at": "2001-05-24T00:00:00",
    }
    assert list(mapping["connection"]) == ["organization_id", "app_name", "exported_at"]
    names = [m["object_name"] for m in mapping["mappings"]]
    assert names == [m.sf_object_name for m in utils.get_heroku_connect_models()]
    assert {"Account", "Contact", "Project__c", "RecordType", "User"} <= set(names)
    assert utils.get_mapping(app_name="other")["connection"]["app_name"] == "other"


def test_get_mapping__exported_at_defaults_to_now():
    """Without exported_at the current time is used."""
    before = datetime.datetime.now(datetime.UTC)
    exported = datetime.datetime.fromisoformat(utils.get_mapping()["connection"]["exported_at"])
    assert before <= exported <= datetime.datetime.now(datetime.UTC)


def test_connection_state__every_documented_state_and_the_public_names():
    """The full enum covers docs/heroku-connect/states.md §1 and every name of ConnectionStates."""
    from heroku_connect.states import ConnectionState, ConnectionStates

    documented = {
        "NEW", "NEED_AUTHENTICATION", "IDLE", "POLLING_DB_CHANGES", "BUSY",
        "IMPORT_CONFIGURATION", "PAUSED", "RECOVERY", "SYSTEM_ERROR", "DB_UNAVAILABLE",
        "TOO_MANY_ROWS", "UNAUTHORIZED", "HEROKU_UNAUTH", "INACTIVE_ORG", "SYSTEM_ON_ICE",
        "ICED",
    }  # fmt: skip
    assert {state.value for state in ConnectionState} == documented
    public = {v for k, v in vars(ConnectionStates).items() if k.isupper() and k != "OK_STATES"}
    assert public <= documented
    assert ConnectionState("PAUSED") == "PAUSED"
