"""The shift schedule: when a group's windows fall on the gate's calendar, and whether a worker of
the group is in time. Pure: the caller gives the moment.

A window belongs to the day it starts on (``22:00-06:00`` on Monday ends on Tuesday morning). On
a day in ``shifts.holidays`` a group has no windows, unless the group has a dated change for that
day, which replaces its weekly windows (an empty change is a day off for that group alone).

Windows are wall-clock times of ``gate.timezone``. On a day the clocks change, a window covers
exactly the real moments whose wall-clock time lies inside it:

- a time the clocks skip (02:30 when Berlin springs from 02:00 to 03:00) is taken as the moment
  of the jump (03:00 summer time), whether it opens or closes the window: ``02:00-04:00`` opens at
  03:00 that day, ``01:30-02:30`` closes at 03:00 (half an hour of real time);
- a time the clocks repeat (02:30 when Berlin falls back from 03:00 to 02:00) opens a window at
  its first pass and closes one at its second: ``02:15-02:45`` holds both passes of the hour;
- a window wholly inside a skipped hour does not happen that day.

Grace is real time (minutes of the clock that do pass) before the opening and after the closing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from terminal.config import ENTRY_KINDS, WEEKDAYS, ShiftGroup, ShiftsConfig
from terminal.rules.windows import Window

# how far ahead the next window is looked for (a long holiday, a group that works monthly)
LOOK_AHEAD_DAYS = 35
# a window lasts less than a day, but one that starts late two days ago may still hold now with
# its late grace (23:59-23:58 closes the next day, plus up to two hours)
_LOOK_BACK_DAYS = 2


class ShiftProblem(StrEnum):
    EARLY = "shift_early"  # before the window (and its early grace) opens
    LATE = "shift_late"  # after the window (and its late grace) has closed
    NOT_TODAY = "shift_not_today"  # no window for the group today: a holiday, a day off
    WRONG_GATE = "gate_not_serving_group"  # the group's zone is served by other gates


@dataclass(frozen=True)
class Opening:
    """One window on one day: real moments, in the gate's zone."""

    day: date  # the day it belongs to: the one it starts on
    window: Window
    kind: str
    start: datetime
    end: datetime

    def interval(self) -> str:
        """ISO 8601 ``start/end`` with the gate's offset: how the record and the event say it."""
        return (
            f"{self.start.isoformat(timespec='minutes')}/{self.end.isoformat(timespec='minutes')}"
        )


@dataclass(frozen=True)
class Verdict:
    """Whether a worker of a group may come in now, and the window that says so."""

    problem: ShiftProblem | None
    until: datetime | None = None  # admitted: when the window that admits them closes (grace in)
    next: Opening | None = None  # refused: the next window they may come in


def day_windows(
    group: ShiftGroup, shifts: ShiftsConfig, day: date
) -> tuple[tuple[str, Window], ...]:
    """``(kind, window)`` of the group on ``day``: a dated change, else nothing on a holiday,
    else the weekly windows of that day of the week."""
    for change in group.changes:
        if change.date == day:
            return tuple((w.kind, w.at) for w in change.windows)
    if day in shifts.holidays:
        return ()
    weekday = WEEKDAYS[day.weekday()]
    return tuple((w.kind, w.at) for w in group.weekly if weekday in w.days)


def openings(
    group: ShiftGroup,
    shifts: ShiftsConfig,
    day: date,
    zone: tzinfo,
    kinds: frozenset[str] | None = ENTRY_KINDS,
) -> list[Opening]:
    """The group's windows on ``day`` (of ``kinds``; None: all), as real moments, by opening."""
    found = []
    for kind, window in day_windows(group, shifts, day):
        if kinds is not None and kind not in kinds:
            continue
        end_day = day + timedelta(days=1) if window.crosses_midnight else day
        start = first_moment(day, window.start, zone)
        end = last_moment(end_day, window.end, zone)
        if _utc(start) < _utc(end):  # a window wholly inside a skipped hour does not happen
            found.append(Opening(day, window, kind, start, end))
    return sorted(found, key=lambda o: (_utc(o.start), _utc(o.end)))


def judge(group: ShiftGroup | None, shifts: ShiftsConfig, gate_id: str, at: datetime) -> Verdict:
    """May a worker of ``group`` come in at ``at`` (aware) through gate ``gate_id``?"""
    if group is None:
        return Verdict(ShiftProblem.NOT_TODAY)  # a group the rules do not know opens nothing
    if not group.serves(gate_id):
        return Verdict(ShiftProblem.WRONG_GATE)
    if group.any_time:
        return Verdict(None)
    zone = at.tzinfo
    assert zone is not None, "judge needs an aware moment"
    now = _utc(at)
    early_min, late_min = group.graces_min(shifts)
    early, late = timedelta(minutes=early_min), timedelta(minutes=late_min)
    today = at.date()
    near: list[Opening] = []
    for offset in range(-_LOOK_BACK_DAYS, 2):
        near += openings(group, shifts, today + timedelta(days=offset), zone)
    inside = [o for o in near if _utc(o.start) - early <= now <= _utc(o.end) + late]
    if inside:
        # grace is real time: added in UTC (aware arithmetic in one zone is wall-clock arithmetic)
        closes = max(_utc(o.end) + late for o in inside)
        return Verdict(None, until=closes.astimezone(zone))
    upcoming = _next_opening(group, shifts, at, early)
    # no window opens today: not today (a night's window from yesterday still admitted above);
    # otherwise, of the windows that touch today's date, the nearer of the last one closed and
    # the next one to open says whether the worker is late or early
    if not any(o.day == today for o in near):
        return Verdict(ShiftProblem.NOT_TODAY, next=upcoming)
    touching = [o for o in near if today in (o.start.date(), o.end.date())]
    closed = [o for o in touching if _utc(o.end) + late < now]
    opening = [o for o in touching if _utc(o.start) - early > now]
    if not closed:
        return Verdict(ShiftProblem.EARLY, next=upcoming)
    if not opening:
        return Verdict(ShiftProblem.LATE, next=upcoming)
    since_closed = now - max(_utc(o.end) + late for o in closed)
    until_open = min(_utc(o.start) - early for o in opening) - now
    problem = ShiftProblem.EARLY if until_open <= since_closed else ShiftProblem.LATE
    return Verdict(problem, next=upcoming)


def _next_opening(
    group: ShiftGroup, shifts: ShiftsConfig, at: datetime, early: timedelta
) -> Opening | None:
    zone = at.tzinfo
    assert zone is not None
    now = _utc(at)
    for offset in range(-_LOOK_BACK_DAYS, LOOK_AHEAD_DAYS + 1):
        day = at.date() + timedelta(days=offset)
        for opening in openings(group, shifts, day, zone):
            if _utc(opening.start) - early > now:
                return opening
    return None


# --- wall-clock times on days the clocks change --------------------------------------------------
def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _real_moments(day: date, clock: time, zone: tzinfo) -> list[datetime]:
    """The real moments (UTC) whose wall-clock time in ``zone`` is ``day`` ``clock``: one, two
    (a repeated hour) or none (a skipped hour)."""
    wall = datetime.combine(day, clock)
    found = []
    for fold in (0, 1):
        moment = _utc(wall.replace(tzinfo=zone, fold=fold))
        if moment.astimezone(zone).replace(tzinfo=None) == wall and moment not in found:
            found.append(moment)
    return sorted(found)


def _jump(day: date, clock: time, zone: tzinfo) -> datetime:
    """For a wall-clock time the clocks skip: the moment they skip it (UTC). Between reading the
    time with the offset after the change and with the offset before it, the offset changes
    once; bisected to the second (zones change their offset on whole minutes)."""
    wall = datetime.combine(day, clock)
    low, high = sorted(int(_utc(wall.replace(tzinfo=zone, fold=f)).timestamp()) for f in (0, 1))
    offset_before = _at_second(low, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if _at_second(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return _at_second(high, UTC)


def _at_second(epoch_s: int, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(epoch_s, zone)


def first_moment(day: date, clock: time, zone: tzinfo) -> datetime:
    """The first real moment the wall clock shows ``clock`` on ``day`` (or the jump over it)."""
    moments = _real_moments(day, clock, zone)
    return (moments[0] if moments else _jump(day, clock, zone)).astimezone(zone)


def last_moment(day: date, clock: time, zone: tzinfo) -> datetime:
    """The last real moment the wall clock shows ``clock`` on ``day`` (or the jump over it)."""
    moments = _real_moments(day, clock, zone)
    return (moments[-1] if moments else _jump(day, clock, zone)).astimezone(zone)
