"""Who may enter, as a table of cases."""

from __future__ import annotations

import pytest

from terminal.healthcode import CodeProblem, Colour, HealthCode
from terminal.policy import Alert, CodeRules, CodeSeen, Reason, Route, Temperature, decide
from terminal.roster import RosterProblem

OK = None  # the roster lets them in now


def code(colour: str = "green", person: str = "W1", replay_of: str | None = None) -> CodeSeen:
    signed = HealthCode(person, Colour(colour), 0.0, 86400.0, "HC2/park", "f" * 64)
    return CodeSeen("valid", signed, replay_of=replay_of)


def invalid(problem: CodeProblem) -> CodeSeen:
    return CodeSeen("invalid", problem=problem)


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
    ("red: isolation", NORMAL, code("red"), OK, (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
    ("yellow", NORMAL, code("yellow"), OK, deny(Reason.CODE_YELLOW)),
    ("no code", NORMAL, CodeSeen("none"), OK, deny(Reason.NO_CODE)),
    ("unreadable", NORMAL, CodeSeen("unreadable"), OK, deny(Reason.UNREADABLE_CODE)),
    ("malformed", NORMAL, invalid(CodeProblem.MALFORMED), OK, deny(Reason.CODE_MALFORMED)),
    ("forged", NORMAL, invalid(CodeProblem.BAD_SIGNATURE), OK, deny(Reason.CODE_BAD_SIGNATURE)),
    ("unknown issuer", NORMAL, invalid(CodeProblem.UNKNOWN_ISSUER), OK,
     deny(Reason.CODE_UNKNOWN_ISSUER)),
    ("expired", NORMAL, invalid(CodeProblem.EXPIRED), OK, deny(Reason.CODE_EXPIRED)),
    ("not yet valid", NORMAL, invalid(CodeProblem.NOT_YET_VALID), OK,
     deny(Reason.CODE_NOT_YET_VALID)),
    ("invalid, no reason given", NORMAL, CodeSeen("invalid"), OK, deny(Reason.CODE_MALFORMED)),
    ("replayed", NORMAL, code(replay_of="e1"), OK, deny(Reason.CODE_REPLAYED)),
    ("replay outranks the roster", NORMAL, code(replay_of="e1"), RosterProblem.OUTSIDE_SHIFT,
     deny(Reason.CODE_REPLAYED)),
    ("two codes", NORMAL, CodeSeen("multiple"), OK, deny(Reason.MULTIPLE_CODES)),
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
     (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
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


def test_a_replayed_code_admits_but_is_marked_in_record_only_mode() -> None:
    record_only = CodeRules(replay_mode="record_only")
    assert decide(NORMAL, code(replay_of="e1"), OK, code_rules=record_only).admit


TIERS = {
    "low": CodeRules(yellow="aside", red="isolation"),
    "medium": CodeRules(yellow="secondary_check", red="isolation"),
    "high": CodeRules(yellow="isolation", red="isolation"),
}


@pytest.mark.parametrize(
    ("tier", "colour", "expected"),
    [
        ("low", "green", (True, Route.THROUGH, None)),
        ("low", "yellow", (False, Route.ASIDE, None)),
        ("low", "red", (False, Route.ISOLATION_ROOM, Alert.HEALTH_CODE)),
        ("medium", "yellow", (False, Route.SECONDARY_CHECK, None)),
        ("high", "yellow", (False, Route.ISOLATION_ROOM, Alert.HEALTH_CODE)),
        ("high", "green", (True, Route.THROUGH, None)),
    ],
)
def test_colour_to_action_follows_the_risk_tier(tier: str, colour: str, expected: tuple) -> None:
    decision = decide(NORMAL, code(colour), OK, code_rules=TIERS[tier])
    assert (decision.admit, decision.route, decision.alert) == expected


def test_a_red_code_never_admits_whatever_the_rules_say() -> None:
    careless = CodeRules(red="admit")
    decision = decide(NORMAL, code("red"), OK, code_rules=careless)
    assert (decision.admit, decision.route) == (False, Route.ISOLATION_ROOM)


def test_a_green_code_under_a_tier_that_sends_everyone_to_a_second_check() -> None:
    strict = CodeRules(green="secondary_check")
    decision = decide(NORMAL, code("green"), OK, code_rules=strict)
    assert (decision.admit, decision.reason, decision.route) == (
        False,
        Reason.CODE_GREEN,
        Route.SECONDARY_CHECK,
    )
