"""Selecting trigger-log failures: the filter form and the selection it describes.

The same selection feeds the failure list, the error-group links and the retry / ignore
actions (which add their own ``state = 'FAILED'`` guard), so what the operator saw is exactly
what the action changes. Invalid parameters never reach the database: the form reports them
and the views answer 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from app.dashboard import errors
from heroku_connect.models import (
    TriggerLog,
    TriggerLogAction,
    TriggerLogArchive,
    TriggerLogState,
)

__all__ = (
    "ANY_STATE",
    "SOURCES",
    "FailureFilterForm",
    "InvalidFilter",
    "Selection",
    "selection",
    "selection_from_params",
)

LIVE, ARCHIVE, BOTH = "live", "archive", "both"
SOURCES = (LIVE, ARCHIVE, BOTH)
ANY_STATE = "any"
MAX_SEARCH_LENGTH = 200
_TABLE_NAME = re.compile(r"\A[A-Za-z0-9_]{1,128}\Z")
_SFID = re.compile(r"\A[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?\Z")
_MAX_BIGINT = 2**63 - 1
#: Control characters (C0, DEL, C1). PostgreSQL refuses NUL in text; none of them belongs in a
#: table name, an error group or a search, so a filter carrying one is refused (400).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InvalidFilter(ValueError):
    """The filter parameters are invalid (the message lists the problems)."""


class FailureFilterForm(forms.Form):
    """GET parameters of the failure list (all optional; state defaults to FAILED)."""

    table = forms.CharField(required=False, max_length=128)
    action = forms.ChoiceField(
        required=False, choices=[("", "any action"), *TriggerLogAction.choices]
    )
    state = forms.ChoiceField(
        required=False,
        # FAILED first: an empty value means FAILED, and browsers show the first option.
        choices=[
            (TriggerLogState.FAILED.value, TriggerLogState.FAILED.label),
            *(c for c in TriggerLogState.choices if c[0] != TriggerLogState.FAILED),
            (ANY_STATE, "any state"),
        ],
    )
    group = forms.CharField(
        required=False,
        max_length=1200,
        label="Error group",
        widget=forms.TextInput(attrs={"placeholder": "set by the error-group links"}),
    )
    since = forms.DateTimeField(
        label="Since (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        label="Until (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    source = forms.ChoiceField(
        required=False,
        choices=[(BOTH, "live and archived"), (LIVE, "live"), (ARCHIVE, "archived")],
    )
    q = forms.CharField(
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        strip=True,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "message, record id or Salesforce id"}),
    )

    def clean_table(self) -> str:
        # Heroku Connect's table names are lower case ("contact", "project__c"); the pages show
        # the object names ("Contact", "Project__c"), which matched nothing before.
        table = self.cleaned_data["table"].strip().lower()
        if table and not _TABLE_NAME.match(table):
            raise forms.ValidationError("Not a table name.")
        return table

    def clean_state(self) -> str:
        return self.cleaned_data["state"] or TriggerLogState.FAILED.value

    def clean_source(self) -> str:
        return self.cleaned_data["source"] or BOTH

    def clean_group(self) -> errors.GroupRef | None:
        key = self.cleaned_data["group"].strip()
        if not key:
            return None
        try:
            return errors.parse_group_key(key)
        except errors.InvalidGroupKey as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, value in list(data.items()):
            if _has_control_character(value):
                self.add_error(name, "Control characters (such as NUL) are not allowed.")
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "Must be later than 'since'.")
        return data

    def error_text(self) -> str:
        """All errors on one line, for a 400 response or an exception."""
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in self.errors.items()
        )


def _has_control_character(value: Any) -> bool:
    """Whether a cleaned value (text, or the decoded parts of an error group) holds one."""
    if isinstance(value, errors.GroupRef):
        return any(
            _has_control_character(part)
            for part in (value.table_name, value.code, value.normalised_message)
        )
    return isinstance(value, str) and bool(_CONTROL_CHARACTER.search(value))


@dataclass(frozen=True)
class Selection:
    """Filtered live and archived trigger-log rows (no state guard beyond the filter)."""

    live: QuerySet
    archive: QuerySet
    params: dict[str, str]
    text: str

    def describe(self) -> str:
        """Human text, e.g. 'UNABLE_TO_LOCK_ROW on contact, live and archived'."""
        return self.text

    def as_params(self) -> dict[str, str]:
        """The filter as GET/POST parameters (re-posted by confirmation forms, audited)."""
        return dict(self.params)


def _group_filter(group: errors.GroupRef) -> tuple[dict[str, Any], Q]:
    """Rows of the group: a cheap ``LIKE`` on literal pieces, then the exact normalisation."""
    sql, params = errors.guarded_normalise_sql('"sf_message"', group.normalised_message)
    return {"_dashboard_group": RawSQL(sql, params)}, Q(
        table_name=group.table_name, _dashboard_group=group.normalised_message
    )


def _search_filter(text: str) -> Q:
    query = Q(sf_message__icontains=text)
    if text.isdigit() and int(text) <= _MAX_BIGINT:
        query |= Q(record_id=int(text)) | Q(pk=int(text))
    if _SFID.match(text):
        query |= Q(sf_id=text)
    return query


def _filter(queryset: QuerySet, data: Mapping[str, Any]) -> QuerySet:
    if data.get("group"):
        aliases, condition = _group_filter(data["group"])
        queryset = queryset.alias(**aliases).filter(condition)
    if data.get("table"):
        queryset = queryset.filter(table_name=data["table"])
    if data.get("action"):
        queryset = queryset.filter(action=data["action"])
    if data["state"] != ANY_STATE:
        queryset = queryset.filter(state=data["state"])
    if data.get("since"):
        queryset = queryset.filter(created_at__gte=data["since"])
    if data.get("until"):
        queryset = queryset.filter(created_at__lt=data["until"])
    if data.get("q"):
        queryset = queryset.filter(_search_filter(data["q"]))
    return queryset


def _describe(data: Mapping[str, Any]) -> str:
    group: errors.GroupRef | None = data.get("group")
    state = data["state"]
    what = "writes in any state" if state == ANY_STATE else f"{state} writes"
    if group:
        what = f"{group.code} ({group.normalised_message})"
        if state != TriggerLogState.FAILED:
            what += f", {'any state' if state == ANY_STATE else state}"
    parts = [what]
    table = data.get("table") or (group.table_name if group else "")
    if table:
        parts[0] += f" on {table}"
    if data.get("action"):
        parts.append(f"{data['action']} only")
    if data.get("since"):
        parts.append(f"since {data['since']:%Y-%m-%d %H:%M} UTC")
    if data.get("until"):
        parts.append(f"until {data['until']:%Y-%m-%d %H:%M} UTC")
    if data.get("q"):
        parts.append(f"matching {data['q']!r}")
    parts.append({LIVE: "live", ARCHIVE: "archived", BOTH: "live and archived"}[data["source"]])
    return ", ".join(parts)


def _params(data: Mapping[str, Any]) -> dict[str, str]:
    params = {"source": data["source"], "state": data["state"]}
    for name in ("table", "action", "q"):
        if data.get(name):
            params[name] = data[name]
    if data.get("group"):
        params["group"] = data["group"].key
    for name in ("since", "until"):
        if data.get(name):
            params[name] = data[name].isoformat()
    return params


def selection(form: FailureFilterForm) -> Selection:
    """The rows a valid filter form selects; :class:`InvalidFilter` if the form is invalid."""
    if not form.is_valid():
        raise InvalidFilter(form.error_text())
    data = form.cleaned_data
    source = data["source"]
    live = TriggerLog.objects.none()
    archive = TriggerLogArchive.objects.none()
    if source in (LIVE, BOTH):
        live = _filter(TriggerLog.objects.all(), data)
    if source in (ARCHIVE, BOTH):
        archive = _filter(TriggerLogArchive.objects.all(), data)
    return Selection(live=live, archive=archive, params=_params(data), text=_describe(data))


def selection_from_params(params: Mapping[str, Any]) -> Selection:
    """:func:`selection` for a mapping of parameters (e.g. a re-posted confirmation form)."""
    return selection(FailureFilterForm(params))
