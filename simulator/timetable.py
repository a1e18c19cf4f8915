"""The simulator's own reading of the shift timetable, to know what the gate must answer a worker
of a group arriving at a given moment.

Deliberately not the gate's code (terminal/rules/shifts.py): a second, plainer reading of the same
configuration, so that a mistake in the gate's is caught by the simulated day instead of being
copied into its expectations. It reckons in wall-clock minutes, which is right wherever the clocks
do not change around the arrival; near a change it says it cannot tell (None), and the gate's own
tests cover those days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from terminal.config import Config

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_COME_IN = ("arrival", "meal", "rest")  # the kinds of window that let a worker in
_AHEAD_DAYS = 35


@dataclass(frozen=True)
class Expected:
    reason: str | None  # None: in time; else the refusal's reason
    window: tuple[datetime, datetime] | None = None  # refused: the next window, wall clock


def expected_shift(config: Config, group_name: str, arrival: datetime) -> Expected | None:
    """What the gate must say of a worker of ``group_name`` arriving at ``arrival`` (aware);
    None when this reading cannot tell (the clocks change within two days)."""
    group = config.shifts.groups.get(group_name)
    if group is None:
        return Expected("shift_not_today")
    if group.gates is not None and config.gate.id not in group.gates:
        return Expected("gate_not_serving_group")
    if "*" in group.windows:
        return Expected(None)
    if _clocks_change_near(arrival):
        return None
    now = arrival.replace(tzinfo=None)
    early, late = _graces(config, group_name)
    spans = _spans_around(config, group_name, now.date(), _AHEAD_DAYS)
    if any(start - early <= now <= end + late for start, end in spans):
        return Expected(None)
    coming = [(s, e) for s, e in spans if s - early > now]
    window = coming[0] if coming else None
    if not _spans(config, group_name, now.date()):
        return Expected("shift_not_today", window)  # none opens today
    today = [(s, e) for s, e in spans if now.date() in (s.date(), e.date())]
    gone_by = [now - (e + late) for s, e in today if e + late < now]
    opens_in = [(s - early) - now for s, e in today if s - early > now]
    if not gone_by:
        return Expected("shift_early", window)
    if not opens_in:
        return Expected("shift_late", window)
    return Expected("shift_early" if min(opens_in) <= min(gone_by) else "shift_late", window)


def open_until(config: Config, group_name: str, moment: datetime) -> datetime | None:
    """When the come-in window that lets a worker of ``group_name`` in at ``moment`` (aware)
    closes, its late grace in; None when none does, when the group may come at any time, or
    when this reading cannot tell (the clocks change within two days)."""
    group = config.shifts.groups.get(group_name)
    if group is None or "*" in group.windows or _clocks_change_near(moment):
        return None
    now = moment.replace(tzinfo=None)
    early, late = _graces(config, group_name)
    closes = [
        end + late
        for start, end in _spans_around(config, group_name, now.date(), 1)
        if start - early <= now <= end + late
    ]
    return max(closes).replace(tzinfo=moment.tzinfo) if closes else None


def _clocks_change_near(moment: datetime) -> bool:
    zone = moment.tzinfo
    offsets = {(moment + timedelta(days=d)).astimezone(zone).utcoffset() for d in (-2, 0, 2)}
    return len(offsets) > 1


def _graces(config: Config, group_name: str) -> tuple[timedelta, timedelta]:
    """The group's early and late grace: its own, else the shifts'."""
    group = config.shifts.groups[group_name]
    early, late = group.early_grace_min, group.late_grace_min
    return (
        timedelta(minutes=config.shifts.early_grace_min if early is None else early),
        timedelta(minutes=config.shifts.late_grace_min if late is None else late),
    )


def _spans_around(
    config: Config, group_name: str, day: date, ahead_days: int
) -> list[tuple[datetime, datetime]]:
    """The group's come-in windows that start from two days before ``day`` (a night's window
    with its grace may still hold) to ``ahead_days`` after it, in order."""
    spans = []
    for offset in range(-2, ahead_days + 1):
        spans += _spans(config, group_name, day + timedelta(days=offset))
    return sorted(spans)


def _spans(config: Config, group_name: str, day: date) -> list[tuple[datetime, datetime]]:
    """The group's come-in windows that start on ``day``, as wall-clock start and end."""
    return [
        (opens, closes)
        for opens, closes, kind in windows_on(config, group_name, day)
        if kind in _COME_IN
    ]


def windows_on(config: Config, group_name: str, day: date) -> list[tuple[datetime, datetime, str]]:
    """Every window of the group that starts on ``day`` (of any kind, leaving too), as wall-clock
    start, end and kind; a group open at any time has none."""
    group = config.shifts.groups[group_name]
    changed = [c for c in group.changes if c.date == day]
    if changed:
        chosen = [(w.at.start, w.at.end, w.kind) for w in changed[0].windows]
    elif day in config.shifts.holidays:
        chosen = []
    else:
        name = _DAY_NAMES[day.weekday()]
        chosen = [
            (w.at.start, w.at.end, w.kind)
            for w in group.windows
            if not isinstance(w, str) and name in w.days
        ]
    windows: list[tuple[datetime, datetime, str]] = []
    for start, end, kind in chosen:
        opens = datetime.combine(day, start)
        closes = datetime.combine(day, end)
        if closes <= opens:
            closes += timedelta(days=1)  # a night's window ends the next morning
        windows.append((opens, closes, kind))
    return windows


def window_of_record(text: str | None) -> tuple[datetime, datetime] | None:
    """The record's ``next_window`` (ISO 8601 start/end) as wall-clock start and end."""
    if not text:
        return None
    start, _, end = text.partition("/")
    return (
        datetime.fromisoformat(start).replace(tzinfo=None),
        datetime.fromisoformat(end).replace(tzinfo=None),
    )
