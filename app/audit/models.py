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
