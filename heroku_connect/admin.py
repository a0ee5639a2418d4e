"""Admin for Heroku Connect's trigger log (live and archived).

The retry and ignore actions need the ``change`` permission, ask for confirmation (showing how
many FAILED rows of which table and action will change) and then run one set-based service call
from :mod:`heroku_connect.trigger_log`. The changelists never COUNT a whole large table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from heroku_connect import trigger_log
from heroku_connect.models import (
    TriggerLog,
    TriggerLogAbstract,
    TriggerLogArchive,
    TriggerLogState,
)
from heroku_connect.signals import trigger_logs_changed
from heroku_connect.states import WriteAlgorithm

logger = logging.getLogger(__name__)

__all__ = ("GenericLogModelAdmin", "TriggerLogAdmin", "TriggerLogPaginator")


def _replaced(values: Iterable[str], **replacements: str) -> tuple[str, ...]:
    """``values`` with each name replaced by its alias (if any); empty names are dropped."""
    return tuple(name for name in (replacements.get(v, v) for v in values) if name)


def _get_admin_route_name(model_or_instance: Any) -> str:
    opts = model_or_instance._meta
    return f"admin:{opts.app_label}_{opts.model_name}"


def _build_admin_filter_url(model: Any, filters: dict[str, Any]) -> str:
    url = reverse(f"{_get_admin_route_name(model)}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _make_admin_link_to_similar(
    primary_field: str, *fields: str, name: str | None = None
) -> Callable[[Any, Model], SafeString]:
    """A list-display method linking ``primary_field``'s value to the rows sharing it.

    The link goes to the changelist of the object's own model, filtered on ``primary_field``
    and ``fields``.
    """
    filter_fields = (primary_field, *fields)

    def link(self: Any, obj: Model) -> SafeString:
        filters = {field: getattr(obj, field) for field in filter_fields}
        url = _build_admin_filter_url(obj, filters)
        return format_html('<a href="{}">{}</a>', url, getattr(obj, primary_field))

    link.__name__ = name or f"{primary_field}_link"
    link.short_description = primary_field.replace("_", " ").capitalize()
    link.admin_order_field = primary_field
    link.allow_tags = True  # legacy attribute, harmless; rendering relies on format_html
    return link


def _ignore_failed_logs(queryset: QuerySet) -> int:
    """Mark the FAILED rows of ``queryset`` IGNORED (one statement); return their number."""
    return trigger_log.ignore_failed(queryset)


def _retry_failed_log(log: TriggerLogAbstract) -> bool:
    """Retry one row if it is (still) FAILED; ``False`` when there was nothing to retry."""
    return bool(trigger_log.retry_failed(type(log)._default_manager.filter(pk=log.pk)))


#: CSS classes of ``state_label``; any other state (known or not) gets ``default``.
STATE_CSS_CLASSES = {
    TriggerLogState.SUCCESS: "success",
    TriggerLogState.FAILED: "danger label-important",
    TriggerLogState.NEW: "primary label-inverse",
    TriggerLogState.PENDING: "info",
    TriggerLogState.REQUEUE: "warning",
    TriggerLogState.REQUEUED: "warning",
}


class TriggerLogPaginator(Paginator):
    """A paginator that never counts a whole large table.

    It counts at most ``count_limit + 1`` rows (``COUNT(*)`` over a ``LIMIT`` subquery). Past
    the limit an unfiltered list uses PostgreSQL's row estimate for the table.
    """

    count_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if not queryset.query.is_sliced:
            queryset = queryset.order_by()
        counted = queryset[: self.count_limit + 1].count()
        if counted <= self.count_limit or queryset.query.where:
            return counted
        return max(counted, self._estimate(queryset))

    @staticmethod
    def _estimate(queryset: QuerySet) -> int:
        connection = connections[queryset.db]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        return max(row[0], 0) if row else 0


class GenericLogModelAdmin(admin.ModelAdmin):
    empty_value_display = "<NULL>"
    field_overrides = {
        "action": "action_label",
        "state": "state_label",
        "record_id": "record_id_link",
        "table_name": "table_name_link",
    }
    date_hierarchy = "created_at"
    list_display = _replaced(
        ("created_at", "action", "table_name", "record_id", "sf_message", "state"),
        **field_overrides,
    )
    list_filter = ("action", "state", "table_name")
    list_per_page = 100
    list_max_show_all = 200
    ordering = ("-id",)
    search_fields = ("record_id", "sf_id", "sf_message")
    readonly_fields = _replaced((f.name for f in TriggerLog._meta.fields), **field_overrides)
    save_as = True
    save_on_top = True
    # No full-table COUNTs on large trigger-log tables.
    paginator = TriggerLogPaginator
    show_full_result_count = False

    table_name_link = _make_admin_link_to_similar("table_name")
    record_id_link = _make_admin_link_to_similar("record_id", "table_name")

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        """The change page's fields without the raw ones a label/link replaces.

        The read-only change page otherwise listed ``action`` and ``state`` twice: once raw (the
        form's fields) and once as ``action_label`` / ``state_label`` (``readonly_fields``).
        """
        fields = list(super().get_fields(request, obj))
        replaced = {name for name, alias in self.field_overrides.items() if alias in fields}
        return [name for name in fields if name not in replaced]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Heroku Connect's triggers write the trigger log; adding rows by hand makes no sense.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Rows are never edited in a form, only changed by the actions.

        Saving a form would write back every column read earlier and could undo a state change
        Heroku Connect made meanwhile; the change page is therefore read-only. The permission
        still gates the (set-based, state-guarded) actions on the changelist.
        """
        if obj is not None:
            return False
        return super().has_change_permission(request)

    @admin.display(description="Action", ordering="action")
    def action_label(self, log: TriggerLogAbstract) -> SafeString:
        return format_html('<span class="label label-default">{}</span>', log.action)

    action_label.allow_tags = True

    @admin.display(description="State", ordering="state")
    def state_label(self, log: TriggerLogAbstract) -> SafeString:
        css = STATE_CSS_CLASSES.get(log.state, "default")
        return format_html('<span class="label label-{}">{}</span>', css, log.state)

    state_label.allow_tags = True


class TriggerLogAdmin(GenericLogModelAdmin):
    actions = ["ignore_failed_logs_action", "retry_failed_logs_action"]
    actions_on_top = True
    actions_on_bottom = True
    confirm_action_template = "admin/heroku_connect/confirm_trigger_log_action.html"
    #: ``None``: ask the Heroku Connect API (cached). Set a ``WriteAlgorithm`` to skip the lookup.
    write_algorithm: WriteAlgorithm | None = None

    def get_write_algorithm(self, request: HttpRequest) -> WriteAlgorithm | None:
        """The write algorithm retries use; ``None`` looks it up through the API."""
        return self.write_algorithm

    @admin.action(permissions=["change"], description='Mark failed logs as "ignored"')
    def ignore_failed_logs_action(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        if not self._confirmed(request):
            return self._confirm(
                request, queryset, "ignore_failed_logs_action", _("marked as ignored")
            )
        count = trigger_log.ignore_failed(queryset)
        self._changed(request, "ignore", count)
        # The public package's exact text, also for one row (projects assert on it).
        self.message_user(request, f"{count} failed trigger logs marked as ignored.")
        return None

    @admin.action(permissions=["change"], description="Retry failed log actions")
    def retry_failed_logs_action(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        if not self._confirmed(request):
            return self._confirm(request, queryset, "retry_failed_logs_action", _("retried"))
        try:
            count = trigger_log.retry_failed(
                queryset, write_algorithm=self.get_write_algorithm(request)
            )
        except _retry_errors() as error:
            logger.warning("Retrying failed trigger logs failed: %s", error)
            self._changed(request, "retry", 0, outcome="error", detail=str(error))
            self.message_user(
                request,
                _("Nothing was retried: %(error)s") % {"error": error},
                messages.ERROR,
            )
            return None
        self._changed(request, "retry", count)
        self.message_user(request, f"{count} failed trigger logs retried.")
        return None

    def _changed(
        self,
        request: HttpRequest,
        action: str,
        count: int,
        *,
        outcome: str = "ok",
        detail: str = "",
    ) -> None:
        """Tell receivers (e.g. an audit trail) what an action did."""
        trigger_logs_changed.send(
            sender=self.model,
            request=request,
            action=action,
            count=count,
            outcome=outcome,
            detail=detail,
        )

    # --- confirm-then-act ------------------------------------------------------------------

    @staticmethod
    def _confirmed(request: HttpRequest) -> bool:
        return request.POST.get("post") == "yes"

    def _confirm(
        self, request: HttpRequest, queryset: QuerySet, action: str, verb: str
    ) -> HttpResponse | None:
        """The "Are you sure?" page listing the FAILED rows per table and action.

        Nothing is shown (and nothing happens) when the selection holds no FAILED row.
        """
        summary = list(
            queryset.order_by()
            .filter(state=TriggerLogState.FAILED)
            .values("table_name", "action")
            .annotate(rows=Count("id"))
            .order_by("table_name", "action")
        )
        total = sum(row["rows"] for row in summary)
        if not total:
            self.message_user(
                request,
                _("None of the selected trigger logs has failed; nothing was changed."),
                messages.WARNING,
            )
            return None
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("Are you sure?"),
            "subtitle": None,
            "opts": opts,
            "summary": summary,
            "total": total,
            "verb": verb,
            "action": action,
            "action_description": self.get_actions(request)[action][2],
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.confirm_action_template, context)


def _retry_errors() -> tuple[type[BaseException], ...]:
    """Errors a retry reports to the user: write-mode lookup failures and unknown tables."""
    errors: list[type[BaseException]] = [ValueError, LookupError, OSError]
    try:
        import requests

        errors.append(requests.RequestException)
    except ImportError:  # pragma: no cover - requests is a dependency
        pass
    try:
        from heroku_connect.api import HerokuConnectAPIError

        errors.append(HerokuConnectAPIError)
    except ImportError:
        pass
    return tuple(errors)


admin.site.register([TriggerLog, TriggerLogArchive], TriggerLogAdmin)
