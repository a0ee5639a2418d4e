"""Dashboard retry / ignore of a whole error group vs the bare SQL an operator would run.

Data for ``--rows N`` (the issue's scale is ``--rows 100000``): the live log holds N FAILED rows,
0.8 N of them in the group "UNABLE_TO_LOCK_ROW on account" and the rest other errors; the
archive holds 10 N FAILED rows, 0.2 N of them in the group and the rest other errors on
``account`` and ``contact``. The group therefore has N rows (live and archived).

The subjects are the dashboard's confirmed POST path: the filter selection for the group key
(``app.dashboard.filters``) handed to ``app.dashboard.actions.perform_action`` (one transaction,
state guard, audit entry), under merged writes; and the same selection as a background job
(``app.dashboard.bulk``, keyset batches of ``DASHBOARD_BULK_BATCH_SIZE`` rows, one transaction
each), run to its end in this process. The baseline is the bare SQL from Heroku
Connect's own advice for the same rows (``sf_message LIKE 'unable to obtain exclusive access%'``
on the table): live ``FAILED -> NEW``, archived rows copied back as NEW and marked REQUEUED
(retry) or both ``-> IGNORED`` (ignore), in one transaction. Targets: within 3x of the baseline
(and, at N = 100,000, under 5 s).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

from bench.harness import Options, Result, median_seconds, statement_count

TARGET = 3.0
LOCK = "unable to obtain exclusive access to this record or 1 records: "
_LIKE = "unable to obtain exclusive access%"
_OTHER_MESSAGES = (
    "Amount must be positive",
    "Required fields are missing: [LastName]",
    "duplicate value found: External_ID__c duplicates value on record with id: 0013000000",
    "entity is deleted",
)


def _populate(rows: int) -> tuple[int, str]:
    """Insert the rows (without capture); return the highest live id and the group key."""
    from app.dashboard import errors

    live_group = rows * 8 // 10
    archive_group = rows - live_group
    archive_other = rows * 10 - archive_group
    others = "ARRAY[" + ", ".join(["%s"] * len(_OTHER_MESSAGES)) + "]"
    columns = (
        "txid, created_at, updated_at, state, action, table_name, record_id, sfid, "
        '"values", sf_message'
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO salesforce._trigger_log ({columns}) "
            "SELECT 1, now() - n * interval '1 second', now(), 'FAILED', 'UPDATE', 'account', "
            "n, NULL, hstore('name', 'n' || n)::text, "
            f"CASE WHEN n <= %s THEN %s || lpad(n::text, 10, '0') "
            f"ELSE ({others})[1 + n %% {len(_OTHER_MESSAGES)}] END "
            "FROM generate_series(1, %s) n",
            [live_group, LOCK, *_OTHER_MESSAGES, rows],
        )
        cursor.execute(
            f"INSERT INTO salesforce._trigger_log_archive (id, {columns}) "
            "SELECT 10000000 + n, 1, now() - n * interval '1 second', now(), 'FAILED', 'UPDATE', "
            "CASE WHEN n <= %s OR n %% 2 = 0 THEN 'account' ELSE 'contact' END, "
            "n, NULL, hstore('name', 'n' || n)::text, "
            f"CASE WHEN n <= %s THEN %s || lpad(n::text, 10, '0') "
            f"ELSE ({others})[1 + n %% {len(_OTHER_MESSAGES)}] END "
            "FROM generate_series(1, %s) n",
            [archive_group, archive_group, LOCK, *_OTHER_MESSAGES, archive_group + archive_other],
        )
        cursor.execute("SELECT max(id) FROM salesforce._trigger_log")
        (max_live,) = cursor.fetchone()
        cursor.execute("ANALYZE salesforce._trigger_log")
        cursor.execute("ANALYZE salesforce._trigger_log_archive")
    cause = errors.classify(LOCK + "0000000001")
    return max_live, errors.group_key("account", cause.code, cause.normalised_message)


def _reset(max_live: int) -> None:
    """The group FAILED again, copies removed, dead rows vacuumed away."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM salesforce._trigger_log WHERE id > %s", [max_live])
        for table in ("_trigger_log", "_trigger_log_archive"):
            cursor.execute(
                f"UPDATE salesforce.{table} SET state = 'FAILED' WHERE state <> 'FAILED'"
            )
            cursor.execute(f"VACUUM ANALYZE salesforce.{table}")
        cursor.execute("DELETE FROM audit_auditentry")


def _dashboard(action: str, group: str, rows: int) -> Callable[[], None]:
    from app.dashboard import actions, filters
    from heroku_connect.states import WriteAlgorithm

    def run() -> None:
        selection = filters.selection_from_params({"group": group, "source": "both"})
        result = actions.perform_action(
            action, selection, user=None, algorithm=WriteAlgorithm.MERGE_WRITES
        )
        assert result.total == rows, result

    return run


def _job(action: str, group: str, rows: int) -> Callable[[], None]:
    """The same selection as a background job (``app.dashboard.bulk``), run to its end here:
    keyset batches of ``DASHBOARD_BULK_BATCH_SIZE`` rows, one transaction each."""
    import uuid

    from app.dashboard import bulk, filters
    from heroku_connect.states import WriteAlgorithm

    def run() -> None:
        selection = filters.selection_from_params({"group": group, "source": "both"})
        job = bulk.start_job(
            action=action,
            kind="filter",
            selection=selection,
            confirmed_count=rows,
            confirmation=uuid.uuid4().hex,
            user=None,
            algorithm=WriteAlgorithm.MERGE_WRITES if action == "retry" else None,
        )
        job = bulk.run_to_end(job.pk)
        assert job.state == "done", (job.state, job.reason)
        assert job.done == rows, (job.done, rows)

    return run


def _bare(action: str, rows: int) -> Callable[[], None]:
    where = "state = 'FAILED' AND table_name = 'account' AND sf_message LIKE %s"
    if action == "retry":
        statements = [
            f"UPDATE salesforce._trigger_log SET state = 'NEW', updated_at = now() WHERE {where}",
            "INSERT INTO salesforce._trigger_log (txid, created_at, updated_at, state, action, "
            'table_name, record_id, sfid, "values", old) '
            "SELECT txid, created_at, now(), 'NEW', action, table_name, record_id, sfid, "
            f'"values", old FROM salesforce._trigger_log_archive WHERE {where} ORDER BY id',
            "UPDATE salesforce._trigger_log_archive SET state = 'REQUEUED', updated_at = now() "
            f"WHERE {where}",
        ]
    else:
        statements = [
            f"UPDATE salesforce.{table} SET state = 'IGNORED', updated_at = now() WHERE {where}"
            for table in ("_trigger_log", "_trigger_log_archive")
        ]

    def run() -> None:
        changed = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql, [_LIKE])
                changed += cursor.rowcount
        expected = rows if action == "ignore" else rows + (rows - rows * 8 // 10)
        assert changed == expected, (changed, expected)

    return run


def run(options: Options) -> list[Result]:
    max_live, group = _populate(options.rows)

    def reset() -> None:
        _reset(max_live)

    from django.conf import settings

    results = []
    for action, job in (("retry", False), ("ignore", False), ("retry", True), ("ignore", True)):
        subject = (_job if job else _dashboard)(action, group, options.rows)
        baseline = _bare(action, options.rows)
        how = (
            f"job, batches of {settings.DASHBOARD_BULK_BATCH_SIZE:,}" if job else "one transaction"
        )
        results.append(
            Result(
                name=f"dashboard {action}{' job' if job else ''}, error group (live+archive), "
                f"merged, {how}",
                rows=options.rows,
                statements=statement_count(subject, before=reset),
                baseline_statements=statement_count(baseline, before=reset),
                seconds=median_seconds(subject, before=reset, repeat=options.repeat),
                baseline_seconds=median_seconds(baseline, before=reset, repeat=options.repeat),
                target_ratio=TARGET,
            )
        )
    return results
