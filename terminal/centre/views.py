"""What the centre's store hands out: the board's and the desk's views of gates, flags, zones,
checks and commands, frozen (a page renders them, never changes them), and the settings the
board's judgements depend on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from terminal.centre.flags import flag_ref

GateState = Literal["online", "offline", "lost", "silent", "unknown"]
ReportState = Literal["sent", "late", "due"]
FlagKind = Literal[
    "secondary_check", "fever", "suspected_fever", "health_code", "nat_positive", "not_returned"
]
FlagState = Literal["open", "admitted", "refused", "fever_confirmed", "escorted", "dismissed"]
CommandOutcome = Literal["sent", "done", "refused", "failed", "expired"]
Role = Literal["guard", "health_officer", "viewer"]

ROLES: tuple[str, ...] = ("guard", "health_officer", "viewer")
# alerts that send a person to the isolation room: someone must escort them there
ISOLATION_KINDS = frozenset({"fever", "suspected_fever", "health_code", "nat_positive"})
# the thermometer's failure travels as an alert; on the board it is a fault like the others
THERMOMETER_FAULT = "thermometer"
# a gate's fire alarm: its turnstile is held free, nobody is screened, until it clears
EMERGENCY = "emergency"
# alerts about the gate itself, not about a person: kept as the gate's faults, never as flags
GATE_ALERTS = {
    "sensor_fault": (THERMOMETER_FAULT, True, "the thermometer failed"),
    "sensor_recovered": (THERMOMETER_FAULT, False, "reads again"),
    "emergency": (EMERGENCY, True, "fire alarm: the turnstile is held free"),
    "emergency_over": (EMERGENCY, False, "fire alarm cleared: screening again"),
}


# --- the views ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScreeningView:
    """A gate's screening today, as its newest status tells it (contract.ScreeningStatus)."""

    budget: float
    screened_today: int
    sent_to_guard_today: int
    rested_today: int
    resting_now: int
    not_returned_today: int
    estimated_catch: float | None = None

    @property
    def load(self) -> float | None:
        """The share of today's screened people sent to the guard; None before anyone."""
        if self.screened_today <= 0:
            return None
        return self.sent_to_guard_today / self.screened_today

    @property
    def over_budget(self) -> bool:
        load = self.load
        return load is not None and load > self.budget


@dataclass(frozen=True)
class BoardSettings:
    """What the board's judgements depend on (from the centre's config)."""

    # a gate that said it is online but sent neither status nor metrics for this long is silent
    offline_after_s: float = 90.0
    # the local time after which a gate without today's daily report is late
    report_due_at: time = time(23, 59)
    timezone: str = "Asia/Shanghai"
    # gates the park expects: shown (as "unknown") before they ever sent anything
    expected_gates: tuple[tuple[str, str], ...] = ()
    # a sent command with no result this long after its expiry is shown as expired
    command_lifetime_s: float = 60.0


@dataclass(frozen=True)
class GateView:
    park: str
    gate: str
    state: GateState
    last_seen: datetime | None
    lockdown: bool | None
    risk_tier: str | None
    faults: list[str]
    backlog: int | None
    health: dict[str, Any] | None
    connection_problem: dict[str, Any] | None
    checks_today: int
    report_today: ReportState
    software_version: str | None = None
    boot_id: str | None = None
    screening: ScreeningView | None = None


@dataclass(frozen=True)
class FlagView:
    flag_id: str
    park: str
    gate: str
    person_id: str | None
    kind: FlagKind
    temperature_c: float | None
    first_c: float | None
    route: str | None
    isolation_room: str | None
    isolation_location: str | None
    raised_at: datetime
    alerts: int
    last_alert_at: datetime
    state: FlagState
    clinical_c: float | None
    guard: str | None
    resolved_at: datetime | None
    taken_by: str | None
    taken_at: datetime | None
    escorted_by: str | None
    escorted_at: datetime | None
    escort_note: str | None = None
    reason: str | None = None
    # why the screening sent the person on (an older gate's alert leaves these empty)
    object_c: float | None = None
    threshold_c: float | None = None
    reference_c: float | None = None
    reference_basis: str | None = None
    why: str | None = None
    # who an unidentified person is, as the guard recorded it
    identity: str | None = None
    identified_by: str | None = None
    identified_at: datetime | None = None
    # raised again to the second role: nobody took it in time
    escalated_at: datetime | None = None
    # a person told to rest who never came back: dismissed with a note
    dismissed_by: str | None = None
    dismissed_at: datetime | None = None
    dismiss_note: str | None = None
    # not_returned: when the gate told them to rest (their check's time, when it arrived)
    told_at: datetime | None = None

    @property
    def ref(self) -> str:
        """What names this flag to :meth:`Store.flag` (the same id may be two gates' flags)."""
        return flag_ref(self.park, self.gate, self.flag_id)

    @property
    def is_open(self) -> bool:
        """Still waiting for someone: an unresolved flag, or a person not yet escorted."""
        return self.state == "open" or self.state == "fever_confirmed"


@dataclass(frozen=True)
class FaultView:
    park: str
    gate: str
    kind: str
    active: bool
    detail: str
    since: datetime


# the flags a search for "fevers and flags" finds: a person the screening sent to the guard, a
# fever a clinical reading confirmed, a person sent to the isolation room (a person told to rest
# who did not come back is no reading of theirs)
SEARCHED_FLAG_KINDS = ("secondary_check", "fever", "suspected_fever", "health_code", "nat_positive")


@dataclass(frozen=True)
class CheckQuery:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    gate: str | None = None  # without regard to case
    person_id: str | None = None  # without regard to case
    decision: str | None = None
    reason: str | None = None
    # any of these reasons (a word of the table may name several); with ``reason``, both hold
    reasons: tuple[str, ...] = ()
    flagged: bool = False  # only the checks that raised a flag of SEARCHED_FLAG_KINDS


@dataclass(frozen=True)
class CheckView:
    event_id: str
    park: str
    gate: str
    occurred_at: datetime
    person_id: str | None
    code: str
    temperature_c: float | None
    decision: str
    reason: str
    route: str
    replayed: bool
    object_c: float | None = None  # the screened reading; temperature_c is the estimated core
    screening: str | None = None
    identified_as: str | None = None  # an unidentified person's identity, as a guard recorded it
    # the flag this check raised, if any: its kind, how it ended (its state), the guard's
    # clinical reading and who took it and when, and where the person was sent
    flag: str | None = None
    outcome: str | None = None
    clinical_c: float | None = None
    checked_by: str | None = None
    checked_at: datetime | None = None
    went_to: str | None = None
    isolation_room: str | None = None

    @property
    def estimated_core_c(self) -> float | None:
        return self.temperature_c

    @property
    def screened_c(self) -> float | None:
        return self.object_c


@dataclass(frozen=True)
class FlagWait:
    """A gate's queue of flags at the desk: how many wait, and how long a flag there took to
    resolve lately (an estimate; ``default`` when none resolved there lately)."""

    gate: str
    waiting: int
    expected_s: float
    resolved_lately: int

    @property
    def default(self) -> bool:
        return self.resolved_lately == 0


@dataclass(frozen=True)
class VehicleQuery:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    gate: str | None = None
    plate: str | None = None  # a plate or a part of one, as the record spells it


@dataclass(frozen=True)
class VehicleView:
    """A vehicle at a vehicle gate (or a driver's admission that lapsed), as its event says."""

    event_id: str
    park: str
    gate: str
    occurred_at: datetime
    plate: str | None
    driver: str | None
    purpose: str | None
    decision: str
    reason: str
    by: str
    source: str
    driver_check_id: str | None


@dataclass(frozen=True)
class CommandView:
    command_id: str
    name: str
    park: str
    gate: str
    issued_by: str | None
    issued_at: datetime
    payload_summary: str
    outcome: CommandOutcome
    detail: str


@dataclass(frozen=True)
class AuditView:
    at: datetime
    user: str
    action: str
    detail: str


@dataclass(frozen=True)
class ZoneGateView:
    """One gate's word on its zone, from its latest status."""

    gate: str
    state: GateState
    inside: int
    capacity: int | None
    assumption: str | None
    reported_at: datetime


@dataclass(frozen=True)
class ZoneView:
    park: str
    name: str
    gates: list[ZoneGateView]
    waits_today: int  # zone_full: people told to wait for room
    passback_today: int  # anti_passback refusals
    not_inside_today: int  # exits refused: not inside by the record

    @property
    def disagree(self) -> bool:
        """The gates count differently (one cut off, a passage not yet heard by all)."""
        return len({(g.inside, g.capacity) for g in self.gates}) > 1

    @property
    def inside(self) -> int:
        return max(g.inside for g in self.gates)

    @property
    def capacity(self) -> int | None:
        capacities = [g.capacity for g in self.gates if g.capacity is not None]
        return min(capacities) if capacities else None

    @property
    def full(self) -> bool:
        return any(g.capacity is not None and g.inside >= g.capacity for g in self.gates)


@dataclass(frozen=True)
class MusterPersonView:
    person_id: str
    since: datetime
    by_gate: str
    accounted_by: str | None
    accounted_at: datetime | None


@dataclass(frozen=True)
class MusterView:
    """The roll call of a gate's fire alarm: who its record showed inside its zone then."""

    emergency_id: str
    park: str
    gate: str
    zone: str | None
    started_at: datetime
    inside_count: int  # the zone's occupancy by the gate's record then
    people: list[MusterPersonView]

    @property
    def unaccounted(self) -> int:
        return sum(1 for person in self.people if person.accounted_by is None)

    @property
    def unnamed(self) -> int:
        """Counted inside but not on the list: let in by a staff override (no identity)."""
        return max(0, self.inside_count - len(self.people))


@dataclass(frozen=True)
class UserView:
    name: str
    role: Role
    password_hash: str = field(repr=False)
    created_at: datetime | None = None
