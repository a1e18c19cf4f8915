"""Who may enter, as a table of cases."""

from __future__ import annotations

from datetime import time

import pytest

from terminal.healthcode import Colour, HealthCode
from terminal.policy import CodeSeen, Reason, Route, Temperature, decide
from terminal.roster import RosterEntry, Window

MORNING = (Window(time(7, 30), time(8, 30)),)
STAFF = RosterEntry("W1", "staff", MORNING)
AT_8 = time(8, 0)


def code(colour: str = "green", person: str = "W1") -> CodeSeen:
    return CodeSeen("valid", HealthCode(person, Colour(colour), 0.0))


NORMAL = Temperature(first_c=36.6)
FEVER = Temperature(first_c=38.1, remeasure_c=38.0)

CASES = [
    # (temperature, code, roster entry, time) -> (admit, reason, route)
    ("all well", NORMAL, code(), STAFF, AT_8, True, Reason.ADMITTED, Route.THROUGH),
    ("threshold is a fever", Temperature(37.3, 37.3), code(), STAFF, AT_8, False, Reason.FEVER, Route.ISOLATION_ROOM),
    ("just under threshold", Temperature(37.29), code(), STAFF, AT_8, True, Reason.ADMITTED, Route.THROUGH),
    ("fever outranks a red code", FEVER, code("red"), None, AT_8, False, Reason.FEVER, Route.ISOLATION_ROOM),
    ("fever not confirmed", Temperature(37.6, 36.9), code(), STAFF, AT_8, True, Reason.ADMITTED, Route.THROUGH),
    ("fever, re-measure failed", Temperature(37.6, None, "OSError"), code(), STAFF, AT_8, False, Reason.SENSOR_FAULT, Route.ASIDE),
    ("high first, no re-measure", Temperature(37.6), code(), STAFF, AT_8, False, Reason.SENSOR_FAULT, Route.ASIDE),
    ("sensor fault never admits", Temperature(None, fault="PECMismatchError"), code(), STAFF, AT_8, False, Reason.SENSOR_FAULT, Route.ASIDE),
    ("red", NORMAL, code("red"), STAFF, AT_8, False, Reason.CODE_RED, Route.ASIDE),
    ("yellow", NORMAL, code("yellow"), STAFF, AT_8, False, Reason.CODE_YELLOW, Route.ASIDE),
    ("no code", NORMAL, CodeSeen("none"), STAFF, AT_8, False, Reason.NO_CODE, Route.ASIDE),
    ("unreadable", NORMAL, CodeSeen("unreadable"), STAFF, AT_8, False, Reason.UNREADABLE_CODE, Route.ASIDE),
    ("forged or expired", NORMAL, CodeSeen("invalid"), STAFF, AT_8, False, Reason.INVALID_CODE, Route.ASIDE),
    ("not on the roster", NORMAL, code(), None, AT_8, False, Reason.UNREGISTERED, Route.ASIDE),
    ("before the window", NORMAL, code(), STAFF, time(7, 0), False, Reason.OUTSIDE_SHIFT, Route.ASIDE),
    ("window edge", NORMAL, code(), STAFF, time(8, 30), True, Reason.ADMITTED, Route.THROUGH),
    ("any time", NORMAL, code(), RosterEntry("W1", "staff"), time(3, 0), True, Reason.ADMITTED, Route.THROUGH),
    ("night window", NORMAL, code(), RosterEntry("W1", "staff", (Window(time(22), time(6)),)), time(1, 0), True, Reason.ADMITTED, Route.THROUGH),
]


@pytest.mark.parametrize(
    ("temperature", "seen", "entry", "at", "admit", "reason", "route"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision(temperature, seen, entry, at, admit, reason, route) -> None:  # type: ignore[no-untyped-def]
    decision = decide(temperature, seen, entry, at, fever_threshold_c=37.3)
    assert (decision.admit, decision.reason, decision.route) == (admit, reason, route)


def test_threshold_is_configurable() -> None:
    assert decide(Temperature(37.4), code(), STAFF, AT_8, fever_threshold_c=37.5).admit
    assert not decide(Temperature(37.4, 37.4), code(), STAFF, AT_8, fever_threshold_c=37.3).admit
