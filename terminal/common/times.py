"""Times for people, in one place: what an export writes, what a screen or a printed page shows.

- An export (CSV, JSON, a person's data) writes ISO 8601 with the offset, in the park's zone:
  ``2026-12-06T08:53:37+08:00``. A program reads it back without guessing; a person reads the
  local time they lived.
- A screen or a printed page shows the local time without a date or offset where the page has
  already said which day and which zone (``zone_label``, once per page).

The record and the centre's store keep epoch seconds; nothing here is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local(epoch_s: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(epoch_s, zone)


def iso(epoch_s: float | None, zone: ZoneInfo) -> str:
    """ISO 8601 in the park's zone, with its offset, to the second; empty for no time."""
    if epoch_s is None:
        return ""
    return local(epoch_s, zone).isoformat(timespec="seconds")


def iso_moment(moment: datetime | None, zone: ZoneInfo) -> str:
    """An aware datetime as :func:`iso` writes it; a time without its zone is refused (it
    would be read as the machine's local time, not the park's)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def clock(epoch_s: float | None, zone: ZoneInfo) -> str:
    """``HH:MM:SS`` local, for a page that has named its day and zone."""
    return "" if epoch_s is None else local(epoch_s, zone).strftime("%H:%M:%S")


def offset_text(zone: ZoneInfo, at_s: float) -> str:
    """``UTC+08:00`` (``UTC+05:30``, ``UTC-03:00``): the zone's offset at that moment."""
    offset = local(at_s, zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def zone_label(zone: ZoneInfo, at_s: float | None = None) -> str:
    """What a page says once about its times: ``Asia/Shanghai (UTC+08:00)``. The offset is the
    one at ``at_s`` (now when not given): a zone with summer time has two."""
    moment_s = datetime.now(UTC).timestamp() if at_s is None else at_s
    return f"{zone.key} ({offset_text(zone, moment_s)})"


def day_bounds(day: date, zone: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a local calendar day, in epoch seconds (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0, 0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    return start.timestamp(), end.timestamp()


def local_day(epoch_s: float, zone: ZoneInfo) -> date:
    return local(epoch_s, zone).date()
