"""Heroku Connect's trigger log (``_trigger_log`` and ``_trigger_log_archive``) as Django models.

Heroku Connect owns both tables; the models are unmanaged. Every state change (retry, ignore,
re-capture) is implemented in :mod:`heroku_connect.trigger_log`; the methods here are thin
per-row shortcuts kept for compatibility with the public django-heroku-connect package.

The real tables have a few more columns than the models (``processed_tx``, ``sf_result``) and
use ``integer`` where the models say ``bigint`` (``id``, ``record_id``); both work together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router
from django.utils.translation import gettext_lazy as _

from heroku_connect import trigger_log
from heroku_connect.conf import settings
from heroku_connect.hstore import hstore_text_to_dict
from heroku_connect.trigger_log_states import (
    TRIGGER_LOG_ACTION,
    TRIGGER_LOG_ACTION_CHOICES,
    TRIGGER_LOG_STATE,
    TRIGGER_LOG_STATE_CHOICES,
    TriggerLogAction,
    TriggerLogState,
)

__all__ = (
    "TRIGGER_LOG_ACTION",
    "TRIGGER_LOG_ACTION_CHOICES",
    "TRIGGER_LOG_STATE",
    "TRIGGER_LOG_STATE_CHOICES",
    "TriggerLog",
    "TriggerLogAbstract",
    "TriggerLogAction",
    "TriggerLogArchive",
    "TriggerLogQuerySet",
    "TriggerLogState",
)


# Read once, at import, like the public package: the tables' names are fixed per process.
_SCHEMA = settings.HEROKU_CONNECT_SCHEMA


class TriggerLogQuerySet(models.QuerySet):
    def failed(self) -> TriggerLogQuerySet:
        """Rows Salesforce rejected (state ``FAILED``)."""
        return self.filter(state=TriggerLogState.FAILED)

    def related_to(self, instance: TriggerLogAbstract) -> TriggerLogQuerySet:
        """Rows about the same record (same ``table_name`` and ``record_id``) as ``instance``."""
        return self.filter(table_name=instance.table_name, record_id=instance.record_id)


class TriggerLogAbstract(models.Model):
    """Columns shared by ``_trigger_log`` and ``_trigger_log_archive``."""

    # Heroku Connect assigns ids in production; they are never edited here.
    id = models.BigAutoField(primary_key=True, editable=False)
    txid = models.BigIntegerField(editable=False, null=True)
    created_at = models.DateTimeField(editable=False, null=True)
    updated_at = models.DateTimeField(editable=False, null=True)
    processed_at = models.DateTimeField(editable=False, null=True)
    table_name = models.CharField(max_length=128, editable=False)
    record_id = models.BigIntegerField(editable=False)
    sf_id = models.CharField(max_length=18, editable=False, null=True, db_column="sfid")
    action = models.CharField(max_length=7, choices=TRIGGER_LOG_ACTION_CHOICES)
    state = models.CharField(max_length=8, choices=TRIGGER_LOG_STATE_CHOICES)
    sf_message = models.TextField(null=True, blank=True)
    values = models.TextField(null=True, blank=True)
    old = models.TextField(null=True, blank=True)

    is_archived = False

    objects = TriggerLogQuerySet.as_manager()

    class Meta:
        abstract = True
        managed = False
        get_latest_by = "created_at"
        ordering = ("id",)

    def __str__(self) -> str:
        return (
            f"#{self.id} {self.action} {self.table_name}|{self.record_id} "
            f"[{self.created_at}] [{self.state}]"
        )

    @property
    def values_as_dict(self) -> dict[str, str | None] | None:
        """``values`` parsed from hstore text (``None`` when the column is NULL)."""
        return hstore_text_to_dict(self.values)

    def get_model(self) -> models.Model | None:
        """The connected-model instance this row is about, or ``None`` if it no longer exists.

        Raises ``LookupError`` when no connected model uses ``table_name``.
        """
        from heroku_connect.mapping import get_connected_model_for_table_name

        model_cls = get_connected_model_for_table_name(self.table_name)
        return model_cls._default_manager.filter(id=self.record_id).first()

    def related(self, *, exclude_self: bool = False) -> TriggerLogQuerySet:
        """Rows of this table about the same record, optionally without this one."""
        queryset = self.__class__._default_manager.related_to(self)
        if exclude_self:
            queryset = queryset.exclude(id=self.id)
        return queryset

    # --- Manual re-capture through Heroku Connect's hc_capture_* functions -------------------

    @classmethod
    def capture_insert_from_model(
        cls, table_name: str, record_id: int, *, exclude_fields: Iterable[str] = ()
    ) -> list[TriggerLog]:
        """Capture the current row ``record_id`` of ``table_name`` as a new INSERT (state NEW).

        ``exclude_fields`` (model field names) are left out of the captured ``values``; ``id``
        and ``sfid`` can never be excluded. Raises ``LookupError`` for an unknown table (when
        fields are given), ``FieldDoesNotExist`` for an unknown field and
        ``TriggerLog.DoesNotExist`` when the record does not exist.
        """
        exclude_columns: set[str] = set()
        if exclude_fields:
            exclude_columns = cls._fieldnames_to_colnames(
                cls._connected_model(table_name), exclude_fields
            )
        return trigger_log.capture_insert(
            table_name, record_id, exclude_columns=exclude_columns, using=cls._capture_alias()
        )

    @classmethod
    def capture_update_from_model(
        cls,
        table_name: str,
        record_id: int,
        *,
        update_fields: Iterable[str] = (),
        update_columns: Iterable[str] = (),
    ) -> list[TriggerLog]:
        """Capture the current row ``record_id`` of ``table_name`` as a new UPDATE (state NEW).

        The captured ``values`` hold ``update_columns`` plus the columns of ``update_fields``
        (model field names). With neither, the new row has empty ``values``. Errors as in
        :meth:`capture_insert_from_model` (``… re-capturing UPDATE``).
        """
        columns = set(update_columns)
        if update_fields:
            columns |= cls._fieldnames_to_colnames(cls._connected_model(table_name), update_fields)
        return trigger_log.capture_update(
            table_name, record_id, include_columns=columns, using=cls._capture_alias()
        )

    def capture_insert(self, *, exclude_fields: Iterable[str] = ()) -> list[TriggerLog]:
        """:meth:`capture_insert_from_model` for this row's record."""
        return self.capture_insert_from_model(
            self.table_name, self.record_id, exclude_fields=exclude_fields
        )

    def capture_update(
        self, *, update_fields: Iterable[str] = (), update_columns: Iterable[str] = ()
    ) -> list[TriggerLog]:
        """:meth:`capture_update_from_model` for this row's record."""
        return self.capture_update_from_model(
            self.table_name,
            self.record_id,
            update_fields=update_fields,
            update_columns=update_columns,
        )

    def _recapture(self) -> bool:
        """Re-capture this row's change (INSERT or UPDATE); ``False`` for anything else."""
        if self.action == TriggerLogAction.INSERT:
            self.capture_insert()
            return True
        if self.action == TriggerLogAction.UPDATE:
            values = self.values_as_dict or {}
            self.capture_update(update_columns=tuple(values))
            return True
        return False

    @staticmethod
    def _connected_model(table_name: str) -> type[models.Model]:
        from heroku_connect.mapping import get_connected_model_for_table_name

        return get_connected_model_for_table_name(table_name)

    @staticmethod
    def _fieldnames_to_colnames(
        model_cls: type[models.Model], fieldnames: Iterable[str]
    ) -> set[str]:
        """The database columns of ``fieldnames`` (``FieldDoesNotExist`` for unknown names)."""
        get_field = model_cls._meta.get_field
        return {get_field(name).column for name in fieldnames}

    @staticmethod
    def _compile_sql(model_cls: type[models.Model], composed_query: Any) -> str:
        """Render a psycopg2 or psycopg 3 ``sql.Composable`` to SQL text.

        The connection is the read database of ``model_cls`` (as in the public package), whose
        ``standard_conforming_strings`` setting decides how string literals are quoted.
        """
        alias = router.db_for_read(model_cls) or "default"
        connection = connections[alias]
        connection.ensure_connection()
        return trigger_log.render_composed(
            composed_query,
            standard_conforming_strings=_standard_conforming_strings(connection),
        )

    @classmethod
    def _capture_alias(cls) -> str:
        return router.db_for_write(TriggerLog) or "default"


def _standard_conforming_strings(connection: Any) -> bool:
    raw = connection.connection
    info = getattr(raw, "info", None)  # psycopg 3
    if info is not None:
        value = info.parameter_status("standard_conforming_strings")
    else:  # psycopg2
        value = raw.get_parameter_status("standard_conforming_strings")
    return value != "off"


class TriggerLog(TriggerLogAbstract):
    """A live row of ``_trigger_log`` (waiting for, being or just written to Salesforce)."""

    class Meta(TriggerLogAbstract.Meta):
        db_table = f'{_SCHEMA}"."_trigger_log'
        verbose_name = _("Trigger Log")

    def redo(self, *, write_algorithm: Any = None) -> TriggerLog:
        """Re-apply this change (in any state) and return the row that represents it.

        Merged writes (and DELETE rows): this row goes back to ``NEW`` and is returned.
        Ordered writes: the record is re-captured as a new ``NEW`` row (returned) and this row
        becomes ``REQUEUED``. The write mode is looked up (cached) unless given.
        Raises ``TriggerLog.DoesNotExist`` when the record to re-capture no longer exists.
        """
        return trigger_log.redo(self, write_algorithm=write_algorithm)


class TriggerLogArchive(TriggerLogAbstract):
    """An archived row of ``_trigger_log_archive`` (processed by Heroku Connect)."""

    is_archived = True

    class Meta(TriggerLogAbstract.Meta):
        db_table = f'{_SCHEMA}"."_trigger_log_archive'
        verbose_name = _("Trigger Log (archived)")
        verbose_name_plural = _("Trigger Logs (archived)")

    def redo(self, *, write_algorithm: Any = None) -> TriggerLog:
        """Re-apply this archived change (in any state); return the new live ``TriggerLog`` row.

        The change is copied back to ``_trigger_log`` as ``NEW`` (re-captured from the record
        under ordered writes, except DELETEs) and this archive row becomes ``REQUEUED``.
        """
        return trigger_log.redo(self, write_algorithm=write_algorithm)

    def _to_live_trigger_log(self, **kwargs: Any) -> TriggerLog:
        """An unsaved ``TriggerLog`` with this row's values (except ``id``), updated by ``kwargs``.

        The public package's helper (``_to_live_trigger_log(state="NEW")``); the set-based
        requeue in :mod:`heroku_connect.trigger_log` does the same copy in SQL.
        """
        values = {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if not field.primary_key
        }
        return TriggerLog(**{**values, **kwargs})
