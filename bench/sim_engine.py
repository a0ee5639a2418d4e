"""The simulator's write loop: merged writes vs ordered writes on the same captured changes.

Each record is inserted and then updated twice by the application, so the trigger log holds
three rows per record. Subject: merged writes (``poll_db_no_merge`` false), which fold the three
rows into one Salesforce write; baseline: ordered writes, one write per row. The clock runs
from the first write pass until the trigger log has nothing left to send; "stmts" is the number
of writes the org received. Reported for information; ``--rows`` is capped at 500 records
(1500 trigger-log rows), since every write is its own transaction.
"""

from __future__ import annotations

import os

from django.db import connection

from bench.harness import Options, Result, median_seconds

MAX_RECORDS = 500
_TABLES = ("contact", "_trigger_log", "_trigger_log_archive")


def _capture(records: int) -> None:
    """Application writes (captured): ``records`` inserts, then two updates of each."""
    names = ", ".join(f'salesforce."{t}"' for t in _TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY")
        cursor.execute(
            "INSERT INTO salesforce.contact (lastname, external_id__c) "
            "SELECT 'Contact ' || n, md5(n::text) FROM generate_series(1, %s) AS n",
            [records],
        )
        cursor.execute("UPDATE salesforce.contact SET firstname = 'First'")
        cursor.execute("UPDATE salesforce.contact SET email = 'c' || id || '@example.com'")


def _engine(*, ordered: bool, records: int):  # noqa: ANN202
    from app.salesforce.models import Contact
    from heroku_connect.simulator.engine import SyncEngine
    from heroku_connect.simulator.org import Org
    from heroku_connect.simulator.state import MappingConfig, MappingState, SimulatorState

    org = Org(0, records_per_object=10)
    state = SimulatorState(
        app_name="bench", organization_id=org.organization_id, ordered_writes=ordered
    )
    mapping = Contact.get_heroku_connect_mapping()
    added = state.add_mapping(mapping["object_name"], MappingConfig(**mapping["config"]))
    state.set_mapping_state(added.id, MappingState.DATA_SYNCED)
    # One batch holds every row, so merged writes can fold all three changes of a record.
    return SyncEngine(os.environ["DATABASE_URL"], org=org, state=state, batch_size=3 * records)


def _measure(*, ordered: bool, records: int, repeat: int) -> tuple[float, int]:
    engines = []

    def before() -> None:
        _capture(records)
        engines.append(_engine(ordered=ordered, records=records))

    def drain() -> None:
        while engines[-1].write_cycle():
            pass

    try:
        seconds = median_seconds(drain, before=before, repeat=repeat)
        return seconds, engines[-1].org.sequence
    finally:
        for engine in engines:
            engine.stop()


def run(options: Options) -> list[Result]:
    records = max(1, min(options.rows, MAX_RECORDS))
    repeat = max(1, min(options.repeat, 3))
    merged, merged_writes = _measure(ordered=False, records=records, repeat=repeat)
    ordered, ordered_writes = _measure(ordered=True, records=records, repeat=repeat)
    return [
        Result(
            name="simulator write loop, 3 changes per record (merged vs ordered writes)",
            rows=3 * records,
            statements=merged_writes,
            baseline_statements=ordered_writes,
            seconds=merged,
            baseline_seconds=ordered,
        )
    ]
