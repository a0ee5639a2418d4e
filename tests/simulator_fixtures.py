"""The ``simulator`` fixture: a Heroku Connect simulator on the test database.

    def test_something(simulator):
        simulator.import_mapping(get_mapping()); simulator.wait_idle()
        ...  # settings point at simulator.api_url / simulator.token / simulator.app_name

Options through a marker: ``@pytest.mark.simulator(ordered_writes=False, loops=True, ...)``
(any ``Simulator`` keyword). The fixture uses ``transactional_db`` (the simulator writes through
its own connections) and puts the ``salesforce`` schema back as it found it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from heroku_connect.test.simulator import dsn_from_settings_dict, running_simulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "simulator(**kwargs): keyword arguments for the simulator fixture"
    )


@pytest.fixture
def simulator(request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Any]:
    """A started simulator with the library settings pointing at it."""
    from heroku_connect.api import get_unique_connection_write_mode
    from heroku_connect.conf import settings

    marker = request.node.get_closest_marker("simulator")
    options: dict[str, Any] = {"schema": settings.HEROKU_CONNECT_SCHEMA}
    if marker is not None:
        options.update(marker.kwargs)
    with (
        running_simulator(dsn_from_settings_dict(connection.settings_dict), **options) as sim,
        override_settings(
            HEROKU_CONNECT_API_ENDPOINT=sim.api_url,
            HEROKU_AUTH_TOKEN=sim.token,
            HEROKU_CONNECT_APP_NAME=sim.app_name,
        ),
    ):
        # The write mode of the previous simulator's connection must not be reused.
        get_unique_connection_write_mode.cache_clear()
        try:
            yield sim
        finally:
            get_unique_connection_write_mode.cache_clear()
