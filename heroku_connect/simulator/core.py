"""``Simulator``: the API server, the org, the importer and the sync engine in one object.

    with Simulator(database_url) as sim:
        requests.get(f"{sim.api_url}/connections/{sim.connection_id}",
                     headers={"Authorization": f"Bearer {sim.token}"})

The server runs in a daemon thread on an ephemeral port (``start(port=0)``); with
``loops=True`` (or :meth:`Simulator.start_loops`) the engine's write/read/archive loops run in
background threads too, otherwise tests drive ``sim.engine.write_cycle()`` etc. themselves.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from typing import Any

import psycopg

from heroku_connect.db.database_url import DatabaseURLError, libpq_conninfo
from heroku_connect.simulator.importer import (
    Importer,
    ImportError_,
    ensure_metadata,
    open_connection,
    validate_document,
)
from heroku_connect.simulator.server import ApiServer
from heroku_connect.simulator.state import MappingState, SimulatorState

__all__ = ("BUSY_MAPPING_STATES", "Simulator", "SimulatorError")

logger = logging.getLogger("heroku_connect.simulator")

#: Mapping states of an import or reload still in progress.
BUSY_MAPPING_STATES = frozenset(
    {
        MappingState.INITIAL,
        MappingState.SCHEMA_CHANGED,
        MappingState.RELOAD_TABLE,
        MappingState.RESYNC,
    }
)


class SimulatorError(Exception):
    """A one-line reason why the simulator cannot start (never contains a password)."""


def describe_dsn(dsn: str) -> str:
    """``host:port/dbname`` of a DSN or URL, without user or password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(libpq_conninfo(dsn))
    except (psycopg.ProgrammingError, DatabaseURLError):
        return "(unparseable database URL)"
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname')}"


class Simulator:
    """A local Heroku Connect for one app with one connection (see the package README)."""

    def __init__(
        self,
        database_url: str,
        *,
        token: str = "test-token",
        app_name: str = "hcop-test",
        schema: str = "salesforce",
        seed: int = 0,
        ordered_writes: bool = True,
        host: str = "127.0.0.1",
        import_seconds: float = 0.0,
        validation_seconds: float = 0.0,
        write_interval: float = 0.2,
        read_interval: float | None = None,
        archive_after: float = 3600.0,
        failed_archive_after: float = 24 * 3600.0,
        transient_rate: float = 0.0,
        activity_interval: float | None = None,
        failure_rate: float = 0.1,
        records_per_object: int = 20,
        loops: bool = False,
        initial_mapping: dict[str, Any] | None = None,
        org: Any = None,
    ) -> None:
        from heroku_connect.simulator.org import Org

        # Any accepted URL form (socket directories, postgis://) as a string libpq reads.
        try:
            database_url = libpq_conninfo(database_url)
        except DatabaseURLError as exc:
            raise SimulatorError(f"cannot use the database URL: {exc}") from None
        self.database_url = database_url
        self.token = token
        self.host = host
        self.loops = loops
        self.initial_mapping = initial_mapping
        self.org = org if org is not None else Org(seed, records_per_object=records_per_object)
        self.state = SimulatorState(
            app_name=app_name,
            organization_id=self.org.organization_id,
            schema=schema,
            ordered_writes=ordered_writes,
        )
        self.importer = Importer(
            dsn=database_url, org=self.org, state=self.state, import_seconds=import_seconds
        )
        self.validation_seconds = validation_seconds
        self.engine = self._make_engine(
            seed=seed,
            write_interval=write_interval,
            read_interval=read_interval,
            archive_after=archive_after,
            failed_archive_after=failed_archive_after,
            transient_rate=transient_rate,
            activity_interval=activity_interval,
            failure_rate=failure_rate,
        )
        self._server: ApiServer | None = None
        self._thread: threading.Thread | None = None
        self._loops_running = False

    def _make_engine(self, *, seed: int, **speeds: Any) -> Any:
        try:
            from heroku_connect.simulator.engine import SyncEngine
        except ModuleNotFoundError as exc:  # an API-only build without the sync engine
            if exc.name != "heroku_connect.simulator.engine":
                raise
            logger.warning("the sync engine is not available; serving the API only")
            return None

        return SyncEngine(
            self.database_url,
            schema=self.state.schema,
            org=self.org,
            state=self.state,
            write_interval=speeds["write_interval"],
            read_interval=speeds["read_interval"],
            archive_after=speeds["archive_after"],
            failed_archive_after=speeds["failed_archive_after"],
            transient_failure_rate=speeds["transient_rate"],
            activity_interval=speeds["activity_interval"],
            failure_rate=speeds["failure_rate"],
            rng_seed=seed,
        )

    # --- attributes of contract B --------------------------------------------------------

    @property
    def app_name(self) -> str:
        return self.state.app_name

    @property
    def connection_id(self) -> str:
        return self.state.connection_id

    @property
    def schema(self) -> str:
        return self.state.schema

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The simulator is not started.")
        return self._server.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The simulator is not started.")
        return self._server.server_address[1]

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, port: int = 0) -> Simulator:
        """Check the database, create Connect's metadata if missing, serve on ``port``."""
        try:
            with open_connection(self.database_url) as conn:
                ensure_metadata(conn, self.schema, self.org.organization_id)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            reason = reason.replace(self.database_url, describe_dsn(self.database_url))
            raise SimulatorError(
                f"cannot use the database {describe_dsn(self.database_url)}: {reason}"
            ) from None
        try:
            self._server = ApiServer(
                (self.host, port),
                state=self.state,
                org=self.org,
                dsn=self.database_url,
                token=self.token,
                importer=self.importer,
                validation_seconds=self.validation_seconds,
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SimulatorError(f"port {port} on {self.host} is already in use") from None
            raise SimulatorError(f"cannot listen on {self.host}:{port}: {exc.strerror}") from None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
            name="hc-sim-http",
        )
        self._thread.start()
        if self.initial_mapping is not None:
            self.import_mapping(self.initial_mapping)
        if self.loops:
            self.start_loops()
        logger.info("Heroku Connect simulator serving %s", self.api_url)
        return self

    def stop(self) -> None:
        """Stop the loops, the server and wait for imports (idempotent)."""
        self.stop_loops()
        if self._server is not None:
            self._server.stopping.set()
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self.importer.join(10)
        self._server = None
        self._thread = None

    def start_loops(self) -> None:
        if not self._loops_running and self.engine is not None:
            self.engine.start()
            self._loops_running = True

    def stop_loops(self) -> None:
        """Stop the engine's loops and close its connections (also after manual cycles)."""
        if self.engine is None:
            return
        if self._loops_running:
            self.engine.stop()
            self._loops_running = False
        else:
            self.engine.close()

    def __enter__(self) -> Simulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- helpers for tests and the CLI ---------------------------------------------------

    def import_mapping(self, document: dict[str, Any]) -> list[str]:
        """Validate and import like ``POST .../actions/import``; returns the warnings.

        Raises :class:`~heroku_connect.simulator.importer.ImportError_` for invalid documents.
        """
        return self.importer.start_import(validate_document(document, self.org))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no import or reload is running; ``TimeoutError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = [m for m in self.state.mappings() if m.state in BUSY_MAPPING_STATES]
            if self.state.wait_import_done(0.02) and not busy:
                self.importer.join(max(0.0, deadline - time.monotonic()))
                return
        states = {m.object_name: m.state.value for m in self.state.mappings()}
        raise TimeoutError(
            f"simulator still busy after {timeout}s: connection "
            f"{self.state.connection_state.value}, mappings {states}"
        )


__all__ += ("ImportError_",)
