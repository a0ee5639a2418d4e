"""Signals of the heroku_connect library.

``trigger_logs_changed`` is sent by the trigger-log admin actions after they retried or ignored
rows (or failed to), so a project can record who did what, e.g. in its own audit trail::

    @receiver(trigger_logs_changed)
    def audit(sender, *, request, action, count, outcome, detail, **kwargs): ...

``sender`` is the model (``TriggerLog`` or ``TriggerLogArchive``); ``action`` is ``"retry"``
or ``"ignore"``; ``count`` the rows changed; ``outcome`` ``"ok"`` or ``"error"`` (then
``detail`` says why and nothing changed).
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ("trigger_logs_changed",)

trigger_logs_changed = Signal()
