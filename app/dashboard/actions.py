"""Retry and ignore failed writes from the dashboard, with an audit entry for every attempt.

The trigger-log transitions themselves live in :mod:`heroku_connect.trigger_log` (set-based,
state-guarded, concurrency-safe); this module only decides *which* rows, plans what the operator
is asked to confirm, runs the live and the archived part in ONE transaction, and records the
outcome. The write algorithm is looked up before the transaction, never while rows are locked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import ngettext

from app.audit.models import Outcome
from app.audit.services import record_action
from app.core.db import is_statement_timeout
from app.dashboard import errors
from app.dashboard.stats import refresh_stats_task
from heroku_connect import trigger_log
from heroku_connect.models import TriggerLog, TriggerLogArchive, TriggerLogState
from heroku_connect.states import WriteAlgorithm

logger = logging.getLogger(__name__)

#: Most explicit ids one request may carry (a page of the failure list is far smaller).
MAX_EXPLICIT_IDS = 5000

RETRY = "retry"
IGNORE = "ignore"
ACTIONS = (RETRY, IGNORE)

#: How the operator may name the write algorithm on the confirmation form.
ALGORITHM_CHOICES = {
    "merged": WriteAlgorithm.MERGE_WRITES,
    "ordered": WriteAlgorithm.ORDERED_WRITES,
}

_ID_PATTERN = re.compile(r"(live|archive):([1-9][0-9]{0,17})")
_ID_SEPARATORS = re.compile(r"[\s,]+")


class ActionInputError(ValueError):
    """The posted selection is malformed (tampered ids or filters): answer 400, change nothing."""


class WriteAlgorithmUnavailable(RuntimeError):
    """The write algorithm could not be looked up; the message is safe to show to operators."""


class SelectionGrew(RuntimeError):
    """The selection has more FAILED rows than the operator confirmed: nothing was changed and
    the operator is asked again."""

    def __init__(self, *, confirmed: int, found: int) -> None:
        super().__init__(
            f"The selection now has {found:,} FAILED writes, more than the {confirmed:,} you "
            "confirmed; nothing was changed. Check the new count and confirm again."
        )
        self.confirmed = confirmed
        self.found = found


class SelectionLike(Protocol):
    """What the actions need from a selection (``app.dashboard.filters.Selection`` or ids)."""

    @property
    def live(self) -> QuerySet: ...

    @property
    def archive(self) -> QuerySet: ...

    def describe(self) -> str: ...

    def as_params(self) -> dict: ...


@dataclass(frozen=True)
class IdSelection:
    """Rows picked one by one ("live:<id>" / "archive:<id>"), e.g. from the failure list."""

    live_ids: tuple[int, ...] = ()
    archive_ids: tuple[int, ...] = ()

    @property
    def live(self) -> QuerySet[TriggerLog]:
        if not self.live_ids:
            return TriggerLog.objects.none()
        return TriggerLog.objects.filter(pk__in=self.live_ids)

    @property
    def archive(self) -> QuerySet[TriggerLogArchive]:
        if not self.archive_ids:
            return TriggerLogArchive.objects.none()
        return TriggerLogArchive.objects.filter(pk__in=self.archive_ids)

    def tokens(self) -> list[str]:
        return [f"live:{pk}" for pk in self.live_ids] + [f"archive:{pk}" for pk in self.archive_ids]

    def describe(self) -> str:
        if len(self.live_ids) + len(self.archive_ids) == 1:
            (token,) = self.tokens()
            source, pk = token.split(":")
            return f"trigger log #{pk}" + (" (archived)" if source == "archive" else "")
        return (
            f"{len(self.live_ids) + len(self.archive_ids)} selected rows "
            f"(live: {len(self.live_ids)}, archived: {len(self.archive_ids)})"
        )

    def as_params(self) -> dict:
        return {"ids": self.tokens()}


def parse_ids(values: Iterable[str]) -> IdSelection:
    """``["live:12 archive:7", "live:3"]`` -> :class:`IdSelection`; anything else is an input error.

    Each value may carry several tokens separated by commas or whitespace, so a long selection
    travels in one form field (Django refuses requests with more than
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields before the app could explain its own limit).
    """
    tokens = [token for value in values for token in _ID_SEPARATORS.split(value) if token]
    if len(tokens) > MAX_EXPLICIT_IDS:
        raise ActionInputError(
            f"Too many rows selected ({len(tokens):,}); select at most {MAX_EXPLICIT_IDS:,} "
            "or use the filter instead."
        )
    live: set[int] = set()
    archive: set[int] = set()
    for token in tokens:
        match = _ID_PATTERN.fullmatch(token)
        if match is None:
            raise ActionInputError(
                f"Invalid row id {token[:40]!r}: expected live:<id> or archive:<id>."
            )
        (live if match[1] == "live" else archive).add(int(match[2]))
    if not live and not archive:
        raise ActionInputError("No rows selected.")
    return IdSelection(tuple(sorted(live)), tuple(sorted(archive)))


def selection_for(kind: str, params: Mapping[str, Any]) -> SelectionLike:
    """The selection of a confirmation (or a bulk job): ``ids`` or ``filter`` parameters as
    :meth:`SelectionLike.as_params` gave them. Invalid parameters raise
    :class:`ActionInputError` / ``filters.InvalidFilter``."""
    from app.dashboard import filters

    if kind == "ids":
        ids = params.get("ids")
        if not isinstance(ids, list) or not all(isinstance(token, str) for token in ids):
            raise ActionInputError("Invalid row ids.")
        return parse_ids(ids)
    if kind == "filter":
        if not all(isinstance(value, str) for value in params.values()):
            raise ActionInputError("Invalid filter.")
        return filters.selection_from_params(params)
    raise ActionInputError(f"Unknown selection kind {str(kind)[:20]!r}.")


@dataclass(frozen=True)
class NarrowedSelection:
    """A selection with an extra condition that every selected row already satisfies.

    Used to put a cheap ``LIKE`` in front of the error-group match (a PL/pgSQL normalisation of
    every message): PostgreSQL evaluates cheaper conditions first, so the normalisation then
    runs only on rows that can belong to the group. The rows selected are the same.
    """

    base: SelectionLike
    condition: Q

    @property
    def live(self) -> QuerySet:
        return self.base.live.filter(self.condition)

    @property
    def archive(self) -> QuerySet:
        return self.base.archive.filter(self.condition)

    def describe(self) -> str:
        return self.base.describe()

    def as_params(self) -> dict:
        return self.base.as_params()


_PLACEHOLDERS = re.compile(r"<(?:value|detail|email|id|n)>|\s+")


def _certain_pieces(normalised_message: str) -> list[str]:
    """Pieces of a normalised message copied verbatim from every member's raw message.

    Normalisation only replaces text by placeholders and collapses whitespace, so the pieces
    between placeholders and spaces come from the raw message; a piece cut by the length limit
    is dropped. None for the "(no message)" group.
    """
    if normalised_message == errors.NO_MESSAGE:
        return []
    pieces = _PLACEHOLDERS.split(normalised_message)
    if len(normalised_message) >= errors.MAX_NORMALISED_LENGTH:
        pieces = pieces[:-1]
    return pieces


def group_fragment(normalised_message: str) -> str:
    """The longest piece of the group's message that every member's raw message contains."""
    return max(_certain_pieces(normalised_message), key=len, default="")


def group_precheck(normalised_message: str) -> Q | None:
    """A cheap condition every member of the group satisfies (``None`` if none is certain).

    When the normalised message starts with a verbatim piece, the raw message starts with it
    too (after whitespace, which normalisation strips): an anchored ``LIKE 'piece%'`` that
    fails on the first characters for other messages. Otherwise ``LIKE '%longest piece%'``.
    """
    pieces = _certain_pieces(normalised_message)
    if pieces and len(pieces[0]) >= 3:
        condition = Q(sf_message__startswith=pieces[0])
        for space in _LEADING_SPACE:
            condition |= Q(sf_message__startswith=space)
        return condition
    fragment = group_fragment(normalised_message)
    return Q(sf_message__contains=fragment) if len(fragment) >= 3 else None


_LEADING_SPACE = (" ", "\t", "\r", "\n")


def narrow_for_group(selection: SelectionLike) -> SelectionLike:
    """``selection`` with the group's :func:`group_precheck` in front of the group match."""
    key = selection.as_params().get("group")
    if not key:
        return selection
    try:
        group = errors.parse_group_key(key)
    except errors.InvalidGroupKey:
        return selection
    condition = group_precheck(group.normalised_message)
    return selection if condition is None else NarrowedSelection(selection, condition)


def parse_algorithm(value: str | None) -> WriteAlgorithm | None:
    """The operator's explicit choice (``merged``/``ordered``), ``None`` for "ask the API"."""
    if value in (None, "", "auto"):
        return None
    try:
        return ALGORITHM_CHOICES[value]
    except KeyError:
        raise ActionInputError(f"Unknown write algorithm {value[:20]!r}.") from None


# --- The write algorithm ------------------------------------------------------------------


def lookup_write_algorithm() -> WriteAlgorithm:
    """The connection's write algorithm from the Heroku Connect API (cached by the library).

    Any failure (API unreachable, not configured, no or several connections with different
    modes) becomes :class:`WriteAlgorithmUnavailable` with a one-line message. The API errors'
    messages never contain the token; unexpected errors are logged and reported generically.
    """
    from heroku_connect.utils import get_unique_connection_write_mode

    try:
        return get_unique_connection_write_mode()
    except (OSError, ValueError) as error:  # requests errors are OSErrors; mixed modes ValueError
        raise WriteAlgorithmUnavailable(
            f"The write algorithm could not be read from the Heroku Connect API: {error}"
        ) from error
    except Exception as error:
        logger.exception("Write algorithm lookup failed")
        raise WriteAlgorithmUnavailable(
            "The write algorithm could not be read from the Heroku Connect API "
            f"({type(error).__name__})."
        ) from error


def algorithm_label(algorithm: WriteAlgorithm) -> str:
    return "ordered writes" if algorithm is WriteAlgorithm.ORDERED_WRITES else "merged writes"


# --- Planning: what the confirmation page shows ------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Exactly what an action will change, counted now (the POST re-checks every row's state)."""

    action: str
    description: str
    live_by_action: Mapping[str, int]
    archive_by_action: Mapping[str, int]
    algorithm: WriteAlgorithm | None = None
    algorithm_error: str = ""
    params: dict = field(default_factory=dict)

    @property
    def live(self) -> int:
        return sum(self.live_by_action.values())

    @property
    def archive(self) -> int:
        return sum(self.archive_by_action.values())

    @property
    def total(self) -> int:
        return self.live + self.archive

    def headline(self) -> str:
        verb = "Retry" if self.action == RETRY else "Ignore"
        noun = ngettext("FAILED write", "FAILED writes", self.total)
        return f"{verb} {self.total:,} {noun}: {self.description}"

    def effects(self) -> list[str]:
        """One line per part of the selection, saying what happens to its rows."""
        if self.action == IGNORE:
            lines = []
            if self.live:
                lines.append(f"live: {self.live:,} -> IGNORED")
            if self.archive:
                lines.append(f"archived: {self.archive:,} -> IGNORED")
            return lines
        return self.retry_effects(self.algorithm)

    def retry_effects(self, algorithm: WriteAlgorithm | None) -> list[str]:
        lines = []
        deletes_live = self.live_by_action.get("DELETE", 0)
        deletes_archive = self.archive_by_action.get("DELETE", 0)
        if algorithm is WriteAlgorithm.ORDERED_WRITES:
            if self.live - deletes_live:
                lines.append(
                    f"live: {self.live - deletes_live:,} INSERT/UPDATE re-captured from the "
                    "current record as new NEW rows, in trigger-log order (the failed rows "
                    "become REQUEUED; a row whose record was deleted stays FAILED)"
                )
            if deletes_live:
                lines.append(f"live: {deletes_live:,} DELETE -> NEW")
            if self.archive - deletes_archive:
                lines.append(
                    f"archived: {self.archive - deletes_archive:,} INSERT/UPDATE re-captured "
                    "into the live log as NEW; the archived rows become REQUEUED"
                )
            if deletes_archive:
                lines.append(
                    f"archived: {deletes_archive:,} DELETE copied back to the live log as NEW "
                    "(archived rows REQUEUED)"
                )
        else:
            if self.live:
                lines.append(f"live: {self.live:,} -> NEW (updated_at = now)")
            if self.archive:
                lines.append(
                    f"archived: {self.archive:,} copied back to the live log as NEW; the "
                    "archived rows become REQUEUED"
                )
        return lines


def _failed_by_action(queryset: QuerySet) -> dict[str, int]:
    rows = (
        queryset.filter(state=TriggerLogState.FAILED)
        .order_by()
        .values_list("action")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def plan_action(
    action: str,
    selection: SelectionLike,
    *,
    algorithm: WriteAlgorithm | None = None,
    look_up: bool = True,
) -> Plan:
    """Count the FAILED rows the action would change (two grouped COUNTs) and, for a retry,
    the write algorithm (looked up unless given; a lookup failure is reported, not raised)."""
    if action not in ACTIONS:
        raise ActionInputError(f"Unknown action {action!r}.")
    algorithm_error = ""
    if action == RETRY and algorithm is None and look_up:
        try:
            algorithm = lookup_write_algorithm()
        except WriteAlgorithmUnavailable as error:
            algorithm_error = str(error)
    narrowed = narrow_for_group(selection)
    return Plan(
        action=action,
        description=selection.describe(),
        live_by_action=_failed_by_action(narrowed.live),
        archive_by_action=_failed_by_action(narrowed.archive),
        algorithm=algorithm if action == RETRY else None,
        algorithm_error=algorithm_error,
        params=selection.as_params(),
    )


# --- Performing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionResult:
    action: str
    live: int
    archive: int
    algorithm: WriteAlgorithm | None = None

    @property
    def total(self) -> int:
        return self.live + self.archive

    def message(self) -> str:
        if self.action == RETRY:
            text = ngettext(
                "Retried %(count)s failed write", "Retried %(count)s failed writes", self.total
            )
        else:
            text = ngettext(
                "Ignored %(count)s failed write", "Ignored %(count)s failed writes", self.total
            )
        text = text % {"count": f"{self.total:,}"}
        text += f" (live: {self.live:,}, archived: {self.archive:,})"
        if self.algorithm is not None:
            text += f" with {algorithm_label(self.algorithm)}"
        return text + "."


def perform_action(
    action: str,
    selection: SelectionLike,
    *,
    user: Any,
    algorithm: WriteAlgorithm | None = None,
    audit_action: str | None = None,
    confirmed_count: int | None = None,
) -> ActionResult:
    """Retry or ignore the FAILED rows of ``selection`` (live and archived) in one transaction.

    A retry without ``algorithm`` looks it up first (:class:`WriteAlgorithmUnavailable` if that
    fails; nothing is changed). With ``confirmed_count`` (what the operator confirmed), changing
    more rows than that rolls everything back and raises :class:`SelectionGrew` (not audited:
    nothing happened, the operator is asked again). The audit entry is written in the same
    transaction on success and on its own after a failure, which is re-raised.
    """
    if action not in ACTIONS:
        raise ActionInputError(f"Unknown action {action!r}.")
    audit_action = audit_action or action
    chosen = algorithm is not None
    target = selection.describe()
    params = selection.as_params()
    try:
        if action == RETRY and algorithm is None:
            algorithm = lookup_write_algorithm()  # before any row lock
        narrowed = narrow_for_group(selection)
        with transaction.atomic():
            if action == RETRY:
                live = trigger_log.retry_failed(narrowed.live, write_algorithm=algorithm)
                archive = trigger_log.retry_failed(narrowed.archive, write_algorithm=algorithm)
            else:
                live = trigger_log.ignore_failed(narrowed.live)
                archive = trigger_log.ignore_failed(narrowed.archive)
            result = ActionResult(action, live, archive, algorithm if action == RETRY else None)
            if confirmed_count is not None and result.total > confirmed_count:
                raise SelectionGrew(confirmed=confirmed_count, found=result.total)
            record_action(
                user=user,
                action=audit_action,
                target=target,
                selection=params,
                row_count=result.total,
                detail=audit_detail(result, chosen=chosen),
            )
            if result.total:
                transaction.on_commit(refresh_stats_soon, robust=True)
    except SelectionGrew:
        raise
    except Exception as error:
        record_action(
            user=user,
            action=audit_action,
            target=target,
            selection=params,
            outcome=Outcome.ERROR,
            detail=f"Nothing changed: {error_message(error)}",
        )
        raise
    return result


def refresh_stats_soon() -> None:
    """Queue a rebuild of the error-group summaries, which would show the changed rows until the
    next beat run. No broker retries: a broker that is down must not hold up the response (the
    failure is logged by ``on_commit(robust=True)`` and the beat run catches up)."""
    refresh_stats_task.apply_async(retry=False)


def audit_detail(result: ActionResult, *, chosen: bool) -> str:
    text = f"live: {result.live:,}, archived: {result.archive:,}"
    if result.algorithm is not None:
        how = "chosen by the operator" if chosen else "from the Heroku Connect API"
        text += f"; {algorithm_label(result.algorithm)} ({how})"
    return text


def error_message(error: BaseException) -> str:
    """A one-line, operator-safe message for a failed action (no SQL, no secrets)."""
    if isinstance(error, (WriteAlgorithmUnavailable, ActionInputError)):
        return str(error)
    if isinstance(error, LookupError):  # a mapped table missing from the schema
        return str(error)
    if is_statement_timeout(error):
        return "The database took too long (statement timeout); the transaction was rolled back."
    return f"The operation failed ({type(error).__name__}); see the server log."
