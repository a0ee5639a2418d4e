"""The audit list's filters (shared by the page and the CSV export)."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from app.audit.models import AuditEntry, Outcome


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150, label="User")
    action = forms.CharField(required=False, max_length=64, label="Action")
    outcome = forms.ChoiceField(
        required=False, choices=[("", "any"), *Outcome.choices], label="Outcome"
    )
    since = forms.DateField(required=False, label="From (date)")
    until = forms.DateField(required=False, label="Until (date, inclusive)")
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start date is after the end date.")
        return data

    def filter(self, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """Apply the filters (not the ``before`` cursor); the form must be valid."""
        data = self.cleaned_data
        if data["user"]:
            queryset = queryset.filter(username=data["user"])
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["outcome"]:
            queryset = queryset.filter(outcome=data["outcome"])
        if data["since"]:
            queryset = queryset.filter(created_at__gte=_start_of(data["since"]))
        if data["until"]:
            next_day = data["until"] + datetime.timedelta(days=1)
            queryset = queryset.filter(created_at__lt=_start_of(next_day))
        return queryset

    def filter_params(self) -> dict[str, str]:
        """The filters as query parameters (for the pager and the export link)."""
        return {
            name: str(self.cleaned_data[name])
            for name in ("user", "action", "outcome", "since", "until")
            if self.cleaned_data.get(name)
        }


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
