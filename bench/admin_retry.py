"""Admin retry of N FAILED trigger-log rows vs a bare UPDATE of the same rows.

The admin action (confirmed POST) is called as the changelist calls it, with the selection the
changelist builds (``pk__in`` the posted ids). The baseline is one plain ``UPDATE`` of the same
rows. Targets: the live retry and the archive requeue within 3x of the bare UPDATE under merged
writes; the ordered-writes re-capture (one ``hc_capture_*`` call per row) is shown for
information.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.db.models.functions import Now
from django.test import RequestFactory

from bench.harness import Options, Result, median_seconds, statement_count
from heroku_connect.admin import TriggerLogAdmin
from heroku_connect.models import TriggerLog, TriggerLogArchive
from heroku_connect.schema import CONNECT_SESSION_SQL
from heroku_connect.states import WriteAlgorithm

TARGET = 3.0


def _populate(rows: int) -> tuple[list[int], list[int]]:
    """``rows`` accounts, one FAILED UPDATE per account in the live log and in the archive."""
    with connection.cursor() as cursor:
        cursor.execute(CONNECT_SESSION_SQL)  # written like Heroku Connect: not captured
        cursor.execute(
            "INSERT INTO salesforce.account (name, phone, external_id__c) "
            "SELECT 'Account ' || n, '555-' || n, md5(n::text) FROM generate_series(1, %s) n",
            [rows],
        )
        cursor.execute("SET xmlbinary = 'base64'")
        for table, id_column in (("_trigger_log", ""), ("_trigger_log_archive", "id, ")):
            id_value = "1000000 + a.id, " if id_column else ""
            cursor.execute(
                f"INSERT INTO salesforce.{table} ({id_column}txid, created_at, updated_at, "
                'state, action, table_name, record_id, sfid, "values", sf_message) '
                f"SELECT {id_value}1, now(), now(), 'FAILED', 'UPDATE', 'account', a.id, NULL, "
                "hstore('name', a.name)::text, 'UNABLE_TO_LOCK_ROW' FROM salesforce.account a"
            )
    live = list(TriggerLog.objects.order_by("id").values_list("id", flat=True))
    archived = list(TriggerLogArchive.objects.order_by("id").values_list("id", flat=True))
    return live, archived


def _reset(live_ids: list[int], archive_ids: list[int]) -> None:
    """Everything FAILED again, re-captured copies removed, dead rows vacuumed away."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM salesforce._trigger_log WHERE NOT (id = ANY(%s))", [live_ids])
        cursor.execute("UPDATE salesforce._trigger_log SET state = 'FAILED'")
        cursor.execute("UPDATE salesforce._trigger_log_archive SET state = 'FAILED'")
        cursor.execute("VACUUM ANALYZE salesforce._trigger_log")
        cursor.execute("VACUUM ANALYZE salesforce._trigger_log_archive")


def _admin_retry(model: type, algorithm: WriteAlgorithm, ids: list[int]) -> Callable[[], None]:
    model_admin = type("BenchTriggerLogAdmin", (TriggerLogAdmin,), {"write_algorithm": algorithm})(
        model, admin.site
    )
    posted = [str(pk) for pk in ids]  # what the changelist form posts

    def run() -> None:
        request = RequestFactory().post("/", {"post": "yes"})
        request.user = AnonymousUser()
        request._messages = CookieStorage(request)
        selection = model._default_manager.filter(pk__in=posted)
        model_admin.retry_failed_logs_action(request, selection)
        (message,) = list(request._messages)
        assert str(message) == f"{len(ids)} failed trigger logs retried.", message

    return run


def _bare_update(model: type, state: str, ids: list[int]) -> Callable[[], None]:
    def run() -> None:
        updated = model._default_manager.filter(pk__in=ids, state="FAILED").update(
            state=state, updated_at=Now()
        )
        assert updated == len(ids), updated

    return run


def run(options: Options) -> list[Result]:
    live_ids, archive_ids = _populate(options.rows)

    def reset() -> None:
        _reset(live_ids, archive_ids)

    cases = [
        ("admin retry, live, merged", TriggerLog, WriteAlgorithm.MERGE_WRITES, "NEW", TARGET),
        (
            "admin retry, archive requeue, merged",
            TriggerLogArchive,
            WriteAlgorithm.MERGE_WRITES,
            "REQUEUED",
            TARGET,
        ),
        (
            "admin retry, live, ordered (re-capture)",
            TriggerLog,
            WriteAlgorithm.ORDERED_WRITES,
            "REQUEUED",
            None,
        ),
        (
            "admin retry, archive, ordered (re-capture)",
            TriggerLogArchive,
            WriteAlgorithm.ORDERED_WRITES,
            "REQUEUED",
            None,
        ),
    ]
    results = []
    for name, model, algorithm, bare_state, target in cases:
        ids = live_ids if model is TriggerLog else archive_ids
        subject = _admin_retry(model, algorithm, ids)
        baseline = _bare_update(model, bare_state, ids)
        results.append(
            Result(
                name=name,
                rows=len(ids),
                statements=statement_count(subject, before=reset),
                baseline_statements=statement_count(baseline, before=reset),
                seconds=median_seconds(subject, before=reset, repeat=options.repeat),
                baseline_seconds=median_seconds(baseline, before=reset, repeat=options.repeat),
                target_ratio=target,
            )
        )
    return results
