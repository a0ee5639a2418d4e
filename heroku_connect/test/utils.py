"""Context managers for tests of projects that use ``heroku_connect``."""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.test import override_settings

from heroku_connect.conf import settings

__all__ = ("heroku_cli", "no_heroku_connect_write_restrictions")

ROUTER_PATH = "heroku_connect.db.router.HerokuConnectRouter"


@contextmanager
def heroku_cli(stdout: str = "", stderr: str = "", exit_code: int = 0) -> Iterator[None]:
    """Put a fake ``heroku`` executable first on ``PATH`` for the duration of the block.

    It prints ``stdout`` and ``stderr`` (each followed by a newline) and exits with
    ``exit_code``. ``PATH`` is restored and the fake removed even when the block raises::

        with heroku_cli("postgres://user:pass@host:5432/db"):
            call_command("load_remote_schema")
    """
    directory = tempfile.mkdtemp(prefix="heroku-cli-")
    script = Path(directory) / "heroku"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f"echo {shlex.quote(stdout)}\n"
        f"echo {shlex.quote(stderr)} >&2\n"
        f"exit {int(exit_code)}\n"
    )
    script.chmod(0o755)
    original_path = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(filter(None, [directory, original_path]))
    try:
        yield
    finally:
        if original_path is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = original_path
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def no_heroku_connect_write_restrictions() -> Iterator[None]:
    """Allow writes to read-only connected models (e.g. to create test data).

    Removes ``HerokuConnectRouter`` from ``DATABASE_ROUTERS`` (a list or a tuple) for the
    duration of the block; other routers keep running.
    """
    routers = [
        router for router in getattr(settings, "DATABASE_ROUTERS", []) if router != ROUTER_PATH
    ]
    with override_settings(DATABASE_ROUTERS=routers):
        yield
