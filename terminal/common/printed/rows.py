"""The written record as an inspector reads it, in a shape both the gate and the centre fill: the
checks of people, the secondary checks (flags) with their clinical readings, and the vehicles,
grouped into one printed day per gate and local calendar day, with the day's totals.

The gate fills these from its own record, the centre from its store; the CSV, the printable page
and its PDF are made from them alone. Times are epoch seconds; the zone is the park's."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from terminal.common.printed.went import WentTo, went_to
from terminal.common.times import local_day

# the screening's words for a person whose reading was taken, whatever was decided
SCREENED = frozenset({"pass", "rest", "rest_pass", "rest_guard", "guard"})
# a refusal that is not the end of the person's check: sent to the guard, told to rest and scan
# again, told to wait for room in the zone (each counted on its own)
NOT_YET_DECIDED = frozenset({"secondary_check", "rest", "wait"})
# the longest range one export covers: a year of days (a typo of a century would print
# tens of thousands of empty pages)
MAX_DAYS = 366


@dataclass(frozen=True)
class CheckLine:
    """One check of a person at a gate. ``screened_c`` is the forehead as the thermometer read
    it; ``estimated_core_c`` the screening's estimate of the core temperature from it."""

    event_id: str
    gate: str
    at_s: float
    person_id: str | None
    code: str
    screened_c: float | None
    estimated_core_c: float | None
    screening: str | None
    decision: str  # admit or deny
    reason: str
    route: str
    direction: str | None = None  # entry or exit; None where it is not known (the centre)
    passage: str | None = None  # the admission's passage outcome (passages.py); None: not known
    isolation_room: str | None = None  # sent there by the gate: the room and where it is

    def went_to(self) -> WentTo | None:
        return went_to(None, self.route, self.isolation_room, self.passage)


@dataclass(frozen=True)
class FlagLine:
    """A person sent to the secondary check, and how it ended: the guard's clinical reading,
    who took it and when, the outcome, and the isolation room when they were taken there."""

    flag_id: str  # the event id of the check that raised it
    gate: str
    raised_s: float
    person_id: str | None
    screened_c: float | None
    estimated_core_c: float | None
    clinical_c: float | None
    checked_by: str | None
    checked_s: float | None
    outcome: str  # fever_confirmed, admitted, refused, open
    reason: str | None  # the reason of the decision after the check
    isolation_room: str | None  # where they were taken, when they were ("": its name unknown)
    passage: str | None = None  # admitted by staff: their passage's outcome; None: not known

    def went_to(self) -> WentTo | None:
        return went_to(self.outcome, None, self.isolation_room, self.passage)


@dataclass(frozen=True)
class VehicleLine:
    event_id: str
    gate: str
    at_s: float
    plate: str | None
    driver: str | None
    purpose: str | None
    decision: str
    reason: str
    by: str | None


Line = TypeVar("Line", CheckLine, FlagLine, VehicleLine)


def line_of(kind: type[Line], values: Mapping[str, Any], **given: Any) -> Line:
    """A line of ``kind`` from a row read under the line's own names (other names in it are
    passed over); ``given``: what the row does not hold, or holds otherwise."""
    names = {field.name for field in fields(kind)}
    return kind(**{name: value for name, value in {**values, **given}.items() if name in names})


@dataclass(frozen=True)
class DayTotals:
    """What the printed day sums up, every figure counted from its rows."""

    checks: int
    screened: int
    admitted: int
    staff_admitted: int
    refused: dict[str, int]  # reason -> checks refused for it, the most frequent first
    sent_to_guard: int
    told_to_rest: int
    told_to_wait: int
    fevers_confirmed: int
    isolation_from_gate: int
    isolation_after_check: int
    turned_back: int  # admitted, at the gate or by staff, and did not pass within the window
    vehicles: int
    vehicles_admitted: int

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())

    @property
    def isolation(self) -> int:
        return self.isolation_from_gate + self.isolation_after_check


@dataclass(frozen=True)
class PrintedDay:
    """One gate's local calendar day: what one printed page holds."""

    park: str
    gate: str
    day: date
    zone: ZoneInfo
    checks: tuple[CheckLine, ...] = ()
    flags: tuple[FlagLine, ...] = ()
    vehicles: tuple[VehicleLine, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.checks or self.flags or self.vehicles)

    def totals(self) -> DayTotals:
        refused = Counter(
            line.reason
            for line in self.checks
            if line.decision == "deny" and line.route not in NOT_YET_DECIDED
        )
        went = [line.went_to() for line in self.checks] + [f.went_to() for f in self.flags]
        return DayTotals(
            checks=len(self.checks),
            screened=sum(line.screening in SCREENED for line in self.checks),
            admitted=sum(line.decision == "admit" for line in self.checks),
            staff_admitted=sum(flag.outcome == "admitted" for flag in self.flags),
            refused=dict(sorted(refused.items(), key=lambda item: (-item[1], item[0]))),
            sent_to_guard=sum(line.route == "secondary_check" for line in self.checks),
            told_to_rest=sum(line.route == "rest" for line in self.checks),
            told_to_wait=sum(line.route == "wait" for line in self.checks),
            fevers_confirmed=sum(flag.outcome == "fever_confirmed" for flag in self.flags),
            isolation_from_gate=sum(line.route == "isolation_room" for line in self.checks),
            isolation_after_check=sum(flag.isolation_room is not None for flag in self.flags),
            turned_back=sum(where is not None and where.where == "turned_back" for where in went),
            vehicles=len(self.vehicles),
            vehicles_admitted=sum(vehicle.decision == "admit" for vehicle in self.vehicles),
        )


def days_between(first: date, last: date) -> list[date]:
    """Every local day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def printed_days(
    park: str,
    gates: Sequence[str],
    days: Sequence[date],
    zone: ZoneInfo,
    checks: Iterable[CheckLine],
    flags: Iterable[FlagLine],
    vehicles: Iterable[VehicleLine],
) -> list[PrintedDay]:
    """One printed day per gate and day, day by day, each gate in ``gates`` order (a gate
    that recorded nothing on a day still gets its page: an empty day is a fact too). Lines of
    a gate not named in ``gates`` start pages of their own, after the named ones."""
    wanted = set(days)
    by_key: dict[tuple[date, str], dict[str, list]] = {}

    def add(kind: str, gate: str, at_s: float, line: object) -> None:
        day = local_day(at_s, zone)
        if day in wanted:
            by_key.setdefault((day, gate), {"checks": [], "flags": [], "vehicles": []})[
                kind
            ].append(line)

    for check in checks:
        add("checks", check.gate, check.at_s, check)
    for flag in flags:
        add("flags", flag.gate, flag.raised_s, flag)
    for vehicle in vehicles:
        add("vehicles", vehicle.gate, vehicle.at_s, vehicle)
    order = list(gates) + sorted({gate for _, gate in by_key} - set(gates))
    printed = []
    for day in sorted(wanted):
        for gate in order:
            lines = by_key.get((day, gate), {"checks": [], "flags": [], "vehicles": []})
            if gate not in gates and not any(lines.values()):
                continue
            printed.append(
                PrintedDay(
                    park=park,
                    gate=gate,
                    day=day,
                    zone=zone,
                    checks=tuple(sorted(lines["checks"], key=lambda c: (c.at_s, c.event_id))),
                    flags=tuple(sorted(lines["flags"], key=lambda f: (f.raised_s, f.flag_id))),
                    vehicles=tuple(sorted(lines["vehicles"], key=lambda v: (v.at_s, v.event_id))),
                )
            )
    return printed
