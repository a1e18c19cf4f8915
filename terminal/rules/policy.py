"""Who may enter: a pure function from what the gate observed to a decision with its reason.

No I/O, no clock: the gate passes what the roster says of the person now (``roster.assess``).
Everything that cannot be checked denies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from terminal.codes.healthcode import CodeProblem, HealthCode
from terminal.config import Action as ColourAction
from terminal.rules.roster import RosterProblem
from terminal.rules.shifts import Opening


class Reason(StrEnum):
    ADMITTED = "admitted"
    FEVER = "fever"
    SENSOR_FAULT = "sensor_fault"
    CAMERA_FAULT = "camera_fault"
    CLOCK_UNSYNCED = "clock_unsynced"  # code age and shift windows cannot be checked
    NO_CODE = "no_code"
    UNREADABLE_CODE = "unreadable_code"
    MULTIPLE_CODES = "multiple_codes"  # more than one code in view: whose is it?
    CODE_MALFORMED = CodeProblem.MALFORMED.value
    CODE_UNKNOWN_ISSUER = CodeProblem.UNKNOWN_ISSUER.value
    CODE_BAD_SIGNATURE = CodeProblem.BAD_SIGNATURE.value
    CODE_EXPIRED = CodeProblem.EXPIRED.value
    CODE_NOT_YET_VALID = CodeProblem.NOT_YET_VALID.value
    CODE_REPLAYED = "code_replayed"  # this code already admitted someone
    CODE_RED = "code_red"
    CODE_YELLOW = "code_yellow"
    CODE_GREEN = "code_green"  # a green code, under a risk tier that does not admit on it alone
    UNREGISTERED = "unregistered"
    NAT_MISSING = "nat_missing"  # no nucleic-acid test on the roster
    NAT_EXPIRED = "nat_expired"  # the last negative test is older than roster.nat_valid_h
    NAT_POSITIVE = "nat_positive"  # the last test was positive: isolation room
    VISIT_OUTSIDE = "visit_outside"  # a visitor outside their visit
    OUTSIDE_SHIFT = "outside_shift"  # earlier versions' refusal outside a shift window
    # a worker outside their group's window: told when it is (Decision.window)
    SHIFT_EARLY = RosterProblem.SHIFT_EARLY.value
    SHIFT_LATE = RosterProblem.SHIFT_LATE.value
    SHIFT_NOT_TODAY = RosterProblem.SHIFT_NOT_TODAY.value
    GATE_NOT_SERVING_GROUP = RosterProblem.GATE_NOT_SERVING_GROUP.value  # zoning: another gate
    INTERNAL_ERROR = "internal_error"  # the check itself failed: nobody is admitted on it
    LOCKDOWN = "lockdown"  # the operations centre locked the gate down: nobody is admitted
    RECORD_FULL = "record_full"  # the record cannot be written: no check, no admission
    SECONDARY_CHECK = "secondary_check"  # flagged by the screening: a guard measures again
    # the first reading was raised but not clearly high: rest in the waiting area, scan again
    REST = "rest"
    NOT_MEASURED = "not_measured"  # never came close enough to the thermometer
    ZONE_FULL = "zone_full"  # the zone is at capacity: wait until someone leaves
    ANTI_PASSBACK = "anti_passback"  # entered and never left: a second entry on one person
    NOT_INSIDE = "not_inside"  # an exit of someone the zone's record does not show inside


class Alert(StrEnum):
    FEVER = "fever"  # confirmed: the person is on the way to the isolation room
    SUSPECTED_FEVER = "suspected_fever"  # sent by earlier versions; the screening now flags
    HEALTH_CODE = "health_code"  # a code whose colour routes the person to the isolation room
    NAT_POSITIVE = "nat_positive"  # a positive nucleic-acid test: on the way to the isolation room
    SECONDARY_CHECK = "secondary_check"  # flagged: a guard must measure with a clinical thermometer


class Route(StrEnum):
    THROUGH = "through"  # the turnstile
    ASIDE = "aside"  # step back from the gate
    ISOLATION_ROOM = "isolation_room"  # confirmed fever: escorted to the temporary isolation room
    SECONDARY_CHECK = "secondary_check"  # flagged: to the secondary check point beside the gate
    WAIT = "wait"  # stay at the gate: checked again as soon as someone leaves the zone
    REST = "rest"  # to the waiting area for ``screening.rest_min`` minutes, then scan again


Verdict = Literal["pass", "rest", "guard"]


@dataclass(frozen=True)
class Temperature:
    """What the screening found. ``first_c`` is the estimated core temperature; ``verdict`` is
    the screening's word: ``pass``, ``rest`` (raised, not clearly high: rest and scan again) or
    ``guard`` (to the secondary check). A fault, or no estimate at all, never admits."""

    first_c: float | None
    fault: str | None = None  # what went wrong reading the sensor, when it did
    verdict: Verdict = "pass"
    mode: str | None = None  # the estimator that decided (e.g. "baseline", "crowd", "table")
    reference_c: float | None = None  # the forehead reading expected of this person here
    object_c: float | None = None  # raw forehead reading (calibration applied)
    ambient_c: float | None = None  # the thermometer's own temperature
    distance_cm: float | None = None
    state: str = "done"  # where the measurement ended: done, come_closer, sensor_fault
    stage: Literal["first", "rested"] = "first"  # a first reading, or the one after a rest
    threshold_c: float | None = None  # the forehead reading at or above which it sends on
    why: str | None = None  # one line for the guard: the reading against what it was held to
    at_s: float | None = None  # when it was measured (the gate's clock)

    @property
    def flagged(self) -> bool:
        return self.verdict == "guard"

    @property
    def final_c(self) -> float | None:
        return self.first_c


@dataclass(frozen=True)
class CodeSeen:
    status: Literal["valid", "none", "unreadable", "invalid", "multiple", "camera_fault"]
    code: HealthCode | None = None
    problem: CodeProblem | None = None  # why an invalid code is not believed
    replay_of: str | None = None  # the admission or open flag that holds this code (or person)


@dataclass(frozen=True)
class CodeRules:
    """What the health code's colour means under the risk tier in force, and what a replayed
    code does."""

    green: ColourAction = "admit"
    yellow: ColourAction = "aside"
    red: ColourAction = "isolation"
    replay_mode: Literal["deny", "record_only"] = "deny"

    def action(self, code: HealthCode) -> ColourAction:
        action: ColourAction = getattr(self, code.colour.value)
        # whatever a configuration says, a red code never opens the turnstile
        return "isolation" if code.colour.value == "red" and action == "admit" else action


@dataclass(frozen=True)
class ZoneState:
    """What the gate knows of its zone at the check: whether it is at capacity, and whether the
    person shown is inside already (the admission that let them in: ``inside_since``)."""

    full: bool = False
    inside_since: str | None = None
    anti_passback: Literal["off", "deny", "record_only"] = "off"


@dataclass(frozen=True)
class Decision:
    admit: bool
    reason: Reason
    route: Route
    alert: Alert | None = None  # what security staff must be told at once
    window: Opening | None = None  # refused for their shift: the next window they may come in

    @property
    def decision(self) -> str:
        return "admit" if self.admit else "deny"


def _deny(reason: Reason, route: Route = Route.ASIDE, alert: Alert | None = None) -> Decision:
    return Decision(admit=False, reason=reason, route=route, alert=alert)


# the refusals that come with the worker's next window
SHIFT_REASONS = frozenset({Reason.SHIFT_EARLY, Reason.SHIFT_LATE, Reason.SHIFT_NOT_TODAY})

_CODE_PROBLEMS = {
    "none": Reason.NO_CODE,
    "unreadable": Reason.UNREADABLE_CODE,
    "multiple": Reason.MULTIPLE_CODES,
    "camera_fault": Reason.CAMERA_FAULT,
}
_COLOUR_REASONS = {"green": Reason.CODE_GREEN, "yellow": Reason.CODE_YELLOW, "red": Reason.CODE_RED}
_ACTION_ROUTES = {
    "aside": (Route.ASIDE, None),
    "secondary_check": (Route.SECONDARY_CHECK, None),
    "isolation": (Route.ISOLATION_ROOM, Alert.HEALTH_CODE),
}


def _code_problem(code: CodeSeen, rules: CodeRules) -> Decision | None:
    """A denial when no believable, unspent code was shown; None for a valid code."""
    if code.status != "valid" or code.code is None:
        if code.status == "invalid":
            return _deny(Reason(code.problem.value) if code.problem else Reason.CODE_MALFORMED)
        return _deny(_CODE_PROBLEMS.get(code.status, Reason.CODE_MALFORMED))
    if code.replay_of is not None and rules.replay_mode == "deny":
        return _deny(Reason.CODE_REPLAYED)
    return None


def decide(
    temperature: Temperature,
    code: CodeSeen,
    roster_problem: RosterProblem | None,
    clock_trusted: bool = True,
    code_rules: CodeRules = CodeRules(),
    lockdown: bool = False,
    next_window: Opening | None = None,
    zone: ZoneState = ZoneState(),
) -> Decision:
    """``next_window``: the worker's next shift window (``roster.next_window``), told to them
    when their shift is why they are refused. ``zone``: an entry into a zone at capacity waits;
    a person inside already is refused (anti-passback ``deny``)."""
    # a fault or no reading never admits. Otherwise the screening's word counts only for
    # someone who would be let in: a guard's time (and a worker's rest) is not spent on a person
    # the code, the roster, the shift or a lockdown refuses anyway (a red code or a positive
    # test still goes to the isolation room with its alert). The thresholds are the screening's
    if temperature.fault is not None:
        return _deny(Reason.SENSOR_FAULT)
    if temperature.final_c is None:
        return _deny(Reason.NOT_MEASURED)
    if not clock_trusted:
        return _deny(Reason.CLOCK_UNSYNCED)
    otherwise = _without_screening(code, roster_problem, code_rules, lockdown, next_window, zone)
    if not (otherwise.admit or otherwise.route is Route.WAIT):
        return otherwise
    if temperature.verdict == "guard":
        return _deny(Reason.SECONDARY_CHECK, Route.SECONDARY_CHECK, Alert.SECONDARY_CHECK)
    if temperature.verdict == "rest":
        return _deny(Reason.REST, Route.REST)
    return otherwise


def _without_screening(
    code: CodeSeen,
    roster_problem: RosterProblem | None,
    code_rules: CodeRules,
    lockdown: bool,
    next_window: Opening | None,
    zone: ZoneState,
) -> Decision:
    """The decision for a person whose reading is normal."""
    code_denial = _code_problem(code, code_rules)
    if code_denial is not None:
        return code_denial
    signed = code.code
    if signed is None:  # cannot happen after _code_problem; fail secure all the same
        return _deny(Reason.CODE_MALFORMED)
    if roster_problem is RosterProblem.NAT_POSITIVE:  # whatever the code's colour
        return _deny(Reason.NAT_POSITIVE, Route.ISOLATION_ROOM, Alert.NAT_POSITIVE)
    action = code_rules.action(signed)
    if action != "admit":
        route, alert = _ACTION_ROUTES[action]
        return _deny(_COLOUR_REASONS[signed.colour.value], route, alert)
    if roster_problem is not None:
        reason = Reason(roster_problem.value)
        window = next_window if reason in SHIFT_REASONS else None
        return Decision(admit=False, reason=reason, route=Route.ASIDE, window=window)
    if lockdown:
        # the park's order: whoever would have been admitted is refused and told why; every
        # other refusal (a fever, a red code, a positive test) keeps its own route and alert
        return _deny(Reason.LOCKDOWN)
    return _zone_entry(zone)


def _zone_entry(zone: ZoneState) -> Decision:
    """Someone the screening admits, against the zone: anti-passback first (a second entry is
    refused whether or not the zone has room), then capacity (wait for someone to leave)."""
    if zone.inside_since is not None and zone.anti_passback == "deny":
        return _deny(Reason.ANTI_PASSBACK)
    if zone.full:
        return Decision(admit=False, reason=Reason.ZONE_FULL, route=Route.WAIT)
    return Decision(admit=True, reason=Reason.ADMITTED, route=Route.THROUGH)


def decide_exit(
    code: CodeSeen,
    clock_trusted: bool = True,
    lockdown: bool = False,
    zone: ZoneState | None = None,
) -> Decision:
    """Someone leaving the zone. No temperature and no shift window: a fever on the way out
    changes nothing at this gate (they are leaving; the screening protects who comes in), and
    leaving late or early is not what shifts restrict. What an exit needs is to know who left,
    so that occupancy and anti-passback follow the person: a valid signed code identifies them
    (its colour does not matter, and neither does its hold from their own entry). A code that
    cannot be read or believed identifies nobody: a guard lets them out (staff button).

    ``zone``: the gate's zone, with ``inside_since`` the entry by which the person shown is
    inside (None: not inside). A code proves whose code it is, not who holds it: a screenshot of
    someone else's code would let its holder out in that person's name, release their replay
    hold and tell anti-passback they left, so their code could bring someone in again. An exit
    is only counted for a person the record shows inside; anyone else is refused
    (``not_inside``: a second exit without an entry between, or an exit of someone who never
    came in), except under anti-passback ``record_only``, which admits and records. Without a
    zone (``None``) there is nothing to count and whoever is identified leaves."""
    if not clock_trusted:
        return _deny(Reason.CLOCK_UNSYNCED)  # a code's age cannot be checked
    if code.status != "valid" or code.code is None:
        return _code_problem(code, CodeRules()) or _deny(Reason.CODE_MALFORMED)
    if lockdown:
        return _deny(Reason.LOCKDOWN)  # the park's order stops the gate both ways
    if zone is not None and zone.inside_since is None and zone.anti_passback != "record_only":
        return _deny(Reason.NOT_INSIDE)
    return Decision(admit=True, reason=Reason.ADMITTED, route=Route.THROUGH)


def resolve_secondary(
    clinical_c: float,
    clinical_fever_c: float,
    code: CodeSeen,
    roster_problem: RosterProblem | None,
    clock_trusted: bool = True,
    code_rules: CodeRules = CodeRules(),
    lockdown: bool = False,
    zone: ZoneState = ZoneState(),
    next_window: Opening | None = None,
) -> Decision:
    """The guard's clinical reading of a flagged person: a fever goes to the isolation room;
    otherwise the person is decided again as if the reading had been normal at the gate, so a
    red code, a missing roster entry, a lockdown in force or a person inside already still
    refuses, and a full zone makes them wait (they try the gate again when told). A worker
    refused for their shift is told ``next_window``, as at the gate."""
    if clinical_c >= clinical_fever_c:
        return _deny(Reason.FEVER, Route.ISOLATION_ROOM, Alert.FEVER)
    return decide(
        Temperature(first_c=clinical_c, mode="clinical"),
        code,
        roster_problem,
        clock_trusted=clock_trusted,
        code_rules=code_rules,
        lockdown=lockdown,
        zone=zone,
        next_window=next_window,
    )
