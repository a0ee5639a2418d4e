"""The error-rate chart: buckets from our summary table, drawn as server-side SVG geometry."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from app.dashboard.models import FailureRateBucket

#: Range name -> (window, bucket size).
RANGES: dict[str, tuple[datetime.timedelta, datetime.timedelta]] = {
    "24h": (datetime.timedelta(hours=24), datetime.timedelta(hours=1)),
    "7d": (datetime.timedelta(days=7), datetime.timedelta(hours=6)),
    "30d": (datetime.timedelta(days=30), datetime.timedelta(days=1)),
}
DEFAULT_RANGE = "24h"

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 48, 24, 10


@dataclass(frozen=True)
class Bar:
    start: datetime.datetime
    processed: int
    failed: int
    x: float
    width: float
    processed_y: float
    processed_height: float
    failed_y: float
    failed_height: float

    @property
    def rate(self) -> float:
        return self.failed / self.processed if self.processed else 0.0


@dataclass(frozen=True)
class Chart:
    range: str
    bars: list[Bar]
    max_value: int
    total_processed: int
    total_failed: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def rate(self) -> float:
        return self.total_failed / self.total_processed if self.total_processed else 0.0

    @property
    def labels(self) -> list[tuple[float, str]]:
        """A few x-axis labels (first, middle, last bucket)."""
        if not self.bars:
            return []
        fmt = "%d %b" if self.range == "30d" else "%d %b %H:%M"
        picks = {0, len(self.bars) // 2, len(self.bars) - 1}
        return [(self.bars[i].x, f"{self.bars[i].start:{fmt}}") for i in sorted(picks)]


def _floor(moment: datetime.datetime, step: datetime.timedelta) -> datetime.datetime:
    epoch = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    return epoch + ((moment - epoch) // step) * step


def error_rate_chart(
    range_name: str = DEFAULT_RANGE, *, now: datetime.datetime | None = None
) -> Chart:
    """Failures vs processed writes per bucket over ``range_name`` (one query)."""
    window, step = RANGES[range_name]
    now = now or timezone.now()
    end = _floor(now, step) + step
    start = end - (window // step) * step
    counts: dict[datetime.datetime, list[int]] = {}
    rows = FailureRateBucket.objects.filter(hour__gte=start, hour__lt=end).values_list(
        "hour", "processed", "failed"
    )
    for hour, processed, failed in rows:
        bucket = counts.setdefault(_floor(hour, step), [0, 0])
        bucket[0] += processed
        bucket[1] += failed
    n = window // step
    slot = (WIDTH - LEFT) / n
    plot = HEIGHT - BOTTOM - TOP
    top = max([max(c) for c in counts.values()] or [0]) or 1
    bars = []
    for index in range(n):
        bucket_start = start + index * step
        processed, failed = counts.get(bucket_start, (0, 0))
        ph = plot * processed / top
        fh = plot * failed / top
        bars.append(
            Bar(
                start=bucket_start,
                processed=processed,
                failed=failed,
                x=round(LEFT + index * slot + slot * 0.1, 2),
                width=round(slot * 0.8, 2),
                processed_y=round(HEIGHT - BOTTOM - ph, 2),
                processed_height=round(ph, 2),
                failed_y=round(HEIGHT - BOTTOM - fh, 2),
                failed_height=round(fh, 2),
            )
        )
    return Chart(
        range=range_name,
        bars=bars,
        max_value=top if counts else 0,
        total_processed=sum(b.processed for b in bars),
        total_failed=sum(b.failed for b in bars),
    )
