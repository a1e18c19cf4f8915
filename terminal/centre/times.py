"""The store keeps times as epoch seconds (one number both databases sort alike); the views hand
out aware datetimes. A local day is the park's calendar day, 23 or 25 hours across DST."""

from __future__ import annotations

from datetime import UTC, datetime

from terminal.common.times import day_bounds

__all__ = ["day_bounds", "epoch", "moment", "moment_or_none", "utcnow"]


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
