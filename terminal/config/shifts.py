"""The roster file and the shifts: groups, their weekly and dated windows, holidays."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    Field,
    PlainValidator,
    field_validator,
)

from terminal.config.base import (
    NAME_PATTERN,
    PlainPath,
    Section,
)
from terminal.rules.windows import ANY_TIME, Window, parse_window


class RosterConfig(Section):
    workers: PlainPath
    visitors: PlainPath | None = None  # no file, no visitors
    nat_valid_h: float = Field(default=72.0, ge=1, le=336)  # a negative nucleic-acid test
    reload_s: float = Field(default=2.0, ge=0.1, le=3600)  # how often the gate looks for a new one
    max_visit_h: float = Field(default=24.0 * 14, ge=1, le=24 * 366)  # a longer visit is a typo
    # the files' encoding: one that is not UTF-8 cannot be recognised from its bytes, so it is named
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        from terminal.common.csvfile import known_encoding

        return known_encoding(name)


GROUP_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
GroupName = Annotated[str, Field(pattern=GROUP_PATTERN)]
GateName = Annotated[str, Field(pattern=NAME_PATTERN)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
# what a window lets a worker do at an entrance: come in for the shift, go out and come back
# from a meal or a rest, or go home (a leaving window admits nobody in)
WindowKind = Literal["arrival", "meal", "rest", "leaving"]
ENTRY_KINDS = frozenset({"arrival", "meal", "rest"})
MAX_GRACE_MIN = 120.0  # more is no window at all
MAX_DATED_DAYS = 366  # holidays, or dated changes of one group: a year's worth


def _a_window(value: object) -> Window:
    if isinstance(value, Window):
        return value
    if not isinstance(value, str):
        raise ValueError("a window is a string HH:MM-HH:MM")
    return parse_window(value)


def _days(value: object) -> tuple[str, ...]:
    """``["mon-fri", "sun"]``: day names of the week, or ranges of them (``sun-thu`` runs over
    the weekend)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"days is a list of {', '.join(WEEKDAYS)} or ranges like 'mon-fri'")
    days: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"days: {item!r} is not a day name ({', '.join(WEEKDAYS)})")
        first, _, last = item.strip().lower().partition("-")
        last = last or first
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise ValueError(f"days: {item!r} is not a day ({', '.join(WEEKDAYS)}) or a range")
        low, high = WEEKDAYS.index(first), WEEKDAYS.index(last)
        # a range may run over the weekend: "sun-thu" is Sunday to Thursday
        span = high - low if low <= high else high + len(WEEKDAYS) - low
        days.update(WEEKDAYS[(low + step) % len(WEEKDAYS)] for step in range(span + 1))
    return tuple(day for day in WEEKDAYS if day in days)


def _a_date(value: object) -> dt.date:
    """A calendar day: a TOML date (``2027-02-08``) or the string ``"2027-02-08"``; a number or
    a date with a time is refused, not read as something else."""
    if isinstance(value, dt.datetime):
        raise ValueError("a day is a date, YYYY-MM-DD, without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")


ShiftTime = Annotated[Window, PlainValidator(_a_window)]
Day = Annotated[dt.date, PlainValidator(_a_date)]


class DatedWindow(Section):
    """A window of a dated change: local times of gate.timezone and what it is for."""

    at: ShiftTime
    kind: WindowKind = "arrival"


class WeeklyWindow(DatedWindow):
    """A window that comes back every week on ``days`` (every day unless said)."""

    days: Annotated[tuple[str, ...], PlainValidator(_days)] = WEEKDAYS


def _weekly_or_any(value: object) -> WeeklyWindow | str:
    """A window as a table ``{at, kind, days}``, ``*`` for any time, or a bare ``HH:MM-HH:MM``:
    the form of configurations written before windows had kinds, an arrival window every day."""
    if isinstance(value, WeeklyWindow):
        return value
    if isinstance(value, str):
        return ANY_TIME if value.strip() == ANY_TIME else WeeklyWindow(at=_a_window(value))
    if isinstance(value, dict):
        return WeeklyWindow.model_validate(value)
    raise ValueError(f'a window is {{at = "HH:MM-HH:MM", kind = ...}}, a string, or {ANY_TIME!r}')


class DatedChange(Section):
    """One day that is not like the others for a group: these windows instead (none: a day off)."""

    date: Day
    windows: tuple[DatedWindow, ...] = Field(default=(), max_length=24)


class ShiftGroup(Section):
    # local times of gate.timezone, parsed here so that no window can fail at the gate
    # (at least one: checked after the windows, so that a bad window is the only error said)
    windows: tuple[Annotated[WeeklyWindow | str, PlainValidator(_weekly_or_any)], ...] = Field(
        max_length=48
    )
    # the gates that serve this group (zoning); none said: every gate
    gates: tuple[GateName, ...] | None = Field(default=None, min_length=1, max_length=64)
    changes: tuple[DatedChange, ...] = Field(default=(), max_length=MAX_DATED_DAYS)
    # this group's own graces, where they differ from [shifts]
    early_grace_min: float | None = Field(default=None, ge=0.0, le=MAX_GRACE_MIN)
    late_grace_min: float | None = Field(default=None, ge=0.0, le=MAX_GRACE_MIN)

    @field_validator("windows")
    @classmethod
    def _any_time_alone(
        cls, value: tuple[WeeklyWindow | str, ...]
    ) -> tuple[WeeklyWindow | str, ...]:
        if not value:
            raise ValueError("needs at least 1 window (or '*' for any time)")
        if ANY_TIME in value and len(value) > 1:
            raise ValueError(f"{ANY_TIME!r} (any time) stands alone, without other windows")
        return value

    @field_validator("changes")
    @classmethod
    def _one_change_a_day(cls, value: tuple[DatedChange, ...]) -> tuple[DatedChange, ...]:
        seen: set[dt.date] = set()
        for change in value:
            if change.date in seen:
                raise ValueError(f"{change.date} is changed twice; give it one list of windows")
            seen.add(change.date)
        return value

    @property
    def any_time(self) -> bool:
        return ANY_TIME in self.windows

    @property
    def weekly(self) -> tuple[WeeklyWindow, ...]:
        """The weekly windows; empty for any time."""
        return tuple(w for w in self.windows if isinstance(w, WeeklyWindow))

    @property
    def time_windows(self) -> tuple[Window, ...]:
        """The windows' times, whatever their kind and days; empty for any time."""
        return tuple(w.at for w in self.weekly)

    def serves(self, gate_id: str) -> bool:
        return self.gates is None or gate_id in self.gates

    def graces_min(self, shifts: ShiftsConfig) -> tuple[float, float]:
        """(early, late) grace in minutes: the group's own, else the [shifts] ones."""
        early = shifts.early_grace_min if self.early_grace_min is None else self.early_grace_min
        late = shifts.late_grace_min if self.late_grace_min is None else self.late_grace_min
        return early, late


class ShiftsConfig(Section):
    groups: dict[GroupName, ShiftGroup] = Field(default_factory=dict)
    # a worker this much before a window opens, or after it closes, is still in time
    early_grace_min: float = Field(default=0.0, ge=0.0, le=MAX_GRACE_MIN)
    late_grace_min: float = Field(default=0.0, ge=0.0, le=MAX_GRACE_MIN)
    # days without windows for every group (a group's dated change for the day still holds)
    holidays: tuple[Day, ...] = Field(default=(), max_length=MAX_DATED_DAYS)
