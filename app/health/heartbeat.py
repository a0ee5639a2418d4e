"""Celery worker heartbeat: tells a busy worker from a dead one.

A broadcast ping is answered by the worker's main loop, which is blocked while a task runs in
the solo pool (``make demo``) and can be slow to answer under load, so "no pong" does not mean
"no worker". Instead every worker runs :class:`WorkerHeartbeat`, a consumer bootstep whose own
thread writes the time into the cache every ``HEALTH_WORKER_HEARTBEAT_SECONDS`` while the worker
is connected to its broker, whatever its tasks are doing. ``/health/`` reports the workers
unavailable only when no heartbeat is younger than ``HEALTH_WORKER_STALE_SECONDS``: the worker
process died, hangs as a whole, or lost its broker.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import bootsteps
from django.conf import settings

__all__ = ("HEARTBEAT_KEY", "WorkerHeartbeat", "aheartbeat_age", "heartbeat_age", "stale_after")

logger = logging.getLogger(__name__)

#: One key for every worker: the newest heartbeat of any of them.
HEARTBEAT_KEY = "health:celery-worker-heartbeat"


def _interval() -> float:
    return float(getattr(settings, "HEALTH_WORKER_HEARTBEAT_SECONDS", 5))


def stale_after() -> float:
    """Seconds without a heartbeat after which the workers count as gone."""
    return float(getattr(settings, "HEALTH_WORKER_STALE_SECONDS", 30))


#: How long the last heartbeat is kept, so that /health/ can say when a dead worker last beat.
KEEP_SECONDS = 24 * 60 * 60


def beat() -> None:
    """Record that a worker is alive now."""
    from django.core.cache import cache

    cache.set(HEARTBEAT_KEY, time.time(), timeout=KEEP_SECONDS)


def _age(value: Any) -> float | None:
    if not isinstance(value, float | int):
        return None
    return max(0.0, time.time() - value)


def heartbeat_age() -> float | None:
    """Seconds since the newest worker heartbeat, None if there is none. Cache errors raise."""
    from django.core.cache import cache

    return _age(cache.get(HEARTBEAT_KEY))


async def aheartbeat_age() -> float | None:
    """:func:`heartbeat_age` for async code (Django runs it in the request's own thread, whose
    cache connection is reused, instead of opening one per health request)."""
    from django.core.cache import cache

    return _age(await cache.aget(HEARTBEAT_KEY))


def _try_beat() -> None:
    try:
        beat()
    except Exception:  # the cache is down: try again at the next beat
        logger.warning("worker heartbeat: the cache is unavailable", exc_info=True)


def _beat_until(stop: threading.Event) -> None:
    while not stop.wait(_interval()):
        _try_beat()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Consumer bootstep: a heartbeat thread from connection to disconnection or shutdown."""

    requires = ("celery.worker.consumer.connection:Connection",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._stop: threading.Event | None = None

    def start(self, parent: Any) -> None:
        self.stop(parent)
        _try_beat()  # a worker that is ready has beaten at least once
        self._stop = threading.Event()
        threading.Thread(
            target=_beat_until, args=(self._stop,), name="worker-heartbeat", daemon=True
        ).start()

    def stop(self, parent: Any) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)
