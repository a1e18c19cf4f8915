"""Who may enter, as a table of cases."""

from __future__ import annotations

from datetime import time

import pytest

from terminal.healthcode import CodeProblem, Colour, HealthCode
from terminal.policy import Alert, CodeRules, CodeSeen, Reason, Route, Temperature, decide
from terminal.roster import RosterEntry, Window

MORNING = (Window(time(7, 30), time(8, 30)),)
STAFF = RosterEntry("W1", "staff", MORNING)
AT_8 = time(8, 0)


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


NIGHT = RosterEntry("W1", "staff", (Window(time(22), time(6)),))
FAULT = Temperature(None, fault="PECMismatchError")

# fmt: off
CASES = [
    # name, temperature, code, roster entry, local time -> (admit, reason, route)
    ("all well", NORMAL, code(), STAFF, AT_8, ADMIT),
    ("threshold is a fever", Temperature(37.3, 37.3), code(), STAFF, AT_8, ISOLATE),
    ("just under threshold", Temperature(37.29), code(), STAFF, AT_8, ADMIT),
    ("fever outranks a red code", FEVER, code("red"), None, AT_8, ISOLATE),
    ("fever not confirmed", Temperature(37.6, 36.9), code(), STAFF, AT_8, ADMIT),
    ("re-measure failed", Temperature(37.6, None, "OSError"), code(), STAFF, AT_8,
     deny(Reason.SENSOR_FAULT)),
    ("high, not re-measured", Temperature(37.6), code(), STAFF, AT_8, deny(Reason.SENSOR_FAULT)),
    ("sensor fault never admits", FAULT, code(), STAFF, AT_8, deny(Reason.SENSOR_FAULT)),
    ("red: isolation", NORMAL, code("red"), STAFF, AT_8,
     (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
    ("yellow", NORMAL, code("yellow"), STAFF, AT_8, deny(Reason.CODE_YELLOW)),
    ("no code", NORMAL, CodeSeen("none"), STAFF, AT_8, deny(Reason.NO_CODE)),
    ("unreadable", NORMAL, CodeSeen("unreadable"), STAFF, AT_8, deny(Reason.UNREADABLE_CODE)),
    ("malformed", NORMAL, invalid(CodeProblem.MALFORMED), STAFF, AT_8,
     deny(Reason.CODE_MALFORMED)),
    ("forged", NORMAL, invalid(CodeProblem.BAD_SIGNATURE), STAFF, AT_8,
     deny(Reason.CODE_BAD_SIGNATURE)),
    ("unknown issuer", NORMAL, invalid(CodeProblem.UNKNOWN_ISSUER), STAFF, AT_8,
     deny(Reason.CODE_UNKNOWN_ISSUER)),
    ("expired", NORMAL, invalid(CodeProblem.EXPIRED), STAFF, AT_8, deny(Reason.CODE_EXPIRED)),
    ("not yet valid", NORMAL, invalid(CodeProblem.NOT_YET_VALID), STAFF, AT_8,
     deny(Reason.CODE_NOT_YET_VALID)),
    ("invalid, no reason given", NORMAL, CodeSeen("invalid"), STAFF, AT_8,
     deny(Reason.CODE_MALFORMED)),
    ("replayed", NORMAL, code(replay_of="e1"), STAFF, AT_8, deny(Reason.CODE_REPLAYED)),
    ("two codes", NORMAL, CodeSeen("multiple"), STAFF, AT_8, deny(Reason.MULTIPLE_CODES)),
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


def test_an_untrusted_clock_admits_nobody_but_still_isolates_a_fever() -> None:
    assert decide(NORMAL, code(), STAFF, AT_8, clock_trusted=False).reason is Reason.CLOCK_UNSYNCED
    fever = decide(FEVER, code(), STAFF, AT_8, clock_trusted=False)
    assert (fever.reason, fever.alert) == (Reason.FEVER, Alert.FEVER)


def test_a_high_reading_that_cannot_be_re_measured_alerts_security() -> None:
    decision = decide(Temperature(38.4, None, "OSError"), code(), STAFF, AT_8)
    assert (decision.admit, decision.reason) == (False, Reason.SENSOR_FAULT)
    assert decision.alert is Alert.SUSPECTED_FEVER
    assert decide(FAULT, code(), STAFF, AT_8).alert is None


def test_threshold_is_configurable() -> None:
    assert decide(Temperature(37.4), code(), STAFF, AT_8, fever_threshold_c=37.5).admit
    assert not decide(Temperature(37.4, 37.4), code(), STAFF, AT_8, fever_threshold_c=37.3).admit


def test_a_replayed_code_admits_but_is_marked_in_record_only_mode() -> None:
    record_only = CodeRules(replay_mode="record_only")
    assert decide(NORMAL, code(replay_of="e1"), STAFF, AT_8, code_rules=record_only).admit


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
    decision = decide(NORMAL, code(colour), STAFF, AT_8, code_rules=TIERS[tier])
    assert (decision.admit, decision.route, decision.alert) == expected


def test_a_red_code_never_admits_whatever_the_rules_say() -> None:
    careless = CodeRules(red="admit")
    decision = decide(NORMAL, code("red"), STAFF, AT_8, code_rules=careless)
    assert (decision.admit, decision.route) == (False, Route.ISOLATION_ROOM)


def test_a_green_code_under_a_tier_that_sends_everyone_to_a_second_check() -> None:
    strict = CodeRules(green="secondary_check")
    decision = decide(NORMAL, code("green"), STAFF, AT_8, code_rules=strict)
    assert (decision.admit, decision.reason, decision.route) == (
        False,
        Reason.CODE_GREEN,
        Route.SECONDARY_CHECK,
    )


@pytest.mark.parametrize(
    ("temperature", "seen", "entry", "expected"),
    [
        (NORMAL, code(), STAFF, deny(Reason.LOCKDOWN)),  # a good code, on the roster, in shift
        (FEVER, code(), STAFF, ISOLATE),  # a fever still goes to the isolation room
        (FAULT, code(), STAFF, deny(Reason.SENSOR_FAULT)),
        (NORMAL, code("red"), STAFF, (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
        (NORMAL, code(), None, deny(Reason.UNREGISTERED)),
    ],
)
def test_a_lockdown_admits_nobody(
    temperature: Temperature, seen: CodeSeen, entry: RosterEntry | None, expected: tuple
) -> None:
    decision = decide(temperature, seen, entry, AT_8, lockdown=True)
    assert (decision.admit, decision.reason, decision.route) == expected
    unlocked = decide(temperature, seen, entry, AT_8, lockdown=False)
    assert unlocked.reason != Reason.LOCKDOWN
    if expected[1] is not Reason.LOCKDOWN:
        assert unlocked == decision  # a lockdown changes nothing but an admission
