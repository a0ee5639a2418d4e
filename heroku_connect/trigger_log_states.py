"""What a trigger-log row can hold: its states and its actions (docs/heroku-connect/database.md §4).

A leaf module: it imports nothing from the rest of the library, so the models
(:mod:`heroku_connect.models`, which re-exports every name here), the state transitions
(:mod:`heroku_connect.trigger_log`) and anything else can use it without importing each other,
and before Django's app registry is ready.
"""

from __future__ import annotations

from django.db import models

__all__ = (
    "RECAPTURABLE_ACTIONS",
    "TRIGGER_LOG_ACTION",
    "TRIGGER_LOG_ACTION_CHOICES",
    "TRIGGER_LOG_STATE",
    "TRIGGER_LOG_STATE_CHOICES",
    "TriggerLogAction",
    "TriggerLogState",
)


class TriggerLogAction(models.TextChoices):
    """The write a trigger-log row records."""

    INSERT = "INSERT", "INSERT"
    UPDATE = "UPDATE", "UPDATE"
    DELETE = "DELETE", "DELETE"


class TriggerLogState(models.TextChoices):
    """States of a trigger-log row (docs/heroku-connect/database.md §4)."""

    SUCCESS = "SUCCESS", "SUCCESS"
    MERGED = "MERGED", "MERGED"
    IGNORED = "IGNORED", "IGNORED"
    FAILED = "FAILED", "FAILED"
    READONLY = "READONLY", "READONLY"
    NEW = "NEW", "NEW"
    IGNORE = "IGNORE", "IGNORE"
    PENDING = "PENDING", "PENDING"
    REQUEUE = "REQUEUE", "REQUEUE"
    REQUEUED = "REQUEUED", "REQUEUED"


#: Public-package constants (plain dicts and sorted choice pairs), derived from the enums.
TRIGGER_LOG_ACTION = {action.value: action.value for action in TriggerLogAction}
TRIGGER_LOG_ACTION_CHOICES = sorted((value, value) for value in TRIGGER_LOG_ACTION.values())
TRIGGER_LOG_STATE = {state.value: state.value for state in TriggerLogState}
TRIGGER_LOG_STATE_CHOICES = sorted((value, value) for value in TRIGGER_LOG_STATE.values())

#: Actions Heroku Connect's capture functions can record again from the current row; a DELETE
#: cannot be re-captured (the row is gone), so retrying one always re-queues the old row.
RECAPTURABLE_ACTIONS = (TriggerLogAction.INSERT.value, TriggerLogAction.UPDATE.value)
