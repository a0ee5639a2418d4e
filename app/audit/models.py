"""The audit trail: one row per operator action, in our own table (never in Heroku Connect's)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    OK = "ok", "ok"
    ERROR = "error", "error"
    DENIED = "denied", "denied"


class AuditEntry(models.Model):
    """Who did what, when, to which selection, how many rows changed, and how it went.

    ``username`` is kept next to the foreign key so the entry still names the operator after the
    account is deleted; actions run by beat tasks have no user and the username ``system``.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    username = models.CharField(max_length=150, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    selection = models.JSONField(default=dict, blank=True)
    row_count = models.BigIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.OK)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["action", "-created_at"], name="audit_action_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} ({self.outcome})"


# --- Auto-retry (kept here with the audit trail: our own records of automatic actions) -------


def default_transient_codes() -> list[str]:
    return ["UNABLE_TO_LOCK_ROW"]


class AutoRetryPolicy(models.Model):
    """The one auto-retry policy (row ``pk=1``), edited by operators in the dashboard.

    The beat task retries FAILED writes whose message is one of ``codes`` (transient errors),
    at most ``max_attempts`` times per record, waiting ``backoff_minutes`` after the first
    attempt and doubling the wait after each further one. Only failures captured in the last
    ``max_age_hours`` are considered, so old archived failures are not resent by surprise.
    """

    enabled = models.BooleanField(default=False)
    codes = models.JSONField(default=default_transient_codes)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    backoff_minutes = models.PositiveIntegerField(default=5)
    max_age_hours = models.PositiveIntegerField(default=24)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "auto-retry policy"
        verbose_name_plural = "auto-retry policy"

    def __str__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"Auto-retry {state}: {', '.join(self.codes)} x{self.max_attempts}"

    @classmethod
    def current(cls) -> AutoRetryPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class AutoRetryAttempt(models.Model):
    """How often auto-retry has resent the failed writes of one record, and when it may again.

    Keyed by record (table and record id) rather than trigger-log id: under ordered writes a
    retry re-captures the change as a new trigger-log row, which must not start from zero.
    """

    table_name = models.CharField(max_length=128)
    record_id = models.BigIntegerField()
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(db_index=True)
    next_attempt_at = models.DateTimeField()
    last_log_id = models.BigIntegerField(help_text="The trigger-log id retried last.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table_name", "record_id"], name="autoretry_record")
        ]

    def __str__(self) -> str:
        return f"{self.table_name}|{self.record_id}: {self.attempts} attempts"
