"""Who may enter, as a table of cases."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from terminal.codes.healthcode import CodeProblem, Colour, HealthCode
from terminal.rules.policy import (
    Alert,
    CodeRules,
    CodeSeen,
    Reason,
    Route,
    Temperature,
    ZoneState,
    decide,
    decide_exit,
    resolve_secondary,
)
from terminal.rules.roster import RosterProblem
from terminal.rules.shifts import Opening
from terminal.rules.windows import parse_window

SHANGHAI = ZoneInfo("Asia/Shanghai")

OK = None  # the roster lets them in now


def code(colour: str = "green", person: str = "W1", replay_of: str | None = None) -> CodeSeen:
    signed = HealthCode(person, Colour(colour), 0.0, 86400.0, "HC2/park", "f" * 64)
    return CodeSeen("valid", signed, replay_of=replay_of)


def invalid(problem: CodeProblem) -> CodeSeen:
    return CodeSeen("invalid", problem=problem)


NORMAL = Temperature(first_c=36.6)
FLAGGED = Temperature(first_c=38.1, verdict="guard", mode="crowd", reference_c=34.0)
# a first reading raised but not clearly high: rest in the waiting area and scan again
RAISED = Temperature(first_c=37.4, verdict="rest", mode="crowd", reference_c=34.0)
FAULT = Temperature(None, fault="PECMismatchError")
# measured, not judged yet (the screening has not said pass, rest or guard): never admits
UNJUDGED = Temperature(None, object_c=34.0, ambient_c=20.0)

ADMIT = (True, Reason.ADMITTED, Route.THROUGH)
SECONDARY = (False, Reason.SECONDARY_CHECK, Route.SECONDARY_CHECK)
REST = (False, Reason.REST, Route.REST)
RED = (False, Reason.CODE_RED, Route.ISOLATION_ROOM)
POSITIVE = (False, Reason.NAT_POSITIVE, Route.ISOLATION_ROOM)
ISOLATE = (False, Reason.FEVER, Route.ISOLATION_ROOM)


def deny(reason: Reason) -> tuple[bool, Reason, Route]:
    return (False, reason, Route.ASIDE)


# fmt: off
CASES = [
    # name, temperature, code, what the roster says -> (admit, reason, route)
    ("all well", NORMAL, code(), OK, ADMIT),
    ("flagged: secondary check", FLAGGED, code(), OK, SECONDARY),
    ("raised: rest and scan again", RAISED, code(), OK, REST),
    ("a high estimate the screening passed", Temperature(37.6), code(), OK, ADMIT),
    ("measured but not judged never admits", UNJUDGED, code(), OK, deny(Reason.NOT_MEASURED)),
    # the screening's word counts only for someone who would be let in
    ("a red code keeps its isolation, flagged or not", FLAGGED, code("red"), OK, RED),
    ("a red code is not sent to rest", RAISED, code("red"), OK, RED),
    ("a red code outranks the roster, flagged", FLAGGED, code("red"), RosterProblem.UNREGISTERED,
     RED),
    ("a flag on no code: refused for the code", FLAGGED, CodeSeen("none"), OK,
     deny(Reason.NO_CODE)),
    ("a flag on a forged code", FLAGGED, invalid(CodeProblem.BAD_SIGNATURE), OK,
     deny(Reason.CODE_BAD_SIGNATURE)),
    ("a flag on a replayed code", FLAGGED, code(replay_of="e1"), OK,
     deny(Reason.CODE_REPLAYED)),
    ("a yellow code is not sent to rest", RAISED, code("yellow"), OK, deny(Reason.CODE_YELLOW)),
    ("a flag off the roster", FLAGGED, code(), RosterProblem.UNREGISTERED,
     deny(Reason.UNREGISTERED)),
    ("a flag outside the shift", FLAGGED, code(), RosterProblem.SHIFT_EARLY,
     deny(Reason.SHIFT_EARLY)),
    ("raised, outside the shift", RAISED, code(), RosterProblem.SHIFT_LATE,
     deny(Reason.SHIFT_LATE)),
    ("raised, test too old", RAISED, code(), RosterProblem.NAT_EXPIRED, deny(Reason.NAT_EXPIRED)),
    ("sensor fault never admits", FAULT, code(), OK, deny(Reason.SENSOR_FAULT)),
    ("a fault with a number still never admits", Temperature(36.6, fault="stuck"), code(), OK,
     deny(Reason.SENSOR_FAULT)),
    ("never came close enough", Temperature(None, state="come_closer"), code(), OK,
     deny(Reason.NOT_MEASURED)),
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
    ("replay outranks the roster", NORMAL, code(replay_of="e1"), RosterProblem.SHIFT_LATE,
     deny(Reason.CODE_REPLAYED)),
    ("two codes", NORMAL, CodeSeen("multiple"), OK, deny(Reason.MULTIPLE_CODES)),
    ("camera dead", NORMAL, CodeSeen("camera_fault"), OK, deny(Reason.CAMERA_FAULT)),
    ("not on the roster", NORMAL, code(), RosterProblem.UNREGISTERED, deny(Reason.UNREGISTERED)),
    ("early for the shift", NORMAL, code(), RosterProblem.SHIFT_EARLY, deny(Reason.SHIFT_EARLY)),
    ("late for the shift", NORMAL, code(), RosterProblem.SHIFT_LATE, deny(Reason.SHIFT_LATE)),
    ("no shift today", NORMAL, code(), RosterProblem.SHIFT_NOT_TODAY,
     deny(Reason.SHIFT_NOT_TODAY)),
    ("another gate's group", NORMAL, code(), RosterProblem.GATE_NOT_SERVING_GROUP,
     deny(Reason.GATE_NOT_SERVING_GROUP)),
    ("a red code outranks the shift", NORMAL, code("red"), RosterProblem.SHIFT_EARLY,
     (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
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
    ("a positive test keeps its isolation, flagged", FLAGGED, code(), RosterProblem.NAT_POSITIVE,
     POSITIVE),
    ("a positive test is not sent to rest", RAISED, code(), RosterProblem.NAT_POSITIVE, POSITIVE),
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
    decision = decide(temperature, seen, problem)
    assert (decision.admit, decision.reason, decision.route) == expected


WINDOW = Opening(
    date(2026, 11, 23),
    parse_window("07:40-08:00"),
    "arrival",
    datetime(2026, 11, 23, 7, 40, tzinfo=SHANGHAI),
    datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI),
)


@pytest.mark.parametrize(
    ("problem", "told"),
    [
        (RosterProblem.SHIFT_EARLY, WINDOW),
        (RosterProblem.SHIFT_LATE, WINDOW),
        (RosterProblem.SHIFT_NOT_TODAY, WINDOW),
        (RosterProblem.GATE_NOT_SERVING_GROUP, None),  # their windows are at another gate
        (RosterProblem.NAT_EXPIRED, None),  # a window would not let them in
        (OK, None),
    ],
)
def test_a_shift_refusal_says_when_the_window_is(
    problem: RosterProblem | None, told: Opening | None
) -> None:
    decision = decide(NORMAL, code(), problem, next_window=WINDOW)
    assert decision.window == told
    if told is not None:
        assert WINDOW.interval() == "2026-11-23T07:40+08:00/2026-11-23T08:00+08:00"


def test_an_untrusted_clock_admits_nobody_and_spends_no_guard_on_a_code_it_cannot_check() -> None:
    for temperature in (NORMAL, FLAGGED, RAISED):
        decision = decide(temperature, code(), OK, clock_trusted=False)
        assert (decision.admit, decision.reason, decision.alert) == (
            False,
            Reason.CLOCK_UNSYNCED,
            None,
        )


@pytest.mark.parametrize(
    ("temperature", "seen", "problem", "alert"),
    [
        (FLAGGED, code(), OK, Alert.SECONDARY_CHECK),  # a guard must measure again
        (RAISED, code(), OK, None),  # resting is the person's own errand, no guard's
        (FAULT, code(), OK, None),
        (NORMAL, code(), OK, None),
        (FLAGGED, code("red"), OK, Alert.HEALTH_CODE),  # the red code's alert, not a flag's
        (RAISED, code("red"), OK, Alert.HEALTH_CODE),
        (FLAGGED, code(), RosterProblem.NAT_POSITIVE, Alert.NAT_POSITIVE),
        (RAISED, code(), RosterProblem.NAT_POSITIVE, Alert.NAT_POSITIVE),
        (FLAGGED, code(), RosterProblem.SHIFT_EARLY, None),
    ],
)  # fmt: skip
def test_who_security_hears_of(
    temperature: Temperature, seen: CodeSeen, problem: RosterProblem | None, alert: Alert | None
) -> None:
    assert decide(temperature, seen, problem).alert is alert


def test_a_flag_outside_the_shift_is_told_the_window_not_sent_to_the_guard() -> None:
    decision = decide(FLAGGED, code(), RosterProblem.SHIFT_EARLY, next_window=WINDOW)
    assert (decision.reason, decision.window) == (Reason.SHIFT_EARLY, WINDOW)


@pytest.mark.parametrize(
    ("clinical_c", "seen", "problem", "expected"),
    [
        (37.3, code(), OK, ISOLATE),  # the clinical threshold is a fever
        (38.6, code("red"), RosterProblem.UNREGISTERED, ISOLATE),  # a fever outranks all else
        (36.9, code(), OK, ADMIT),  # normal: admitted by staff
        # normal, but the code still counts
        (36.9, code("red"), OK, (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
        (36.9, code(replay_of="e1"), OK, deny(Reason.CODE_REPLAYED)),
        (36.9, code(), RosterProblem.UNREGISTERED, deny(Reason.UNREGISTERED)),
        (36.9, CodeSeen("none"), OK, deny(Reason.NO_CODE)),
    ],
)
def test_the_guards_clinical_reading_decides_a_flag(
    clinical_c: float,
    seen: CodeSeen,
    problem: RosterProblem | None,
    expected: tuple[bool, Reason, Route],
) -> None:
    decision = resolve_secondary(clinical_c, 37.3, seen, problem)
    assert (decision.admit, decision.reason, decision.route) == expected
    assert (decision.alert is Alert.FEVER) == (decision.reason is Reason.FEVER)


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


@pytest.mark.parametrize(
    ("temperature", "seen", "problem", "expected"),
    [
        (NORMAL, code(), OK, deny(Reason.LOCKDOWN)),  # a good code, on the roster, in shift
        # nobody is sent to a secondary check (or to rest) they could not pass anyway
        (FLAGGED, code(), OK, deny(Reason.LOCKDOWN)),
        (RAISED, code(), OK, deny(Reason.LOCKDOWN)),
        (FAULT, code(), OK, deny(Reason.SENSOR_FAULT)),
        (NORMAL, code("red"), OK, RED),
        (FLAGGED, code("red"), OK, RED),  # a red code still alerts
        (NORMAL, code(), RosterProblem.NAT_POSITIVE, POSITIVE),
        (FLAGGED, code(), RosterProblem.NAT_POSITIVE, POSITIVE),
        (NORMAL, code(), RosterProblem.UNREGISTERED, deny(Reason.UNREGISTERED)),
    ],
)  # fmt: skip
def test_a_lockdown_admits_nobody(
    temperature: Temperature, seen: CodeSeen, problem: RosterProblem | None, expected: tuple
) -> None:
    decision = decide(temperature, seen, problem, lockdown=True)
    assert (decision.admit, decision.reason, decision.route) == expected
    assert decision.alert is not Alert.SECONDARY_CHECK
    assert (decision.alert is not None) == (decision.route is Route.ISOLATION_ROOM)
    unlocked = decide(temperature, seen, problem, lockdown=False)
    assert unlocked.reason != Reason.LOCKDOWN
    if expected[1] is not Reason.LOCKDOWN:
        assert unlocked == decision  # a lockdown changes nothing but an admission


def test_a_guards_normal_reading_during_a_lockdown_admits_nobody_a_fever_still_isolates() -> None:
    held = resolve_secondary(36.7, 37.5, code(), OK, lockdown=True)
    assert (held.admit, held.reason, held.route) == deny(Reason.LOCKDOWN)
    assert resolve_secondary(36.7, 37.5, code(), OK, lockdown=False).admit
    fever = resolve_secondary(38.2, 37.5, code(), OK, lockdown=True)
    assert (fever.admit, fever.reason, fever.route, fever.alert) == (
        *ISOLATE,
        Alert.FEVER,
    )


# --- zones: capacity, anti-passback and the way out -----------------------------------------------
FULL = ZoneState(full=True)
INSIDE = ZoneState(inside_since="e0", anti_passback="deny")
WAIT = (False, Reason.ZONE_FULL, Route.WAIT)

# fmt: off
ZONE_CASES = [
    # name, temperature, code, roster, zone -> (admit, reason, route)
    ("room in the zone", NORMAL, code(), OK, ZoneState(), ADMIT),
    ("a full zone: wait", NORMAL, code(), OK, FULL, WAIT),
    ("a full zone never makes a flag wait", FLAGGED, code(), OK, FULL, SECONDARY),
    ("a full zone: the raised rest first", RAISED, code(), OK, FULL, REST),
    ("inside already: refused, not sent to the guard", FLAGGED, code(), OK, INSIDE,
     deny(Reason.ANTI_PASSBACK)),
    ("a full zone never makes a red code wait", NORMAL, code("red"), OK, FULL,
     (False, Reason.CODE_RED, Route.ISOLATION_ROOM)),
    ("a late worker is told their window, not to wait", NORMAL, code(), RosterProblem.SHIFT_LATE,
     FULL, deny(Reason.SHIFT_LATE)),
    ("inside already: refused", NORMAL, code(), OK, INSIDE, deny(Reason.ANTI_PASSBACK)),
    ("inside already outranks a full zone", NORMAL, code(), OK,
     ZoneState(full=True, inside_since="e0", anti_passback="deny"), deny(Reason.ANTI_PASSBACK)),
    ("inside already, record only: admitted", NORMAL, code(), OK,
     ZoneState(inside_since="e0", anti_passback="record_only"), ADMIT),
    ("inside already, record only, full zone: wait", NORMAL, code(), OK,
     ZoneState(full=True, inside_since="e0", anti_passback="record_only"), WAIT),
]
# fmt: on


@pytest.mark.parametrize(
    ("temperature", "seen", "problem", "zone", "expected"),
    [case[1:] for case in ZONE_CASES],
    ids=[case[0] for case in ZONE_CASES],
)
def test_zone_decision(
    temperature: Temperature,
    seen: CodeSeen,
    problem: RosterProblem | None,
    zone: ZoneState,
    expected: tuple[bool, Reason, Route],
) -> None:
    decision = decide(temperature, seen, problem, zone=zone)
    assert (decision.admit, decision.reason, decision.route) == expected


def test_a_lockdown_outranks_the_zone() -> None:
    decision = decide(NORMAL, code(), OK, zone=FULL, lockdown=True)
    assert (decision.admit, decision.reason, decision.route) == deny(Reason.LOCKDOWN)


# fmt: off
EXIT_CASES = [
    ("a green code leaves", code(), True, False, ADMIT),
    ("a red code leaves too: the code only says who it is", code("red"), True, False, ADMIT),
    ("the code held by their own entry leaves", code(replay_of="e0"), True, False, ADMIT),
    ("no code: nobody identified", CodeSeen("none"), True, False, deny(Reason.NO_CODE)),
    ("a forged code identifies nobody", invalid(CodeProblem.BAD_SIGNATURE), True, False,
     deny(Reason.CODE_BAD_SIGNATURE)),
    ("an untrusted clock", code(), False, False, deny(Reason.CLOCK_UNSYNCED)),
    ("a lockdown stops the way out too", code(), True, True, deny(Reason.LOCKDOWN)),
]
# fmt: on


@pytest.mark.parametrize(
    ("seen", "clock_trusted", "lockdown", "expected"),
    [case[1:] for case in EXIT_CASES],
    ids=[case[0] for case in EXIT_CASES],
)
def test_exit_decision(
    seen: CodeSeen, clock_trusted: bool, lockdown: bool, expected: tuple[bool, Reason, Route]
) -> None:
    decision = decide_exit(seen, clock_trusted, lockdown)
    assert (decision.admit, decision.reason, decision.route) == expected


# fmt: off
EXIT_ZONE_CASES = [
    ("inside by the record: leaves", INSIDE, ADMIT),
    ("not inside (left already, or never came in)", ZoneState(anti_passback="deny"),
     deny(Reason.NOT_INSIDE)),
    ("not inside, anti-passback off: still refused (the exit would free their code)",
     ZoneState(anti_passback="off"), deny(Reason.NOT_INSIDE)),
    ("not inside under record_only: admitted, the check says so",
     ZoneState(anti_passback="record_only"), ADMIT),
]
# fmt: on


@pytest.mark.parametrize(
    ("zone", "expected"),
    [case[1:] for case in EXIT_ZONE_CASES],
    ids=[case[0] for case in EXIT_ZONE_CASES],
)
def test_an_exit_is_counted_only_for_someone_inside(
    zone: ZoneState, expected: tuple[bool, Reason, Route]
) -> None:
    decision = decide_exit(code(), zone=zone)
    assert (decision.admit, decision.reason, decision.route) == expected
    # the policy's order: an unbelievable code or a lockdown first, whoever is inside
    assert decide_exit(CodeSeen("none"), zone=INSIDE).reason is Reason.NO_CODE
    assert decide_exit(code(), lockdown=True, zone=INSIDE).reason is Reason.LOCKDOWN
