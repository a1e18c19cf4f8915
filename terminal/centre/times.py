"""The store keeps times as epoch seconds (one number both databases sort alike); the views hand
out aware datetimes. A local day is the park's calendar day, 23 or 25 hours across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def epoch(moment: datetime) -> float:
    """Seconds since the epoch; a time without its zone is refused (it would be read as local)."""
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment.timestamp()


def moment_or_none(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC)


def moment(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a local calendar day, in epoch seconds (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0, 0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    return start.timestamp(), end.timestamp()
