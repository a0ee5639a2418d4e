"""The engine seen through the simulator's API: counts, write errors and times."""

from __future__ import annotations

import pytest
import requests

from app.salesforce.models import Contact
from heroku_connect.mapping import get_mapping


def _get(sim, path: str) -> dict:
    response = requests.get(
        f"{sim.api_url}{path}", headers={"Authorization": f"Bearer {sim.token}"}, timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.simulator(records_per_object=5)
def test_engine_results_show_in_the_api(simulator):
    """After a write pass the API reports the failure (Salesforce's text), the counts and
    the mapping's write times; nothing is left pending."""
    simulator.import_mapping(get_mapping())
    simulator.wait_idle()
    Contact.objects.create(first_name="No", last_name=None)
    Contact.objects.create(last_name="Fine")
    connection_path = f"/connections/{simulator.connection_id}"
    contact = next(
        m for m in _get(simulator, f"{connection_path}?deep=true")["mappings"]
        if m["object_name"] == "Contact"
    )  # fmt: skip
    assert contact["counts"]["pending"] == 2
    assert simulator.engine.write_cycle() == {"SUCCESS": 1, "FAILED": 1}
    errors = _get(simulator, f"{connection_path}/errors")
    assert [(e["table_name"], e["message"]) for e in errors["results"]] == [
        ("contact", "Required fields are missing: [LastName]")
    ]
    mapping = _get(simulator, f"/mappings/{contact['id']}")
    assert mapping["counts"]["pending"] == 0
    assert mapping["counts"]["errors"] == 1
    assert mapping["times"]["sf_write"] is not None
    assert mapping["times"]["db_poll"] is not None
    assert _get(simulator, f"/mappings/{contact['id']}/errors")["count"] == 1
