"""Reads for the dashboard screens: one read model per screen, shared by HTML and JSON.

Only the indexes real Heroku Connect creates are relied upon (docs/heroku-connect/database.md §2);
anything that would need a scan of the million-row archive is read from our own summary tables
instead.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Sum
from django.utils import timezone

from app.dashboard import charts, errors
from app.dashboard.models import ErrorGroupStat, StatsRun
from heroku_connect.hstore import HstoreParseError, hstore_text_to_dict
from heroku_connect.mapping import get_connected_model_for_table_name
from heroku_connect.models import TriggerLog, TriggerLogArchive, TriggerLogState

COUNTED_STATES = (TriggerLogState.FAILED, TriggerLogState.PENDING, TriggerLogState.NEW)


@dataclass
class TableCounts:
    table_name: str
    failed: int = 0
    pending: int = 0
    new: int = 0
    archived_failed: int = 0

    @property
    def failed_total(self) -> int:
        return self.failed + self.archived_failed


@dataclass
class Overview:
    tables: list[TableCounts]
    total: TableCounts
    oldest_waiting_at: datetime.datetime | None
    now: datetime.datetime
    chart: charts.Chart | None = None
    top_groups: list[ErrorGroupStat] = field(default_factory=list)
    stats_refreshed_at: datetime.datetime | None = None

    @property
    def oldest_waiting_age(self) -> datetime.timedelta | None:
        if self.oldest_waiting_at is None:
            return None
        return max(self.now - self.oldest_waiting_at, datetime.timedelta(0))


def _alias() -> str:
    return router.db_for_read(TriggerLog) or "default"


def _table(model: type) -> str:
    return connections[_alias()].ops.quote_name(model._meta.db_table)


def state_counts() -> tuple[list[TableCounts], TableCounts]:
    """FAILED / PENDING / NEW per table in the live log, and FAILED per table in the archive.

    Two statements whatever the data size: the live log is small (rows leave it once
    processed); the archive's FAILED counts come from our error-group summary (as of its last
    refresh), because counting a million archived rows takes longer than a page may.
    """
    live = _table(TriggerLog)
    rows: dict[str, TableCounts] = {}
    with connections[_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT table_name, state, count(*) FROM {live} "
            "WHERE state IN (%s, %s, %s) GROUP BY table_name, state",
            [str(state) for state in COUNTED_STATES],
        )
        for table_name, state, count in cursor.fetchall():
            counts = rows.setdefault(table_name, TableCounts(table_name))
            setattr(counts, str(state).lower(), count)
    archived = (
        ErrorGroupStat.objects.values_list("table_name")
        .annotate(failed=Sum("archive_count"))
        .order_by()
    )
    for table_name, count in archived:
        if count:
            rows.setdefault(table_name, TableCounts(table_name)).archived_failed = count
    tables = sorted(rows.values(), key=lambda counts: (-counts.failed_total, counts.table_name))
    total = TableCounts(
        "total",
        failed=sum(t.failed for t in tables),
        pending=sum(t.pending for t in tables),
        new=sum(t.new for t in tables),
        archived_failed=sum(t.archived_failed for t in tables),
    )
    return tables, total


def oldest_waiting_at() -> datetime.datetime | None:
    """``created_at`` of the oldest NEW or PENDING live row (one statement on ``(state, id)``).

    Ids grow with capture time, so the lowest id per state is its oldest row.
    """
    live = _table(TriggerLog)
    with connections[_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT least("
            f"(SELECT created_at FROM {live} WHERE state = %s ORDER BY id LIMIT 1), "
            f"(SELECT created_at FROM {live} WHERE state = %s ORDER BY id LIMIT 1))",
            [str(TriggerLogState.NEW), str(TriggerLogState.PENDING)],
        )
        return cursor.fetchone()[0]


TOP_GROUPS = 5
MAX_GROUPS = 500


def last_stats_run() -> StatsRun | None:
    return StatsRun.objects.order_by("-finished_at").first()


def overview(*, range_name: str = charts.DEFAULT_RANGE) -> Overview:
    """The overview screen's read model (a constant number of queries)."""
    tables, total = state_counts()
    run = last_stats_run()
    return Overview(
        tables=tables,
        total=total,
        oldest_waiting_at=oldest_waiting_at(),
        now=timezone.now(),
        chart=charts.error_rate_chart(range_name),
        top_groups=list(ErrorGroupStat.objects.all()[:TOP_GROUPS]),
        stats_refreshed_at=run.finished_at if run else None,
    )


@dataclass
class ErrorGroups:
    groups: list[ErrorGroupStat]
    truncated: bool
    stats_refreshed_at: datetime.datetime | None
    tables: list[str]
    codes: list[str]


_TABLE = re.compile(r"\A[A-Za-z0-9_]{1,128}\Z")
_CODE = re.compile(r"\A[A-Z_]{1,64}\Z")


def valid_group_filters(*, table: str, code: str) -> bool:
    return not (table and not _TABLE.match(table)) and not (code and not _CODE.match(code))


def error_groups(*, table: str = "", code: str = "") -> ErrorGroups:
    """The error-group screen's read model, from our summary table (three queries)."""
    queryset = ErrorGroupStat.objects.all()
    if table:
        queryset = queryset.filter(table_name=table)
    if code:
        queryset = queryset.filter(code=code)
    facets = list(ErrorGroupStat.objects.values_list("table_name", "code").distinct())
    run = last_stats_run()
    groups = list(queryset[: MAX_GROUPS + 1])
    return ErrorGroups(
        groups=groups[:MAX_GROUPS],
        truncated=len(groups) > MAX_GROUPS,
        stats_refreshed_at=run.finished_at if run else None,
        tables=sorted({t for t, _c in facets}),
        codes=sorted({c for _t, c in facets}),
    )


# --- Failure detail -----------------------------------------------------------------------

HISTORY_LIMIT = 100


@dataclass
class DecodedHstore:
    """An hstore column decoded for display; ``error`` set (and ``raw`` shown) if malformed."""

    raw: str | None
    items: list[tuple[str, str | None]] | None
    error: str = ""


@dataclass
class FailureDetail:
    source: str
    log: object
    values: DecodedHstore
    old: DecodedHstore
    cause: object | None
    group_key: str
    model_label: str
    record: object | None
    record_fields: list[tuple[str, object]]
    history: list[tuple[str, object]]
    history_truncated: bool


def decode_hstore(text: str | None) -> DecodedHstore:
    try:
        parsed = hstore_text_to_dict(text)
    except HstoreParseError as error:
        return DecodedHstore(raw=text, items=None, error=str(error))
    return DecodedHstore(raw=text, items=None if parsed is None else sorted(parsed.items()))


def _connected_record(table_name: str, record_id: int) -> tuple[str, object | None, list]:
    try:
        model = get_connected_model_for_table_name(table_name)
    except LookupError:
        return "", None, []
    record = model._default_manager.filter(id=record_id).first()
    fields: list[tuple[str, object]] = []
    if record is not None:
        fields = [
            (str(f.verbose_name), getattr(record, f.attname)) for f in model._meta.concrete_fields
        ]
    return model._meta.label, record, fields


def history(table_name: str, record_id: int) -> tuple[list[tuple[str, object]], bool]:
    """Every trigger-log row (live and archived) about one record, newest first (bounded)."""
    rows: list[tuple[str, object]] = []
    for source, model in (("live", TriggerLog), ("archive", TriggerLogArchive)):
        queryset = model.objects.filter(table_name=table_name, record_id=record_id)
        rows += [(source, log) for log in queryset.order_by("-id")[: HISTORY_LIMIT + 1]]
    rows.sort(key=lambda row: (-row[1].id, row[0]))
    return rows[:HISTORY_LIMIT], len(rows) > HISTORY_LIMIT


def failure_detail(source: str, pk: int) -> FailureDetail:
    """The detail screen's read model; ``DoesNotExist`` for an unknown row."""
    model = TriggerLog if source == "live" else TriggerLogArchive
    log = model.objects.get(pk=pk)
    cause = errors.classify(log.sf_message) if log.sf_message else None
    model_label, record, record_fields = _connected_record(log.table_name, log.record_id)
    rows, truncated = history(log.table_name, log.record_id)
    return FailureDetail(
        source=source,
        log=log,
        values=decode_hstore(log.values),
        old=decode_hstore(log.old),
        cause=cause,
        group_key=(
            errors.group_key(log.table_name, cause.code, cause.normalised_message) if cause else ""
        ),
        model_label=model_label,
        record=record,
        record_fields=record_fields,
        history=rows,
        history_truncated=truncated,
    )
