"""The demo's drifted "previously deployed" mapping."""

from __future__ import annotations

import pytest

from app.core.demo import drifted_demo_mapping
from app.salesforce import models as example_models
from heroku_connect.api import HerokuConnectClient
from heroku_connect.mapping import get_mapping


def _by_object(document: dict) -> dict[str, dict]:
    return {entry["object_name"]: entry["config"] for entry in document["mappings"]}


def test_drifted_demo_mapping__only_adds_to_the_code_mapping():
    """Every object and field of the code stays deployed; the drift is the documented one."""
    code = get_mapping()
    deployed = drifted_demo_mapping(code)
    code_objects, deployed_objects = _by_object(code), _by_object(deployed)

    assert set(deployed_objects) - set(code_objects) == {"Case"}
    for name, config in code_objects.items():
        assert set(config["fields"]) <= set(deployed_objects[name]["fields"])
    assert set(deployed_objects["Account"]["fields"]) - set(code_objects["Account"]["fields"]) == {
        "Rating"
    }
    assert deployed_objects["Contact"]["sf_polling_seconds"] == 1200
    assert deployed_objects["Contact"]["indexes"]["Email"] == {"unique": False}


def test_drifted_demo_mapping__leaves_its_argument_untouched():
    """The function works on a copy."""
    code = get_mapping()
    before = repr(code)
    drifted_demo_mapping(code)
    assert repr(code) == before


@pytest.mark.simulator(import_seconds=0)
def test_drifted_demo_mapping__imports_cleanly_and_the_example_models_still_read(simulator):
    """The simulator accepts the document, and every example model can query its table."""
    deployed = drifted_demo_mapping(get_mapping())
    HerokuConnectClient().import_mapping(simulator.connection_id, deployed)
    simulator.wait_idle()

    exported = _by_object(HerokuConnectClient().export_mapping(simulator.connection_id))
    assert exported == _by_object(deployed)
    for model in (
        example_models.User,
        example_models.RecordType,
        example_models.Account,
        example_models.Contact,
        example_models.Project,
    ):
        assert model.objects.exists(), model.__name__
