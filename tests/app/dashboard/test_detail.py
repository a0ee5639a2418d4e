"""The failure detail page: decoded values, connected record, history, 404s."""

from __future__ import annotations

import pytest
from django.urls import reverse

from heroku_connect.models import TriggerLogArchive
from tests.heroku_connect.trigger_log.factories import make_account, make_log

pytestmark = pytest.mark.django_db


def test_detail__decoded_values_record_and_history(viewer_client):
    """The row's values/old are decoded, the account shown and its live+archive history listed."""
    account = make_account(name="Acme Rockets", sf_id="0013000000AbCdEAAA")
    earlier = make_log(
        model=TriggerLogArchive, record_id=account.id, state="SUCCESS", sf_message=None
    )
    row = make_log(
        record_id=account.id,
        values='"name"=>"Acme \\"Rockets\\"", "phone"=>NULL',
        old='"name"=>"Acme"',
        sf_id="0013000000AbCdEAAA",
        sf_message="entity is deleted",
    )
    other_record = make_log(record_id=account.id + 1)
    response = viewer_client.get(reverse("dashboard:detail", args=["live", row.id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme &quot;Rockets&quot;" in body  # decoded and escaped
    assert "ENTITY_IS_DELETED" in body
    assert "delete the Postgres row" in body  # remediation hint
    assert "Acme Rockets" in body  # the connected record
    assert "0013000000AbCdEAAA" in body
    history = [source for source, _log in response.context["detail"].history]
    ids = [log.id for _source, log in response.context["detail"].history]
    assert sorted(ids) == sorted([row.id, earlier.id])
    assert other_record.id not in ids
    assert history.count("archive") == 1


def test_detail__malformed_hstore_shown_raw_with_note(viewer_client):
    """A values column that is not hstore text is shown raw with a note, not a 500."""
    row = make_log(values='"name"=>broken', table_name="unmapped_table")
    response = viewer_client.get(reverse("dashboard:detail", args=["live", row.id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "not a valid hstore literal" in body
    assert "&quot;name&quot;=&gt;broken" in body
    assert "No connected model" in body


def test_detail__archived_row(viewer_client):
    """Archived rows have their own URL."""
    row = make_log(model=TriggerLogArchive)
    response = viewer_client.get(reverse("dashboard:detail", args=["archive", row.id]))
    assert response.status_code == 200
    assert "(archived)" in response.content.decode()


@pytest.mark.parametrize(("source", "pk"), [("live", 999999), ("archive", 1), ("nowhere", 1)])
def test_detail__unknown_is_404(viewer_client, source, pk):
    """Unknown ids and sources answer 404."""
    make_log()
    assert viewer_client.get(reverse("dashboard:detail", args=[source, pk])).status_code == 404


def test_detail__needs_permission(client, nobody):
    """Anonymous -> login; no permission -> 403."""
    row = make_log()
    url = reverse("dashboard:detail", args=["live", row.id])
    assert client.get(url).status_code == 302
    client.force_login(nobody)
    assert client.get(url).status_code == 403
