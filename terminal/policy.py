"""Who may enter: a pure function from what the gate observed to a decision with its reason.

No I/O, no clock: the gate passes the local time in. Everything that cannot be checked denies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Literal

from terminal.healthcode import Colour, HealthCode
from terminal.roster import RosterEntry


class Reason(StrEnum):
    ADMITTED = "admitted"
    FEVER = "fever"
    SENSOR_FAULT = "sensor_fault"
    CAMERA_FAULT = "camera_fault"
    CLOCK_UNSYNCED = "clock_unsynced"  # code age and shift windows cannot be checked
    NO_CODE = "no_code"
    UNREADABLE_CODE = "unreadable_code"
    INVALID_CODE = "invalid_code"  # forged, expired, or not a health code
    MULTIPLE_CODES = "multiple_codes"  # more than one code in view: whose is it?
    CODE_RED = "code_red"
    CODE_YELLOW = "code_yellow"
    UNREGISTERED = "unregistered"
    OUTSIDE_SHIFT = "outside_shift"
    SECONDARY_CHECK = "secondary_check"  # flagged by the screening: a guard measures again
    NOT_MEASURED = "not_measured"  # never came close enough to the thermometer


class Alert(StrEnum):
    FEVER = "fever"  # confirmed: the person is on the way to the isolation room
    SUSPECTED_FEVER = "suspected_fever"  # sent by earlier versions; the screening now flags
    SECONDARY_CHECK = "secondary_check"  # flagged: a guard must measure with a clinical thermometer


class Route(StrEnum):
    THROUGH = "through"  # the turnstile
    ASIDE = "aside"  # step back from the gate
    ISOLATION_ROOM = "isolation_room"  # confirmed fever: escorted to the temporary isolation room
    SECONDARY_CHECK = "secondary_check"  # flagged: to the secondary check point beside the gate


@dataclass(frozen=True)
class Temperature:
    """What the screening found. ``first_c`` is the estimated core temperature; ``flagged`` sends
    the person to the secondary check. A fault, or no estimate at all, never admits."""

    first_c: float | None
    fault: str | None = None  # what went wrong reading the sensor, when it did
    flagged: bool = False
    mode: str | None = None  # the estimator that decided: "absolute" or "relative"
    reference_c: float | None = None  # the running forehead reference in use (relative mode)
    object_c: float | None = None  # raw forehead reading (calibration applied)
    ambient_c: float | None = None  # the thermometer's own temperature
    distance_cm: float | None = None
    state: str = "done"  # where the measurement ended: done, come_closer, sensor_fault

    @property
    def final_c(self) -> float | None:
        return self.first_c


@dataclass(frozen=True)
class CodeSeen:
    status: Literal["valid", "none", "unreadable", "invalid", "multiple", "camera_fault"]
    code: HealthCode | None = None


@dataclass(frozen=True)
class Decision:
    admit: bool
    reason: Reason
    route: Route
    alert: Alert | None = None  # what security staff must be told at once

    @property
    def decision(self) -> str:
        return "admit" if self.admit else "deny"


def _deny(reason: Reason, route: Route = Route.ASIDE, alert: Alert | None = None) -> Decision:
    return Decision(admit=False, reason=reason, route=route, alert=alert)


_CODE_PROBLEMS = {
    "none": Reason.NO_CODE,
    "unreadable": Reason.UNREADABLE_CODE,
    "invalid": Reason.INVALID_CODE,
    "multiple": Reason.MULTIPLE_CODES,
    "camera_fault": Reason.CAMERA_FAULT,
}


def decide(
    temperature: Temperature,
    code: CodeSeen,
    entry: RosterEntry | None,
    local_time: time,
    fever_threshold_c: float = 37.3,
    clock_trusted: bool = True,
) -> Decision:
    # the screening flags and the policy follows: a flag goes to the secondary check, where a
    # guard measures with a clinical thermometer; a fault or no reading never admits.
    # ``fever_threshold_c`` is the screening's (its absolute estimator flags at it)
    if temperature.fault is not None:
        return _deny(Reason.SENSOR_FAULT)
    if temperature.flagged:
        return _deny(Reason.SECONDARY_CHECK, Route.SECONDARY_CHECK, Alert.SECONDARY_CHECK)
    if temperature.final_c is None:
        return _deny(Reason.NOT_MEASURED)
    if not clock_trusted:
        return _deny(Reason.CLOCK_UNSYNCED)
    if code.status != "valid" or code.code is None:
        return _deny(_CODE_PROBLEMS.get(code.status, Reason.INVALID_CODE))
    if code.code.colour is Colour.RED:
        return _deny(Reason.CODE_RED)
    if code.code.colour is Colour.YELLOW:
        return _deny(Reason.CODE_YELLOW)
    if entry is None:
        return _deny(Reason.UNREGISTERED)
    if not entry.allowed_at(local_time):
        return _deny(Reason.OUTSIDE_SHIFT)
    return Decision(admit=True, reason=Reason.ADMITTED, route=Route.THROUGH)


def resolve_secondary(
    clinical_c: float,
    clinical_fever_c: float,
    code: CodeSeen,
    entry: RosterEntry | None,
    local_time: time,
    clock_trusted: bool = True,
) -> Decision:
    """The guard's clinical reading of a flagged person: a fever goes to the isolation room;
    otherwise the person is decided again as if the reading had been normal at the gate, so a
    red code or a missing roster entry still refuses."""
    if clinical_c >= clinical_fever_c:
        return _deny(Reason.FEVER, Route.ISOLATION_ROOM, Alert.FEVER)
    return decide(
        Temperature(first_c=clinical_c, mode="clinical"),
        code,
        entry,
        local_time,
        clock_trusted=clock_trusted,
    )
