"""Who may enter, as a table of cases."""

from __future__ import annotations

from datetime import time

import pytest

from terminal.healthcode import Colour, HealthCode
from terminal.policy import (
    Alert,
    CodeSeen,
    Reason,
    Route,
    Temperature,
    decide,
    resolve_secondary,
)
from terminal.roster import RosterEntry, Window

MORNING = (Window(time(7, 30), time(8, 30)),)
STAFF = RosterEntry("W1", "staff", MORNING)
AT_8 = time(8, 0)


def code(colour: str = "green", person: str = "W1") -> CodeSeen:
    return CodeSeen("valid", HealthCode(person, Colour(colour), 0.0))


NORMAL = Temperature(first_c=36.6)
FLAGGED = Temperature(first_c=38.1, flagged=True, mode="relative", reference_c=34.0)

ADMIT = (True, Reason.ADMITTED, Route.THROUGH)
SECONDARY = (False, Reason.SECONDARY_CHECK, Route.SECONDARY_CHECK)
ISOLATE = (False, Reason.FEVER, Route.ISOLATION_ROOM)


def deny(reason: Reason) -> tuple[bool, Reason, Route]:
    return (False, reason, Route.ASIDE)


NIGHT = RosterEntry("W1", "staff", (Window(time(22), time(6)),))
FAULT = Temperature(None, fault="PECMismatchError")

# fmt: off
CASES = [
    # name, temperature, code, roster entry, local time -> (admit, reason, route)
    ("all well", NORMAL, code(), STAFF, AT_8, ADMIT),
    ("flagged: secondary check", FLAGGED, code(), STAFF, AT_8, SECONDARY),
    ("a flag outranks a red code", FLAGGED, code("red"), None, AT_8, SECONDARY),
    ("a high estimate the screening did not flag", Temperature(37.6), code(), STAFF, AT_8, ADMIT),
    ("sensor fault never admits", FAULT, code(), STAFF, AT_8, deny(Reason.SENSOR_FAULT)),
    ("a fault with a number still never admits", Temperature(36.6, fault="stuck"), code(),
     STAFF, AT_8, deny(Reason.SENSOR_FAULT)),
    ("never came close enough", Temperature(None, state="come_closer"), code(), STAFF, AT_8,
     deny(Reason.NOT_MEASURED)),
    ("red", NORMAL, code("red"), STAFF, AT_8, deny(Reason.CODE_RED)),
    ("yellow", NORMAL, code("yellow"), STAFF, AT_8, deny(Reason.CODE_YELLOW)),
    ("no code", NORMAL, CodeSeen("none"), STAFF, AT_8, deny(Reason.NO_CODE)),
    ("unreadable", NORMAL, CodeSeen("unreadable"), STAFF, AT_8, deny(Reason.UNREADABLE_CODE)),
    ("forged or expired", NORMAL, CodeSeen("invalid"), STAFF, AT_8, deny(Reason.INVALID_CODE)),
    ("camera dead", NORMAL, CodeSeen("camera_fault"), STAFF, AT_8, deny(Reason.CAMERA_FAULT)),
    ("not on the roster", NORMAL, code(), None, AT_8, deny(Reason.UNREGISTERED)),
    ("before the window", NORMAL, code(), STAFF, time(7, 0), deny(Reason.OUTSIDE_SHIFT)),
    ("window edge", NORMAL, code(), STAFF, time(8, 30), ADMIT),
    ("any time", NORMAL, code(), RosterEntry("W1", "staff"), time(3, 0), ADMIT),
    ("night window", NORMAL, code(), NIGHT, time(1, 0), ADMIT),
]
# fmt: on


@pytest.mark.parametrize(
    ("temperature", "seen", "entry", "at", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision(
    temperature: Temperature,
    seen: CodeSeen,
    entry: RosterEntry | None,
    at: time,
    expected: tuple[bool, Reason, Route],
) -> None:
    decision = decide(temperature, seen, entry, at, fever_threshold_c=37.3)
    assert (decision.admit, decision.reason, decision.route) == expected


def test_an_untrusted_clock_admits_nobody_but_still_sends_a_flag_to_the_secondary_check() -> None:
    assert decide(NORMAL, code(), STAFF, AT_8, clock_trusted=False).reason is Reason.CLOCK_UNSYNCED
    flagged = decide(FLAGGED, code(), STAFF, AT_8, clock_trusted=False)
    assert (flagged.reason, flagged.alert) == (Reason.SECONDARY_CHECK, Alert.SECONDARY_CHECK)


def test_a_flag_alerts_security_and_a_fault_does_not_pass() -> None:
    assert decide(FLAGGED, code(), STAFF, AT_8).alert is Alert.SECONDARY_CHECK
    assert decide(FAULT, code(), STAFF, AT_8).alert is None


@pytest.mark.parametrize(
    ("clinical_c", "seen", "entry", "expected"),
    [
        (37.3, code(), STAFF, ISOLATE),  # the clinical threshold is a fever
        (38.6, code("red"), None, ISOLATE),  # a fever outranks everything else
        (36.9, code(), STAFF, ADMIT),  # normal: admitted by staff
        (36.9, code("red"), STAFF, deny(Reason.CODE_RED)),  # normal, but the code still counts
        (36.9, code(), None, deny(Reason.UNREGISTERED)),
        (36.9, CodeSeen("none"), STAFF, deny(Reason.NO_CODE)),
    ],
)
def test_the_guards_clinical_reading_decides_a_flag(
    clinical_c: float,
    seen: CodeSeen,
    entry: RosterEntry | None,
    expected: tuple[bool, Reason, Route],
) -> None:
    decision = resolve_secondary(clinical_c, 37.3, seen, entry, AT_8)
    assert (decision.admit, decision.reason, decision.route) == expected
    assert (decision.alert is Alert.FEVER) == (decision.reason is Reason.FEVER)
