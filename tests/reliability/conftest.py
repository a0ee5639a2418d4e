"""Fixtures of the reliability suite: real processes (web, worker, private Redis) around the
test database and the Heroku Connect simulator. Every process is stopped after its test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.reliability.processes import PrivateRedis, Stack, database_url_of, scratch_folder


@pytest.fixture
def scratch() -> Iterator[Path]:
    with scratch_folder("rel") as folder:
        yield folder


@pytest.fixture
def private_redis(scratch: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(scratch).start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def stack(
    simulator: Any, private_redis: PrivateRedis, scratch: Path, transactional_db: None
) -> Iterator[Stack]:
    """Web and worker processes on the test database, the private Redis and the simulator
    (started by the test as it needs them); what the test commits, they see."""
    stack = Stack(
        database_url=database_url_of(connection.settings_dict),
        redis_url=private_redis.url,
        folder=scratch,
        api={
            "HEROKU_CONNECT_API_ENDPOINT": simulator.api_url,
            "HEROKU_AUTH_TOKEN": simulator.token,
            "HEROKU_CONNECT_APP_NAME": simulator.app_name,
        },
    )
    try:
        yield stack
    finally:
        stack.stop()
