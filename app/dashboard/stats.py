"""Our own summaries of the trigger log: error groups and the hourly error rate.

Grouping a million archived failures by normalised message takes seconds, far too long for a
page. :func:`refresh_stats` rebuilds the summaries in one transaction (a Celery beat task runs it
every few minutes, operators can run it from the error-group page); the pages read them with a
constant number of queries and say how old they are. Heroku Connect's tables are only read.
"""

from __future__ import annotations

import datetime
import logging
import time

from celery import shared_task
from django.db import connections, router, transaction
from django.utils import timezone

from app.dashboard import errors
from app.dashboard.models import ErrorGroupStat, FailureRateBucket, StatsRun
from heroku_connect.models import TriggerLog, TriggerLogArchive, TriggerLogState

logger = logging.getLogger(__name__)

#: How far back the error-rate chart goes (the archive keeps 31 days on paid plans).
RATE_WINDOW = datetime.timedelta(days=31)
#: States of rows Heroku Connect has processed (the denominator of the error rate).
PROCESSED_STATES = (
    TriggerLogState.SUCCESS,
    TriggerLogState.FAILED,
    TriggerLogState.MERGED,
    TriggerLogState.IGNORED,
    TriggerLogState.REQUEUED,
)
_LOCK_KEY = 0x68636F70_0001  # pg advisory lock: one refresh at a time


def _tables(connection) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(TriggerLog._meta.db_table), quote(TriggerLogArchive._meta.db_table)


def _group_rows(cursor, live: str, archive: str) -> list[tuple]:
    normalised = errors.normalise_sql("f.sf_message")
    cursor.execute(
        f"""
        WITH f AS (
            SELECT 'live' AS source, id, table_name, created_at, sf_message
            FROM {live} WHERE state = %s
            UNION ALL
            SELECT 'archive', id, table_name, created_at, sf_message
            FROM {archive} WHERE state = %s
        )
        SELECT f.table_name, {normalised} AS normalised,
               count(*) FILTER (WHERE f.source = 'live'),
               count(*) FILTER (WHERE f.source = 'archive'),
               min(f.created_at), max(f.created_at),
               max(f.id) FILTER (WHERE f.source = 'live'),
               min(f.id) FILTER (WHERE f.source = 'live'),
               max(f.id) FILTER (WHERE f.source = 'archive'),
               min(f.id) FILTER (WHERE f.source = 'archive')
        FROM f
        GROUP BY 1, 2
        """,
        [TriggerLogState.FAILED.value, TriggerLogState.FAILED.value],
    )
    return cursor.fetchall()


def _build_groups(rows: list[tuple]) -> list[ErrorGroupStat]:
    """One summary per row (SQL grouped by table and normalised message, so keys are unique)."""
    groups = []
    for table_name, normalised, live_n, archive_n, first, last, *ids in rows:
        code = errors.code_of_normalised(normalised)
        newest_live, oldest_live, newest_archive, oldest_archive = ids
        samples = [
            f"{source}:{pk}"
            for source, pk in (
                ("live", newest_live),
                ("archive", newest_archive),
                ("live", oldest_live),
                ("archive", oldest_archive),
            )
            if pk is not None
        ]
        groups.append(
            ErrorGroupStat(
                key=errors.group_key(table_name, code, normalised),
                table_name=table_name,
                code=code,
                normalised_message=normalised,
                live_count=live_n,
                archive_count=archive_n,
                total=live_n + archive_n,
                first_seen=first,
                last_seen=last,
                sample_ids=list(dict.fromkeys(samples)),
            )
        )
    return groups


def _bucket_rows(cursor, live: str, archive: str, since: datetime.datetime) -> list[tuple]:
    processed = ", ".join(["%s"] * len(PROCESSED_STATES))
    cursor.execute(
        f"""
        SELECT date_trunc('hour', created_at) AS hour,
               count(*) FILTER (WHERE state IN ({processed})),
               count(*) FILTER (WHERE state = %s)
        FROM (
            SELECT created_at, state FROM {live} WHERE created_at >= %s
            UNION ALL
            SELECT created_at, state FROM {archive} WHERE created_at >= %s
        ) rows
        GROUP BY 1
        """,
        [*(s.value for s in PROCESSED_STATES), TriggerLogState.FAILED.value, since, since],
    )
    return cursor.fetchall()


def refresh_stats(*, now: datetime.datetime | None = None) -> StatsRun | None:
    """Rebuild the error groups and the hourly error rate in one transaction.

    Returns the new :class:`StatsRun`, or ``None`` when another refresh is running.
    """
    now = now or timezone.now()
    alias = router.db_for_write(ErrorGroupStat) or "default"
    connection = connections[router.db_for_read(TriggerLog) or "default"]
    live, archive = _tables(connection)
    started = time.monotonic()
    with transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
            if not cursor.fetchone()[0]:
                logger.info("Dashboard statistics: another refresh is running; skipped.")
                return None
        with connection.cursor() as cursor:
            groups = _build_groups(_group_rows(cursor, live, archive))
            buckets = _bucket_rows(cursor, live, archive, now - RATE_WINDOW)
        ErrorGroupStat.objects.using(alias).all().delete()
        ErrorGroupStat.objects.using(alias).bulk_create(groups, batch_size=500)
        FailureRateBucket.objects.using(alias).all().delete()
        FailureRateBucket.objects.using(alias).bulk_create(
            [FailureRateBucket(hour=h, processed=p, failed=f) for h, p, f in buckets],
            batch_size=1000,
        )
        run = StatsRun.objects.using(alias).create(
            finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
            failed_rows=sum(group.total for group in groups),
            groups=len(groups),
        )
        StatsRun.objects.using(alias).filter(finished_at__lt=now - RATE_WINDOW).delete()
    logger.info(
        "Dashboard statistics refreshed: %d groups, %d failed rows, %d ms.",
        run.groups,
        run.failed_rows,
        run.duration_ms,
    )
    return run


@shared_task(name="dashboard.refresh_stats", ignore_result=True)
def refresh_stats_task() -> int:
    """Beat task: rebuild the summaries; returns the number of groups (-1 when skipped)."""
    run = refresh_stats()
    return run.groups if run is not None else -1
