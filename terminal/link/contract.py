"""The MQTT contract between a gate and the park's operations centre: every topic and every
payload, as pydantic models. Payloads are built from these models; the JSON Schemas in
``docs/schemas/``, the AsyncAPI document ``docs/asyncapi.json`` and the README's topic section are
generated from them (``python -m terminal.link.contract --write``), and the tests fail when the
committed files differ from what the models generate.

Every event, alert and report is an envelope: ``schema`` (name/version), ``event_id`` (consumers
deduplicate on it), ``park``, ``gate``, ``seq`` (per gate, never reset, also across restarts),
``boot_id``, ``occurred_at`` (RFC 3339 with the gate's offset), ``clock_synced``, ``replayed``
(sent late, from the backlog) and ``data``. No raw QR payloads and no secrets travel.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from terminal.codes.plates import PLATE_PATTERN, normalise_plate
from terminal.common.safetext import unsafe_character
from terminal.rules.policy import Reason, Route

VERSION = "v1"
NAME = r"^[A-Za-z0-9_-]{1,64}$"
COMMAND_ID = r"^[A-Za-z0-9_-]{8,64}$"
PERSON = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_LOCAL_MINUTE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}"
WINDOW_INTERVAL = f"^{_LOCAL_MINUTE}/{_LOCAL_MINUTE}$"

# The largest message of the contract, in bytes of its MQTT payload (UTF-8 JSON): a roster push.
# Everything else is derived from it: the broker's packet cap (config/mosquitto/mosquitto.conf),
# the largest roster a push carries, and what a gate and the centre take in. A message over it is
# refused unread, before parsing: one message of hundreds of megabytes would otherwise take a
# gate's memory (parsed JSON takes many times its size) and, redelivered, again at each restart.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
# an MQTT packet carries its topic, packet id and properties besides the payload (a topic of the
# contract is a few hundred bytes at most)
PACKET_OVERHEAD_BYTES = 4096
MAX_PACKET_BYTES = MAX_MESSAGE_BYTES + PACKET_OVERHEAD_BYTES
# a signed command's fields other than its payload's text: ids, times, signature, the JSON
COMMAND_ENVELOPE_BYTES = 64 * 1024
# a roster's CSV in UTF-8: in the command's JSON each byte takes at most two (a quote, a
# backslash or a line end is escaped), so the largest roster still fits the largest message
MAX_ROSTER_BYTES = (MAX_MESSAGE_BYTES - COMMAND_ENVELOPE_BYTES) // 2


def oversized(payload: bytes | bytearray | memoryview | str) -> bool:
    """Whether a received payload is over the contract's largest message, by its length alone:
    what every receiver asks before it parses anything."""
    return len(payload) > MAX_MESSAGE_BYTES


class Model(BaseModel):
    # NaN and infinities are no reading, no time and no count: refused wherever they come from
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


# --- the envelope -------------------------------------------------------------------------------
class Envelope(Model):
    schema_: str = Field(alias="schema", description="payload name and version")
    event_id: str = Field(min_length=8, max_length=64, description="unique; deduplicate on it")
    park: str = Field(pattern=NAME)
    gate: str = Field(pattern=NAME)
    seq: int = Field(ge=0, description="per gate, never resets (also across restarts)")
    boot_id: str = Field(min_length=8, max_length=64, description="changes at each start")
    occurred_at: dt.datetime = Field(description="RFC 3339 with the gate's UTC offset")
    clock_synced: bool = Field(description="the gate's clock was NTP-synchronised")
    replayed: bool = Field(description="sent late, from the backlog after an outage or restart")


def _plain(text: str) -> str:
    bad = unsafe_character(text)
    if bad is not None:
        raise ValueError(f"holds a control or formatting character ({bad})")
    return text


# a text a person wrote that the gate shows, logs and records: no newline may forge a line, no
# escape clear a terminal, no bidirectional mark reorder what a guard reads
PlainText = Annotated[str, AfterValidator(_plain)]


ScreeningOutcome = Literal[
    "pass", "rest", "rest_pass", "rest_guard", "guard", "fault", "not_measured"
]


class CheckData(Model):
    person_id: str | None = Field(pattern=PERSON, description="null when no code was read")
    code: str = Field(description="green, yellow, red, none, unreadable, invalid, multiple...")
    temperature_c: float | None = Field(
        description="the estimated core temperature the decision used (not the screened reading)"
    )
    decision: Literal["admit", "deny"]
    reason: Reason
    route: Route
    check_s: float = Field(ge=0, description="from noticing the person to the decision")
    code_issuer: str | None = Field(None, description="the key id that signed the code")
    code_fingerprint: str | None = Field(
        None, description="SHA-256 of the code: traces a replay, never the code itself"
    )
    replay_of: str | None = Field(
        None, description="the admission, or open secondary check, this code or person is held by"
    )
    estimate_mode: str | None = Field(
        None, description="the screening's estimator: absolute, relative"
    )
    reference_c: float | None = Field(None, description="the relative estimator's reference")
    distance_cm: float | None = Field(None, description="where the person stood")
    next_window: str | None = Field(
        None,
        pattern=WINDOW_INTERVAL,
        description="refused for their shift: the next window the worker may come in, ISO 8601 "
        "start/end with the gate's offset (null: none in the weeks ahead)",
    )
    direction: Literal["entry", "exit"] = Field(
        "entry", description="into the gate's zone (screened) or out of it (identified only)"
    )
    object_c: float | None = Field(
        None, description="the screened reading: the forehead as the thermometer saw it"
    )
    ambient_c: float | None = Field(None, description="the air at the thermometer")
    screening: ScreeningOutcome | None = Field(
        None,
        description="the screening's word on this check: pass, rest (told to rest and scan "
        "again), rest_pass / rest_guard (the reading after a rest passed / went to the guard), "
        "guard (clearly high: to the guard at once), fault, not_measured; null at an exit",
    )
    threshold_c: float | None = Field(
        None, description="the screened reading at or above which this stage sends on"
    )
    reference_basis: Literal["baseline", "crowd", "table"] | None = Field(
        None,
        description="what the reading was held against: the person's own usual reading in "
        "similar air, the recent crowd at this gate, or the published table",
    )
    why: PlainText | None = Field(
        None, max_length=200, description="one line for the guard: why the screening sent them on"
    )
    rest_until: dt.datetime | None = Field(
        None,
        description="told to rest: when they may scan again (their first reading's time "
        "plus screening.rest_min)",
    )
    passback_of: str | None = Field(
        None,
        description="anti-passback: the admission by which this person is in the zone already "
        "(refused as anti_passback, or admitted and recorded under record_only); at an exit, "
        "the exit by which they left already (refused as not_inside, or admitted under "
        "record_only)",
    )


class CheckEvent(Envelope):
    schema_: Literal["gate.check/1"] = Field(alias="schema")
    data: CheckData


AlertKind = Literal[
    "fever",
    "suspected_fever",
    "health_code",
    "nat_positive",
    "secondary_check",
    "secondary_resolved",
    "not_returned",
    "sensor_fault",
    "sensor_recovered",
    "emergency",
    "emergency_over",
]


# the roll call an emergency alert carries: enough for a muster of a large hall, small enough
# for one message (about 100 bytes a person)
ROLL_CALL_MAX = 2000


class InsidePerson(Model):
    """Someone the gate's record shows inside its zone: who, since when, by which gate."""

    person_id: str = Field(pattern=PERSON)
    since: dt.datetime = Field(description="their entry's passage")
    gate: str = Field(pattern=NAME, description="the zone's gate they came in by")


class AlertData(Model):
    kind: AlertKind
    check_event_id: str | None = Field(
        None, description="the check that raised it (a flag's id); null for a sensor event"
    )
    person_id: str | None = Field(None, pattern=PERSON)
    temperature_c: float | None = Field(
        None, description="the screening's estimated core temperature (not the screened reading)"
    )
    object_c: float | None = Field(
        None, description="secondary_check: the screened reading (the forehead as seen)"
    )
    threshold_c: float | None = Field(
        None, description="secondary_check: the screened reading at or above which it flags"
    )
    reference_c: float | None = Field(
        None, description="secondary_check: the reading expected of this person here"
    )
    reference_basis: Literal["baseline", "crowd", "table"] | None = None
    why: PlainText | None = Field(
        None, max_length=200, description="secondary_check: why the screening sent them on"
    )
    first_c: float | None = Field(None, description="the first reading, when it was re-measured")
    route: Route | None = None
    reason: Reason | None = Field(None, description="a guard's outcome: the decision's reason")
    clinical_c: float | None = Field(None, description="the guard's clinical reading")
    guard: str | None = Field(None, max_length=64, description="who took the clinical reading")
    outcome: Literal["admitted", "refused"] | None = Field(
        None, description="secondary_resolved: what became of the person"
    )
    isolation_room: str | None = Field(None, max_length=200)
    isolation_location: str | None = Field(None, max_length=200)
    open_s: float | None = Field(None, ge=0, description="a re-alert: how long the flag is open")
    alerts: int | None = Field(None, ge=1, description="a re-alert: how many alerts so far")
    detail: str | None = Field(
        None, max_length=300, description="a sensor event or an emergency: what it was"
    )
    next_window: str | None = Field(
        None,
        pattern=WINDOW_INTERVAL,
        description="secondary_resolved, refused for their shift: the next window the worker "
        "may come in, as a check's next_window",
    )
    zone: str | None = Field(None, pattern=NAME, description="emergency: the gate's zone")
    inside: list[InsidePerson] | None = Field(
        None,
        max_length=ROLL_CALL_MAX,
        description="emergency at a gate of a zone: the roll call, who the gate's record showed "
        "inside when the alarm sounded (identified people, earliest entry first; at most "
        f"{ROLL_CALL_MAX})",
    )
    inside_count: int | None = Field(
        None,
        ge=0,
        description="emergency at a gate of a zone: the zone's occupancy by the gate's record "
        "when the alarm sounded; more than the list when people came in by a staff override "
        "(no identity) or the list was cut",
    )


class AlertEvent(Envelope):
    schema_: Literal["gate.alert/1"] = Field(alias="schema")
    data: AlertData


FaultKind = Literal[
    "internal_error",
    "record_full",
    "record_unwritable",
    "backlog_over_limit",
    "camera_fault",
    "passage_contact_stuck",
]


class FaultData(Model):
    kind: FaultKind
    active: bool = Field(description="true when the fault starts, false when it ends")
    detail: str = Field(max_length=300, description="what it means; never personal data")
    check_event_id: str | None = None


class FaultEvent(Envelope):
    schema_: Literal["gate.fault/1"] = Field(alias="schema")
    data: FaultData


class OverrideData(Model):
    action: Literal["open_once"]
    reason: str = Field(min_length=1, max_length=200)
    by: str = Field(max_length=64, description="who sent the command; the button's pin")
    source: Literal["command", "staff_button"] = Field(
        "command", description="a signed command from the centre, or the staff button"
    )
    command_id: str | None = Field(
        None, pattern=COMMAND_ID, description="the command's id; null for the button"
    )


class OverrideEvent(Envelope):
    schema_: Literal["gate.override/1"] = Field(alias="schema")
    data: OverrideData


class PassageData(Model):
    admission_id: str = Field(
        min_length=8, max_length=64, description="the admitting check's or override's event_id"
    )
    admitted_by: Literal["check", "guard", "command", "staff_button"]
    person_id: str | None = Field(pattern=PERSON, description="null for an override")
    outcome: Literal["waiting", "passed", "not_passed", "unconfirmed", "unknown"] = Field(
        description="waiting: the passage opened (an admission), sent at once by a gate with a "
        "passage contact so that the zone's other gates hold a place for it until it closes; "
        "the same admission_id is sent again when it closes (passed or not_passed); not a "
        "passage through. unconfirmed: a gate of a zone without a passage contact; counted as "
        "passed. unknown: the gate stopped during the window and cannot tell, sent when it "
        "starts again; counted as passed (the zone is not under-counted)"
    )
    released_at: dt.datetime = Field(description="the turnstile released for them")
    passed_at: dt.datetime | None = Field(description="the turnstile's passage-complete signal")
    window_s: float | None = Field(
        gt=0,
        le=60,  # a gate's passage window is at most a minute ([inputs.passage] window_s)
        description="how long the release was held for them (null: no passage contact)",
    )
    direction: Literal["entry", "exit"] = Field(
        "entry", description="into the gate's zone or out of it"
    )
    zone: str | None = Field(
        None,
        pattern=NAME,
        description="the zone it led into or out of; the zone's other gates count it too",
    )


class PassageEvent(Envelope):
    schema_: Literal["gate.passage/1"] = Field(alias="schema")
    data: PassageData


VehicleReason = Literal[
    "admitted",
    "driver_denied",
    "driver_not_screened",
    "admission_not_held",
    "lockdown",
    "no_vehicle",
    "no_driver_waiting",
    "permit_other_driver",
    "permit_malformed",
    "permit_unknown_issuer",
    "permit_bad_signature",
    "permit_expired",
]


class VehicleData(Model):
    plate: str | None = Field(
        pattern=f"^{PLATE_PATTERN}$",
        description="a Chinese licence plate; null when no vehicle came or a permit was not "
        "believed",
    )
    driver: str | None = Field(
        pattern=PERSON, description="the driver's person id; null when no driver is known"
    )
    purpose: str | None = Field(min_length=1, max_length=200)
    decision: Literal["admit", "deny"] = Field(
        description="admit: the barrier lifted for this vehicle, once"
    )
    reason: VehicleReason = Field(
        description="admitted: the driver's own check admitted them and their admission was "
        "held for the vehicle; driver_denied: their check refused them; driver_not_screened: no "
        "check of the driver within vehicles.driver_check_max_age_s; admission_not_held: their "
        "admission lapsed or let a vehicle in already; lockdown: the centre locked the gate down "
        "since the driver's check (their admission stays held); no_vehicle: no vehicle came within "
        "vehicles.admission_hold_s, the admission lapsed; no_driver_waiting: a permit shown with "
        "no admitted driver waiting; permit_other_driver: the permit names another driver; "
        "permit_*: the permit is not believed (malformed, unknown issuer, bad signature, expired)"
    )
    driver_check_id: str | None = Field(description="the driver's check's event_id")
    by: str = Field(
        max_length=64,
        description="the guard who entered the vehicle, the permit's issuer (VP1/<key id>), "
        "or 'gate' for a lapse",
    )
    command_id: str | None = Field(
        pattern=COMMAND_ID, description="the guard's command; null for a permit or a lapse"
    )
    source: Literal["command", "permit", "lapse"] = Field(
        default="command", description="how the vehicle became known, or that none did"
    )


class VehicleEvent(Envelope):
    schema_: Literal["gate.vehicle/1"] = Field(alias="schema")
    data: VehicleData


PassageOutcome = Literal["passed", "not_passed", "unconfirmed", "unknown", "waiting"]


class DailyReportData(Model):
    date: dt.date = Field(description="the gate's local calendar day")
    timezone: str
    checks: int = Field(ge=0)
    admitted: int = Field(ge=0)
    denied_by_reason: dict[str, int]
    flags: int = Field(ge=0, description="alerts raised to security")
    secondary_checks: int = Field(ge=0, description="people routed to a secondary check")
    fevers_confirmed: int = Field(ge=0)
    faults: int = Field(ge=0, description="faults that started this day")
    uptime_s: float = Field(ge=0, description="seconds of the day the gate service ran")
    passages_by_outcome: dict[PassageOutcome, int] = Field(
        default_factory=dict,
        description="this gate's admissions of the day by what became of their passage: passed "
        "(the contact confirmed it), not_passed (turned back: not through within the window), "
        "unconfirmed "
        "(no passage contact), unknown (the gate stopped during the window), waiting (still "
        "open when the report was made)",
    )
    passages_by_direction: dict[Literal["entry", "exit"], int] = Field(
        default_factory=dict,
        description="this gate's passages of the day that went through (passed, unconfirmed, "
        "unknown: as occupancy counts them), by direction",
    )


class DailyReportEvent(Envelope):
    schema_: Literal["gate.report.daily/1"] = Field(alias="schema")
    data: DailyReportData


# a page of a person's data carries at most this much JSON: far under the largest message, so a
# page is never refused however its rows are spelt
PERSON_PAGE_BYTES = 1024 * 1024
MAX_PERSON_PAGES = 1000


class PersonDataPage(Model):
    """One page of what a gate's record holds about one person, asked by ``export_person``."""

    request_id: str = Field(pattern=COMMAND_ID, description="the export_person command's id")
    person_id: str = Field(pattern=PERSON)
    page: int = Field(ge=1, le=MAX_PERSON_PAGES)
    pages: int = Field(ge=1, le=MAX_PERSON_PAGES, description="how many pages the answer has")
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="table of the gate's record -> its rows about the person, as stored (times "
        "in seconds since the epoch, UTC); roster: their line of the roster files"
    )


class PersonDataEvent(Envelope):
    schema_: Literal["gate.person.data/1"] = Field(alias="schema")
    data: PersonDataPage


class CommandResultData(Model):
    command_id: str = Field(max_length=64)
    name: str = Field(pattern=NAME)
    outcome: Literal["done", "refused", "failed"]
    detail: str = Field(max_length=300)
    issued_by: str | None = Field(max_length=64)


class CommandResultEvent(Envelope):
    schema_: Literal["gate.command.result/1"] = Field(alias="schema")
    data: CommandResultData


# --- status and metrics (latest value, not events) --------------------------------------------
class ConnectionProblem(Model):
    kind: Literal["refused", "unknown_host", "tls_failure", "not_authorised", "unreachable", "lost"]
    since: dt.datetime
    ended: dt.datetime | None = None


class DeviceHealth(Model):
    camera: Literal["ok", "failing"]
    thermometer: Literal["ok", "failing"] = Field(description="as of the last measurement")
    record: Literal["ok", "full", "unwritable"]


class ZoneStatus(Model):
    name: str = Field(pattern=NAME)
    capacity: int | None = Field(ge=1, description="null: the zone has no capacity")
    inside: int = Field(ge=0, description="the zone's occupancy now, by the gate's record")


class ScreeningStatus(Model):
    """Today's screening at the gate, for the board: the guard load against the park's budget,
    who is resting and who never came back, and what the rule catches at that load (an
    estimate from the gate's own model, never a count of fevers)."""

    budget: float = Field(ge=0, le=1, description="screening.secondary_budget")
    screened_today: int = Field(ge=0, description="people screened since local midnight")
    sent_to_guard_today: int = Field(ge=0, description="of them, sent to the secondary check")
    rested_today: int = Field(ge=0, description="of them, told to rest and scan again")
    resting_now: int = Field(ge=0, description="told to rest, not back yet, still in time")
    not_returned_today: int = Field(ge=0, description="told to rest and never came back")
    estimated_catch: float | None = Field(
        None,
        ge=0,
        le=1,
        description="an estimate from the gate's model: the share of fevers (core 37.5 °C or "
        "more) its rule sends to the guard at today's load; null until it has seen enough",
    )


class Status(Model):
    schema_: Literal["gate.status/1"] = Field(alias="schema")
    park: str = Field(pattern=NAME)
    gate: str = Field(pattern=NAME)
    state: Literal["online", "offline", "lost"] = Field(
        description="online on every connect; offline on a clean stop; lost: the last will"
    )
    boot_id: str
    software_version: str
    config_hash: str = Field(description="SHA-256 of the configuration file, first 16 digits")
    board: str | None = Field(
        default=None,
        max_length=80,
        description="the Raspberry Pi's model as its device tree names it (e.g. Raspberry Pi 5 "
        "Model B Rev 1.0); null on a simulated gate",
    )
    occurred_at: dt.datetime | None = Field(description="null in the last will")
    health: DeviceHealth | None = None
    lockdown: bool | None = None
    emergency: bool | None = Field(
        default=None, description="the fire alarm sounds: the turnstile is free, nobody screened"
    )
    risk_tier: Literal["low", "medium", "high"] | None = None
    faults: list[FaultKind] = Field(default_factory=list)
    backlog: int | None = Field(default=None, ge=0, description="events waiting to be sent")
    connection_problem: ConnectionProblem | None = Field(
        default=None, description="the last one, when it started and ended"
    )
    zone_assumption: str | None = Field(
        default=None,
        description="cut off from the other gates of its zone: what the gate assumes meanwhile "
        "(e.g. counting own passages only since 08:10; occupancy may be under-counted)",
    )
    zone: ZoneStatus | None = Field(
        default=None,
        description="the gate's zone as it knows it: sent again whenever its occupancy changes; "
        "null for a gate without a zone",
    )
    screening: ScreeningStatus | None = Field(
        default=None,
        description="today's screening: guard load, resting, not returned (sent again when it "
        "changes, at most once a minute); null at an exit gate",
    )


class Metrics(Model):
    schema_: Literal["gate.metrics/1"] = Field(alias="schema")
    park: str = Field(pattern=NAME)
    gate: str = Field(pattern=NAME)
    boot_id: str
    occurred_at: dt.datetime
    backlog: int = Field(ge=0)
    sent_total: int = Field(ge=0)
    checks_since_boot: int = Field(ge=0)
    uptime_s: float = Field(ge=0)
    refused_oversized: int = Field(
        0,
        ge=0,
        description="messages refused unread since the gate started: over the contract's "
        f"largest message ({MAX_MESSAGE_BYTES} bytes)",
    )


# --- commands from the centre ------------------------------------------------------------------


class SignedCommand(Model):
    """A command: signed by the centre's Ed25519 key (``key_id`` names it) over the canonical JSON
    of every other field (keys sorted, no spaces, UTF-8). Refused when expired, when its
    ``command_id`` (the nonce) was already run, or when it names another gate."""

    schema_: Literal["gate.command/1"] = Field(alias="schema")
    command_id: str = Field(pattern=COMMAND_ID, description="the nonce: never run twice")
    name: str = Field(pattern=NAME)
    park: str = Field(pattern=NAME)
    gate: str = Field(pattern=NAME)
    issued_by: PlainText = Field(min_length=1, max_length=64, description="who sends it")
    issued_at: dt.datetime
    expires_at: dt.datetime = Field(description="a command not run by then is refused")
    payload: dict[str, Any]
    key_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    signature: str = Field(description="base64url Ed25519 signature, no padding")


class LockdownPayload(Model):
    on: bool = Field(description="true: nobody is admitted except by a staff open-once")
    reason: PlainText = Field(min_length=1, max_length=200)


class OpenOncePayload(Model):
    reason: PlainText = Field(min_length=1, max_length=200)


ID = r"^[A-Za-z0-9_.:-]{1,64}$"


class ResolveSecondaryPayload(Model):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    flag_id: str = Field(pattern=ID, description="the event_id of the check that raised the flag")
    result: Literal["normal", "fever"] = Field(
        description="must agree with clinical_c against the gate's secondary.clinical_fever_c"
    )
    # no clinical thermometer reads a living person outside this
    clinical_c: float = Field(ge=34.0, le=43.0, description="the clinical reading, °C")
    guard: str = Field(pattern=ID, description="who measured: written into the record")


class PushRosterPayload(Model):
    kind: Literal["workers", "visitors"]
    csv: str = Field(
        max_length=MAX_ROSTER_BYTES,  # a character is a byte at least: a first, cheap bound
        description="the whole roster file, validated first; at most "
        f"{MAX_ROSTER_BYTES} bytes in UTF-8",
    )

    @field_validator("csv")
    @classmethod
    def _within_bytes(cls, value: str) -> str:
        # counted in bytes, as the message carrying it is: a character takes up to four
        size = len(value.encode("utf-8", errors="surrogatepass"))
        if size > MAX_ROSTER_BYTES:
            raise ValueError(f"{size} bytes in UTF-8, over the {MAX_ROSTER_BYTES} a push carries")
        return value


class VehicleEntryPayload(Model):
    plate: str = Field(
        pattern=f"^{PLATE_PATTERN}$",
        description="a Chinese licence plate (7 characters, new energy 8); a dot or spaces "
        "between its parts and lower-case letters are taken and recorded without",
    )
    driver: str = Field(pattern=PERSON, description="the driver's person id, as on the roster")
    purpose: PlainText = Field(min_length=1, max_length=200, description="why the vehicle comes")

    @field_validator("plate", mode="before")
    @classmethod
    def _one_spelling(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return normalise_plate(value)
        except ValueError:
            return value  # the pattern then refuses it, naming the field


class SetRiskTierPayload(Model):
    tier: Literal["low", "medium", "high"]


# a pseudonym is never a person's id: no roster id starts with it
PSEUDONYM = r"^erased-[0-9a-f]{8}$"


class ExportPersonPayload(Model):
    person_id: str = Field(
        pattern=PERSON, description="whose data: the gate sends every row about them on person/data"
    )


class ErasePersonPayload(Model):
    person_id: str = Field(pattern=PERSON, description="whose data to erase")
    pseudonym: str = Field(
        pattern=PSEUDONYM,
        description="what replaces every mention of them: erased- and 8 hex digits, new for "
        "each request, the same at every gate and at the centre",
    )
    mode: Literal["pseudonymise", "delete"] = Field(
        "pseudonymise",
        description="pseudonymise: the rows stay (the record of every check is kept for the "
        "retention period), their id and code fingerprint replaced by the pseudonym and free "
        "text about them cleared; delete: their rows are deleted (messages not yet sent go out "
        "pseudonymised)",
    )


COMMAND_PAYLOADS: dict[str, type[Model]] = {
    "lockdown": LockdownPayload,
    "open_once": OpenOncePayload,
    "resolve_secondary": ResolveSecondaryPayload,
    "push_roster": PushRosterPayload,
    "set_risk_tier": SetRiskTierPayload,
    "vehicle_entry": VehicleEntryPayload,
    "export_person": ExportPersonPayload,
    "erase_person": ErasePersonPayload,
}


# --- topics ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TopicSpec:
    suffix: str  # under gate/v1/{park}/{gate}/
    model: type[Model]
    direction: Literal["gate->centre", "centre->gate"]
    qos: int
    retained: bool
    about: str


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("status", Status, "gate->centre", 1, True,
              "online on every connect, offline on a clean stop, lost as the last will; boot id, "
              "version, config hash, device health, lockdown, risk tier, faults, backlog, the "
              "last connection problem, the zone's occupancy (again at each change)"),
    TopicSpec("event/check", CheckEvent, "gate->centre", 1, False,
              "every check: the person, the decision, the reason, the route"),
    TopicSpec("alert/fever", AlertEvent, "gate->centre", 1, False,
              "a fever confirmed by the guard's clinical reading: routed to the isolation room"),
    TopicSpec("alert/suspected_fever", AlertEvent, "gate->centre", 1, False,
              "a high reading that could not be re-measured"),
    TopicSpec("alert/health_code", AlertEvent, "gate->centre", 1, False,
              "a code colour that routes the person to the isolation room"),
    TopicSpec("alert/nat_positive", AlertEvent, "gate->centre", 1, False,
              "a positive nucleic-acid test on the roster: routed to the isolation room"),
    TopicSpec("alert/secondary_check", AlertEvent, "gate->centre", 1, False,
              "a person flagged by the screening waits at the secondary check point; sent "
              "again every secondary.realert_s until a guard resolves it"),
    TopicSpec("alert/secondary_resolved", AlertEvent, "gate->centre", 1, False,
              "a guard's normal clinical reading: admitted by staff, or still refused"),
    TopicSpec("alert/sensor_fault", AlertEvent, "gate->centre", 1, False,
              "the thermometer failed (once per run of faults)"),
    TopicSpec("alert/sensor_recovered", AlertEvent, "gate->centre", 1, False,
              "the thermometer reads again"),
    TopicSpec("alert/emergency", AlertEvent, "gate->centre", 1, False,
              "the fire alarm sounds (or its wire is cut): the turnstile is held free and "
              "screening stops; at a gate of a zone, who its record shows inside (the roll call)"),
    TopicSpec("alert/emergency_over", AlertEvent, "gate->centre", 1, False,
              "the fire alarm has cleared: the turnstile shuts and screening resumes"),
    TopicSpec("event/fault", FaultEvent, "gate->centre", 1, False,
              "a fault starts or ends (record full, backlog over its limit, internal error)"),
    TopicSpec("event/override", OverrideEvent, "gate->centre", 1, False,
              "staff opened the turnstile once, by command or with the staff button, and why"),
    TopicSpec("event/passage", PassageEvent, "gate->centre", 1, False,
              "with a passage sensor: whether an admitted person went through the turnstile "
              "within the passage window; at a gate of a zone, every passage (its direction and "
              "zone), read by the zone's other gates too"),
    TopicSpec("event/vehicle", VehicleEvent, "gate->centre", 1, False,
              "a vehicle at a vehicle gate, entered by the guard or shown by its permit: plate, "
              "driver, purpose and whether the barrier lifted for it; or a driver's admission "
              "that lapsed with no vehicle"),
    TopicSpec("report/daily", DailyReportEvent, "gate->centre", 1, False,
              "the day's counts at the configured local time, sent even when all are zero"),
    TopicSpec("metrics", Metrics, "gate->centre", 0, False,
              "backlog, messages sent, checks and uptime, every half minute"),
    TopicSpec("person/data", PersonDataEvent, "gate->centre", 1, False,
              "a person's own data, asked by export_person: every row of the gate's record "
              "about them, in pages (page n of m) of at most "
              f"{PERSON_PAGE_BYTES} bytes of JSON; read by the centre alone"),
    TopicSpec("cmd/{name}", SignedCommand, "centre->gate", 1, False,
              "a signed, expiring command: " + ", ".join(COMMAND_PAYLOADS)),
    TopicSpec("cmd/{name}/result", CommandResultEvent, "gate->centre", 1, False,
              "what became of a command: done, refused (and why) or failed"),
)  # fmt: skip


@dataclass(frozen=True)
class GateTopics:
    park: str
    gate: str

    @property
    def base(self) -> str:
        return f"gate/{VERSION}/{self.park}/{self.gate}"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def check(self) -> str:
        return f"{self.base}/event/check"

    def alert(self, kind: str) -> str:
        return f"{self.base}/alert/{kind}"

    @property
    def alerts(self) -> str:
        """A subscription to every alert of this gate."""
        return f"{self.base}/alert/+"

    @property
    def fault(self) -> str:
        return f"{self.base}/event/fault"

    @property
    def override(self) -> str:
        return f"{self.base}/event/override"

    @property
    def passage(self) -> str:
        return f"{self.base}/event/passage"

    @property
    def vehicle(self) -> str:
        return f"{self.base}/event/vehicle"

    @property
    def daily_report(self) -> str:
        return f"{self.base}/report/daily"

    @property
    def metrics(self) -> str:
        return f"{self.base}/metrics"

    @property
    def person_data(self) -> str:
        return f"{self.base}/person/data"

    def command(self, name: str) -> str:
        return f"{self.base}/cmd/{name}"

    @property
    def commands(self) -> str:
        """The subscription a gate makes to its own commands."""
        return f"{self.base}/cmd/+"

    def command_result(self, name: str) -> str:
        return f"{self.base}/cmd/{name}/result"

    def command_name(self, topic: str) -> str | None:
        prefix = f"{self.base}/cmd/"
        if not topic.startswith(prefix) or "/" in topic[len(prefix) :]:
            return None
        return topic[len(prefix) :]


def first_problem(exc: ValidationError, prefix: str = "") -> str:
    """A payload's first validation error in one line: where (``prefix`` + field path) and what."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    return f"{prefix}{where}: {error['msg']}"


def to_json(model: BaseModel) -> str:
    return json.dumps(
        model.model_dump(mode="json", by_alias=True), separators=(",", ":"), sort_keys=True
    )


def canonical_json(data: dict[str, Any]) -> bytes:
    """The bytes a command's signature covers: the object without ``signature``."""
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(unsigned, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode(
        "utf-8"
    )


# --- generated documents -----------------------------------------------------------------------
def schema_file(model: type[BaseModel]) -> str:
    return f"{model.__name__}.schema.json"


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for every payload and command payload."""
    models: list[type[BaseModel]] = [spec.model for spec in TOPICS]
    models += list(COMMAND_PAYLOADS.values())
    schemas: dict[str, dict[str, Any]] = {}
    for model in models:
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = schema_file(model)
        schemas[schema_file(model)] = schema
    return schemas


def size_rule() -> str:
    """The size limit, as the generated documents state it."""
    return (
        f"No message is larger than {MAX_MESSAGE_BYTES} bytes of payload (a roster push of "
        f"{MAX_ROSTER_BYTES} bytes of CSV at most); the park's broker refuses a packet over "
        f"{MAX_PACKET_BYTES} bytes, and gates and the centre refuse a larger message unread."
    )


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in TOPICS:
        key = spec.suffix.replace("/", "_").replace("{name}", "name")
        message_name = spec.model.__name__
        messages[message_name] = {
            "name": message_name,
            "contentType": "application/json",
            "payload": {"$ref": f"schemas/{schema_file(spec.model)}"},
        }
        parameters: dict[str, Any] = {"park": {}, "gate": {}}
        if "{name}" in spec.suffix:
            parameters["name"] = {"enum": list(COMMAND_PAYLOADS)}
        channels[key] = {
            "address": "gate/v1/{park}/{gate}/" + spec.suffix,
            "description": spec.about,
            "parameters": parameters,
            "messages": {message_name: {"$ref": f"#/components/messages/{message_name}"}},
            "bindings": {"mqtt": {"qos": spec.qos, "retain": spec.retained}},
        }
        action = "send" if spec.direction == "gate->centre" else "receive"
        operations[f"{action}_{key}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": spec.about,
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "gate-terminal operations link",
            "version": "1.0.0",
            "description": (
                "What a gate terminal sends to the park's operations centre, and the signed "
                "commands it takes. Generated from terminal/link/contract.py. " + size_rule()
            ),
            "x-max-message-bytes": MAX_MESSAGE_BYTES,
            "x-max-packet-bytes": MAX_PACKET_BYTES,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


README_START = "<!-- topics: generated by python -m terminal.link.contract --write -->"
README_END = "<!-- topics: end -->"


def readme_topics() -> str:
    lines = [
        README_START,
        "",
        "| topic under `gate/v1/{park}/{gate}/` | direction | QoS | payload | what |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in TOPICS:
        retained = ", retained" if spec.retained else ""
        lines.append(
            f"| `{spec.suffix}` | {spec.direction} | {spec.qos}{retained} | "
            f"[`{spec.model.__name__}`](docs/schemas/{schema_file(spec.model)}) | {spec.about} |"
        )
    lines += ["", size_rule()]
    lines += ["", "Command payloads (the `payload` of a `cmd/{name}`):", ""]
    for name, model in COMMAND_PAYLOADS.items():
        fields = ", ".join(f"`{f}`" for f in model.model_fields)
        lines.append(f"- `{name}`: {fields} ([schema](docs/schemas/{schema_file(model)}))")
    lines += ["", README_END]
    return "\n".join(lines)


def render_readme(text: str) -> str:
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    return text[:start] + readme_topics() + text[end:]


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """Path relative to the repository -> the text it must hold (README handled apart)."""
    files = {f"docs/schemas/{name}": _dump(s) for name, s in json_schemas().items()}
    files["docs/asyncapi.json"] = _dump(asyncapi())
    return files


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="regenerate the MQTT contract's documents")
    parser.add_argument("--write", action="store_true", help="write them (default: check)")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    stale = []
    wanted = generated_files()
    readme = args.repo / "README.md"
    wanted["README.md"] = render_readme(readme.read_text(encoding="utf-8"))
    for relative, text in wanted.items():
        path = args.repo / relative
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(relative)
            if args.write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    for relative in stale:
        print(f"{'wrote' if args.write else 'stale'}: {relative}")
    return 0 if args.write or not stale else 1


if __name__ == "__main__":
    raise SystemExit(main())
