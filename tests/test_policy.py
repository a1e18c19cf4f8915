"""Who may enter, as a table of cases."""

from __future__ import annotations

import pytest

from terminal.healthcode import Colour, HealthCode
from terminal.policy import Alert, CodeSeen, Reason, Route, Temperature, decide
from terminal.roster import RosterProblem

OK = None  # the roster lets them in now


def code(colour: str = "green", person: str = "W1") -> CodeSeen:
    return CodeSeen("valid", HealthCode(person, Colour(colour), 0.0))


NORMAL = Temperature(first_c=36.6)
FEVER = Temperature(first_c=38.1, remeasure_c=38.0)

ADMIT = (True, Reason.ADMITTED, Route.THROUGH)
ISOLATE = (False, Reason.FEVER, Route.ISOLATION_ROOM)


def deny(reason: Reason) -> tuple[bool, Reason, Route]:
    return (False, reason, Route.ASIDE)


FAULT = Temperature(None, fault="PECMismatchError")

# fmt: off
CASES = [
    # name, temperature, code, what the roster says -> (admit, reason, route)
    ("all well", NORMAL, code(), OK, ADMIT),
    ("threshold is a fever", Temperature(37.3, 37.3), code(), OK, ISOLATE),
    ("just under threshold", Temperature(37.29), code(), OK, ADMIT),
    ("fever outranks a red code", FEVER, code("red"), RosterProblem.UNREGISTERED, ISOLATE),
    ("fever not confirmed", Temperature(37.6, 36.9), code(), OK, ADMIT),
    ("re-measure failed", Temperature(37.6, None, "OSError"), code(), OK,
     deny(Reason.SENSOR_FAULT)),
    ("high, not re-measured", Temperature(37.6), code(), OK, deny(Reason.SENSOR_FAULT)),
    ("sensor fault never admits", FAULT, code(), OK, deny(Reason.SENSOR_FAULT)),
    ("red", NORMAL, code("red"), OK, deny(Reason.CODE_RED)),
    ("yellow", NORMAL, code("yellow"), OK, deny(Reason.CODE_YELLOW)),
    ("no code", NORMAL, CodeSeen("none"), OK, deny(Reason.NO_CODE)),
    ("unreadable", NORMAL, CodeSeen("unreadable"), OK, deny(Reason.UNREADABLE_CODE)),
    ("forged or expired", NORMAL, CodeSeen("invalid"), OK, deny(Reason.INVALID_CODE)),
    ("camera dead", NORMAL, CodeSeen("camera_fault"), OK, deny(Reason.CAMERA_FAULT)),
    ("not on the roster", NORMAL, code(), RosterProblem.UNREGISTERED, deny(Reason.UNREGISTERED)),
    ("outside the shift", NORMAL, code(), RosterProblem.OUTSIDE_SHIFT,
     deny(Reason.OUTSIDE_SHIFT)),
    ("no nucleic-acid test", NORMAL, code(), RosterProblem.NAT_MISSING, deny(Reason.NAT_MISSING)),
    ("test too old", NORMAL, code(), RosterProblem.NAT_EXPIRED, deny(Reason.NAT_EXPIRED)),
    ("visitor outside the visit", NORMAL, code(), RosterProblem.VISIT_OUTSIDE,
     deny(Reason.VISIT_OUTSIDE)),
    ("positive test", NORMAL, code(), RosterProblem.NAT_POSITIVE,
     (False, Reason.NAT_POSITIVE, Route.ISOLATION_ROOM)),
    ("positive test outranks a red code", NORMAL, code("red"), RosterProblem.NAT_POSITIVE,
     (False, Reason.NAT_POSITIVE, Route.ISOLATION_ROOM)),
    ("red outranks an expired test", NORMAL, code("red"), RosterProblem.NAT_EXPIRED,
     deny(Reason.CODE_RED)),
    ("fever outranks a positive test", FEVER, code(), RosterProblem.NAT_POSITIVE, ISOLATE),
    ("a roster problem never admits on no code", NORMAL, CodeSeen("none"),
     RosterProblem.UNREGISTERED, deny(Reason.NO_CODE)),
]
# fmt: on


@pytest.mark.parametrize(
    ("temperature", "seen", "problem", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision(
    temperature: Temperature,
    seen: CodeSeen,
    problem: RosterProblem | None,
    expected: tuple[bool, Reason, Route],
) -> None:
    decision = decide(temperature, seen, problem, fever_threshold_c=37.3)
    assert (decision.admit, decision.reason, decision.route) == expected


def test_an_untrusted_clock_admits_nobody_but_still_isolates_a_fever() -> None:
    assert decide(NORMAL, code(), OK, clock_trusted=False).reason is Reason.CLOCK_UNSYNCED
    fever = decide(FEVER, code(), OK, clock_trusted=False)
    assert (fever.reason, fever.alert) == (Reason.FEVER, Alert.FEVER)


def test_a_high_reading_that_cannot_be_re_measured_alerts_security() -> None:
    decision = decide(Temperature(38.4, None, "OSError"), code(), OK)
    assert (decision.admit, decision.reason) == (False, Reason.SENSOR_FAULT)
    assert decision.alert is Alert.SUSPECTED_FEVER
    assert decide(FAULT, code(), OK).alert is None


def test_threshold_is_configurable() -> None:
    assert decide(Temperature(37.4), code(), OK, fever_threshold_c=37.5).admit
    assert not decide(Temperature(37.4, 37.4), code(), OK, fever_threshold_c=37.3).admit


def test_every_roster_problem_has_its_own_reason_and_a_positive_test_alerts_security() -> None:
    for problem in RosterProblem:
        decision = decide(NORMAL, code(), problem)
        assert not decision.admit and decision.reason.value == problem.value
        positive = problem is RosterProblem.NAT_POSITIVE
        assert decision.alert is (Alert.NAT_POSITIVE if positive else None)
        assert decision.route is (Route.ISOLATION_ROOM if positive else Route.ASIDE)
