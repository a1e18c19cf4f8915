"""The operations centre's database: what the gates sent, and what the centre's staff did.

One :class:`Store` over SQLite (the default: a file, nothing to install) or PostgreSQL (a park's or
a district's server), with the same behaviour on both. The collector feeds it with
:meth:`Store.ingest`; the security desk and the board read it.

Events are deduplicated on their ``event_id`` (a gate sends again what it is not sure arrived, and
several collectors may each see a message once); the latest status and metrics of a gate win by
their ``occurred_at``. Every change is made in one transaction, so a message the collector
acknowledges after :meth:`Store.ingest` returns is stored, or was a duplicate.

Messages may arrive out of order (several collectors, a gate's backlog sent late): a flag's state
only moves forward (open -> admitted / refused / fever_confirmed -> escorted), whatever the order.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from terminal.centre.database import Database, connect
from terminal.centre.errors import CentreError
from terminal.centre.flags import (
    ESCORT,
    FLAG_COLUMNS,
    FLAGS_INDEX,
    TAKE,
    FlagKey,
    flag_ref,
    flags_table,
    parse_flag_ref,
    record_alert,
)
from terminal.centre.migrations import SchemaError, upgrade
from terminal.common.safetext import printable
from terminal.link import contract

log = logging.getLogger(__name__)

GateState = Literal["online", "offline", "lost", "silent", "unknown"]
ReportState = Literal["sent", "late", "due"]
FlagKind = Literal["secondary_check", "fever", "suspected_fever", "health_code", "nat_positive"]
FlagState = Literal["open", "admitted", "refused", "fever_confirmed", "escorted"]
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


@dataclass(frozen=True)
class CheckQuery:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    gate: str | None = None
    person_id: str | None = None
    decision: str | None = None
    reason: str | None = None


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


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- time helpers ------------------------------------------------------------------------------
def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("a time without its zone")
    return moment.timestamp()


def _moment(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC)


def _moment_required(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[float, float]:
    """[start, end) of a local calendar day, in epoch seconds (23 or 25 hours across DST)."""
    start = datetime.combine(day, time(0, 0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    return start.timestamp(), end.timestamp()


# --- the schema --------------------------------------------------------------------------------
# plain SQL both databases take; {id} is the dialect's auto-increment key
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL, schema TEXT NOT NULL,
        topic TEXT NOT NULL, occurred_s DOUBLE PRECISION NOT NULL,
        received_s DOUBLE PRECISION NOT NULL, replayed INTEGER NOT NULL, payload TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS checks (
        event_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL,
        occurred_s DOUBLE PRECISION NOT NULL, person_id TEXT, code TEXT NOT NULL,
        temperature_c DOUBLE PRECISION, decision TEXT NOT NULL, reason TEXT NOT NULL,
        route TEXT NOT NULL, replayed INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS checks_time ON checks (occurred_s)",
    "CREATE INDEX IF NOT EXISTS checks_person ON checks (person_id, occurred_s)",
    """CREATE TABLE IF NOT EXISTS gates (
        park TEXT NOT NULL, gate TEXT NOT NULL, state TEXT, boot_id TEXT,
        software_version TEXT, status_occurred_s DOUBLE PRECISION, last_seen_s DOUBLE PRECISION,
        health TEXT, lockdown INTEGER, risk_tier TEXT, faults TEXT, backlog BIGINT,
        backlog_occurred_s DOUBLE PRECISION, connection_problem TEXT,
        PRIMARY KEY (park, gate))""",
    flags_table(),
    FLAGS_INDEX,
    """CREATE TABLE IF NOT EXISTS faults (
        park TEXT NOT NULL, gate TEXT NOT NULL, kind TEXT NOT NULL, active INTEGER NOT NULL,
        detail TEXT NOT NULL, since_s DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (park, gate, kind))""",
    """CREATE TABLE IF NOT EXISTS daily_reports (
        park TEXT NOT NULL, gate TEXT NOT NULL, day TEXT NOT NULL, event_id TEXT NOT NULL,
        occurred_s DOUBLE PRECISION NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (park, gate, day))""",
    """CREATE TABLE IF NOT EXISTS commands (
        command_id TEXT PRIMARY KEY, name TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL,
        issued_by TEXT, issued_s DOUBLE PRECISION NOT NULL, expires_s DOUBLE PRECISION,
        payload_summary TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS commands_time ON commands (issued_s)",
    """CREATE TABLE IF NOT EXISTS audit (
        id {id}, at_s DOUBLE PRECISION NOT NULL, username TEXT NOT NULL, action TEXT NOT NULL,
        detail TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
        created_s DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS gate_zones (
        park TEXT NOT NULL, gate TEXT NOT NULL, zone TEXT, capacity BIGINT, inside BIGINT,
        assumption TEXT, occurred_s DOUBLE PRECISION NOT NULL, PRIMARY KEY (park, gate))""",
    """CREATE TABLE IF NOT EXISTS musters (
        emergency_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL, zone TEXT,
        started_s DOUBLE PRECISION NOT NULL, inside_count BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS musters_gate ON musters (park, gate, started_s)",
    """CREATE TABLE IF NOT EXISTS muster_people (
        emergency_id TEXT NOT NULL, person_id TEXT NOT NULL, since_s DOUBLE PRECISION NOT NULL,
        by_gate TEXT NOT NULL, accounted_by TEXT, accounted_s DOUBLE PRECISION,
        PRIMARY KEY (emergency_id, person_id))""",
    """CREATE TABLE IF NOT EXISTS sessions (
        token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL,
        expires_s DOUBLE PRECISION NOT NULL)""",
)

_VEHICLE_FIELDS = (
    "plate", "driver", "purpose", "decision", "reason", "by", "driver_check_id",
)  # fmt: skip
_CHECK_COLUMNS = (
    "event_id, park, gate, occurred_s, person_id, code, temperature_c, decision, reason, route, "
    "replayed"
)
_GATE_COLUMNS = (
    "park, gate, state, boot_id, software_version, status_occurred_s, last_seen_s, health, "
    "lockdown, risk_tier, faults, backlog, connection_problem"
)


# what a message changed, asked once the batch's statements are done
Answer = Callable[[], bool]


def _nothing() -> bool:
    return False


def _changed() -> bool:
    return True


_NOTHING: Answer = _nothing
_CHANGED: Answer = _changed


class StoreError(CentreError):
    """A store that cannot be opened or used (bad URL, database unreachable)."""


class BadPayload(CentreError, ValueError):
    """A message the contract does not allow: counted and logged, never stored."""


class ForeignGate(BadPayload):
    """A payload naming another park or gate than the topic it came on: a gate speaking for
    another. Refused like any bad payload, and written in the audit log (someone must look at
    that gate)."""

    def __init__(self, claimed_park: str, claimed_gate: str) -> None:
        super().__init__(f"names {claimed_park}/{claimed_gate}, sent on another gate's topic")


# --- topic routing -----------------------------------------------------------------------------
_EVENT_MODELS: dict[str, type[contract.Envelope]] = {
    "event/check": contract.CheckEvent,
    "event/fault": contract.FaultEvent,
    "event/override": contract.OverrideEvent,
    # a passage through the turnstile is kept in the events table, for the record and search
    "event/passage": contract.PassageEvent,
    # so is a vehicle the guard entered at a vehicle gate, with its driver and purpose
    "event/vehicle": contract.VehicleEvent,
    "report/daily": contract.DailyReportEvent,
}


def _parse(model: type[BaseModel], payload: bytes) -> Any:
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        raise BadPayload(f"{where}: {error['type']}") from None


def _route(topic: str) -> tuple[str, str, str]:
    """(park, gate, suffix) of a gate topic ``gate/v1/{park}/{gate}/{suffix}``."""
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "gate" or parts[1] != contract.VERSION:
        raise BadPayload("not a gate topic")
    return parts[2], parts[3], "/".join(parts[4:])


def command_summary(name: str, payload: Mapping[str, Any]) -> str:
    """What the command asked, in one line; never a whole roster."""
    if name == "push_roster":
        csv_text = str(payload.get("csv", ""))
        rows = max(0, len(csv_text.splitlines()) - 1)
        return f"{payload.get('kind', '?')} roster, {rows} rows"
    parts = [f"{key}={value}" for key, value in sorted(payload.items())]
    return ", ".join(parts)[:300]


class Store:
    """The centre's database; see the module's docstring. Thread-safe: the collector's thread and
    the web application's share one store (one connection, one lock)."""

    def __init__(self, database: Database, settings: BoardSettings | None = None) -> None:
        self._db = database
        self.settings = settings or BoardSettings()
        self._zone = ZoneInfo(self.settings.timezone)
        self._lock = threading.RLock()
        self.bad_payloads = 0
        self._sessions_swept_s = float("-inf")
        with self._lock:
            try:
                self._db.lock_schema()
                upgrade(self._db)  # an older database's tables first, as they are now
                self._db.create(SCHEMA)
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('version', 0) "
                    "ON CONFLICT (key) DO NOTHING"
                )
                self._db.commit()
            except BaseException:
                self._db.rollback()
                self._db.close()
                raise

    @property
    def url(self) -> str:
        """The database, without a password."""
        return self._db.display_url

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- ingest -----------------------------------------------------------------------------
    def ingest(
        self, topic: str, payload: bytes, received_at: datetime, *, retained: bool = False
    ) -> bool:
        """Store one message from a gate. True when it changed something; False for a duplicate,
        a message that is not the centre's (a command to a gate) or an older status. A payload
        the contract does not allow is counted (:attr:`bad_payloads`) and logged in one line that
        names the topic, never its content. ``retained``: the broker kept it (a status delivered
        on subscribe): it tells the gate's last state, not that the gate is alive now."""
        return self.ingest_many([(topic, payload, received_at, retained)])[0]

    def ingest_many(self, messages: Sequence[tuple[str, bytes, datetime, bool]]) -> list[bool]:
        """:meth:`ingest` for several messages in one transaction (the collector's batches): all
        are stored, or none (the exception is raised and nothing is acknowledged).

        A message the database itself refuses (a NUL character in a text PostgreSQL will not
        store, a number out of its range) must not block the batch for ever: the batch is then
        taken again one message at a time, and that message alone is counted as bad."""
        items = [(t, p, _epoch(at), retained) for t, p, at, retained in messages]
        with self._lock:
            bad_before = self.bad_payloads
            try:
                try:
                    with self._db.pipeline():
                        answers = [self._ingest_one(*item) for item in items]
                    results = [answer() for answer in answers]
                except self._db.data_errors:
                    self._db.rollback()
                    self.bad_payloads = bad_before  # counted again, one by one
                    results = [self._ingest_one(*item, alone=True)() for item in items]
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
            if any(results):
                self._db.bump_version()
        return results

    def _ingest_one(
        self, topic: str, payload: bytes, received_s: float, retained: bool, alone: bool = False
    ) -> Answer:
        """What the message changed, to be asked once the batch's statements are done (see
        :meth:`_dispatch`)."""
        try:
            park, gate, suffix = _route(topic)
            if suffix.startswith("cmd/") and not suffix.endswith("/result"):
                return _NOTHING  # a command to a gate, ours or another centre's: not an event
            if not alone:
                # every check of the payload comes before the first write: no savepoint needed
                return self._dispatch(park, gate, suffix, topic, payload, received_s, retained)
            with self._db.savepoint():
                return self._dispatch(park, gate, suffix, topic, payload, received_s, retained)
        except BadPayload as exc:
            self.bad_payloads += 1
            log.warning("bad message on %s: %s", topic[:200], exc)
            if isinstance(exc, ForeignGate):
                self._audit_refusal(topic, exc, received_s)
            return _NOTHING
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            self.bad_payloads += 1
            log.warning("bad message on %s: %s", topic[:200], type(exc).__name__)
            return _NOTHING
        except self._db.data_errors as exc:
            if not alone:
                raise  # the whole batch again, one by one
            self.bad_payloads += 1
            log.warning("bad message on %s: the database refuses it: %s", topic[:200],
                        type(exc).__name__)  # fmt: skip
            return _NOTHING

    def _audit_refusal(self, topic: str, refusal: ForeignGate, received_s: float) -> None:
        """In the batch's transaction: written with it, or not at all (sent again, it is
        refused again). The topic names the gate that sent it (its own, by the broker's ACL)."""
        sender = "/".join(topic.split("/")[2:4])
        self._db.execute(
            "INSERT INTO audit (at_s, username, action, detail) VALUES (?, ?, ?, ?)",
            (
                received_s,
                printable(f"gate {sender}")[:100],
                "refused",
                printable(f"{topic}: {refusal}")[:500],
            ),
        )

    def _dispatch(
        self,
        park: str,
        gate: str,
        suffix: str,
        topic: str,
        payload: bytes,
        received_s: float,
        retained: bool,
    ) -> Answer:
        """Store one message; every effect is idempotent (a duplicate changes nothing), so the
        statements of a batch can go to the database without waiting for each answer, and
        whether the message was new is asked at the end."""
        if suffix == "status":
            status: contract.Status = _parse(contract.Status, payload)
            self._same_gate(status.park, status.gate, park, gate)
            return self._status(status, received_s, retained)
        if suffix == "metrics":
            metrics: contract.Metrics = _parse(contract.Metrics, payload)
            self._same_gate(metrics.park, metrics.gate, park, gate)
            return self._metrics(metrics, received_s)
        model: type[contract.Envelope] | None = _EVENT_MODELS.get(suffix)
        if model is None and suffix.startswith("alert/"):
            model = contract.AlertEvent
        elif model is None and suffix.startswith("cmd/"):
            model = contract.CommandResultEvent
        if model is None:
            raise BadPayload("not a topic of the contract")
        event = _parse(model, payload)
        self._same_gate(event.park, event.gate, park, gate)
        self._same_kind(event, suffix)
        occurred_s = event.occurred_at.timestamp()
        stored = self._db.later(
            "INSERT INTO events (event_id, park, gate, schema, topic, occurred_s, received_s, "
            "replayed, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (event_id) DO NOTHING",
            (
                event.event_id,
                park,
                gate,
                event.schema_,
                topic,
                occurred_s,
                received_s,
                int(event.replayed),
                payload.decode("utf-8"),
            ),
        )
        if isinstance(event, contract.CheckEvent):
            self._check(event, occurred_s)
        elif isinstance(event, contract.AlertEvent):
            self._alert(park, gate, event, occurred_s)
        elif isinstance(event, contract.FaultEvent):
            data = event.data
            self._fault(park, gate, data.kind, data.active, data.detail, occurred_s)
        elif isinstance(event, contract.DailyReportEvent):
            self._db.execute(
                "INSERT INTO daily_reports (park, gate, day, event_id, occurred_s, data) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (park, gate, day) DO UPDATE SET "
                "event_id = excluded.event_id, occurred_s = excluded.occurred_s, "
                "data = excluded.data WHERE daily_reports.occurred_s < excluded.occurred_s",
                (
                    park,
                    gate,
                    event.data.date.isoformat(),
                    event.event_id,
                    occurred_s,
                    event.data.model_dump_json(),
                ),
            )
        elif isinstance(event, contract.CommandResultEvent):
            self._command_result(park, gate, event, occurred_s)
        # an override is kept in the events table: nothing else follows from it
        self._seen(park, gate, min(received_s, occurred_s) if retained else received_s)
        return lambda: stored() > 0  # False: seen before

    @staticmethod
    def _same_kind(event: contract.Envelope, suffix: str) -> None:
        """The topic names what the payload is: an alert's kind, a command result's name."""
        if isinstance(event, contract.AlertEvent):
            data = event.data
            if suffix != f"alert/{data.kind}":
                raise BadPayload(f"data.kind {data.kind!r} sent on {suffix}")
            flagless = data.kind in GATE_ALERTS
            if not flagless and data.check_event_id is None:
                raise BadPayload("data.check_event_id: missing for a flag")
        elif (
            isinstance(event, contract.CommandResultEvent)
            and suffix != f"cmd/{event.data.name}/result"
        ):
            raise BadPayload(f"data.name {event.data.name!r} sent on {suffix}")

    @staticmethod
    def _same_gate(claimed_park: str, claimed_gate: str, park: str, gate: str) -> None:
        if (claimed_park, claimed_gate) != (park, gate):
            raise ForeignGate(claimed_park, claimed_gate)

    def _ensure_gate(self, park: str, gate: str) -> None:
        self._db.execute(
            "INSERT INTO gates (park, gate) VALUES (?, ?) ON CONFLICT (park, gate) DO NOTHING",
            (park, gate),
        )

    def _seen(self, park: str, gate: str, seen_s: float) -> None:
        self._db.execute(
            "INSERT INTO gates (park, gate, last_seen_s) VALUES (?, ?, ?) "
            "ON CONFLICT (park, gate) DO UPDATE SET last_seen_s = excluded.last_seen_s "
            "WHERE gates.last_seen_s IS NULL OR gates.last_seen_s < excluded.last_seen_s",
            (park, gate, seen_s),
        )

    def _status(self, status: contract.Status, received_s: float, retained: bool) -> Answer:
        park, gate = status.park, status.gate
        if status.occurred_at is None:
            self._ensure_gate(park, gate)
            # the last will carries no time: it is news only about the boot it was set by
            changed = self._db.later(
                "UPDATE gates SET state = ? WHERE park = ? AND gate = ? "
                "AND (boot_id IS NULL OR boot_id = ?) AND (state IS NULL OR state <> ?)",
                (status.state, park, gate, status.boot_id, status.state),
            )
            return lambda: changed() > 0
        occurred_s = status.occurred_at.timestamp()
        # a retained status is as old as it says, not as fresh as its delivery
        self._seen(park, gate, min(received_s, occurred_s) if retained else received_s)
        health = status.health.model_dump(mode="json") if status.health else None
        problem = (
            status.connection_problem.model_dump(mode="json") if status.connection_problem else None
        )
        changed = self._db.later(
            "UPDATE gates SET state = ?, boot_id = ?, software_version = ?, "
            "status_occurred_s = ?, health = ?, lockdown = ?, risk_tier = ?, faults = ?, "
            "connection_problem = ? WHERE park = ? AND gate = ? "
            "AND (status_occurred_s IS NULL OR status_occurred_s < ?)",
            (
                status.state,
                status.boot_id,
                status.software_version,
                occurred_s,
                json.dumps(health) if health else None,
                None if status.lockdown is None else int(status.lockdown),
                status.risk_tier,
                json.dumps(list(status.faults)),
                json.dumps(problem) if problem else None,
                park,
                gate,
                occurred_s,
            ),
        )
        if status.backlog is not None:
            self._backlog(park, gate, status.backlog, occurred_s)
        zoned = self._gate_zone(status, occurred_s)
        return lambda: (changed() + zoned()) > 0

    def _gate_zone(self, status: contract.Status, occurred_s: float) -> Callable[[], int]:
        """The gate's zone and occupancy as its newest status says (a status from before the
        field leaves the gate without a zone)."""
        zone = status.zone
        return self._db.later(
            "INSERT INTO gate_zones (park, gate, zone, capacity, inside, assumption, occurred_s) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (park, gate) DO UPDATE SET "
            "zone = excluded.zone, capacity = excluded.capacity, inside = excluded.inside, "
            "assumption = excluded.assumption, occurred_s = excluded.occurred_s "
            "WHERE gate_zones.occurred_s < excluded.occurred_s",
            (
                status.park,
                status.gate,
                zone.name if zone else None,
                zone.capacity if zone else None,
                zone.inside if zone else None,
                status.zone_assumption,
                occurred_s,
            ),
        )

    def _metrics(self, metrics: contract.Metrics, received_s: float) -> Answer:
        """Alive (last seen), and the backlog when this is the newest word on it: one statement
        (metrics come every half minute from every gate)."""
        self._db.execute(
            "INSERT INTO gates (park, gate, last_seen_s, backlog, backlog_occurred_s) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (park, gate) DO UPDATE SET "
            "last_seen_s = CASE WHEN gates.last_seen_s IS NULL "
            "OR gates.last_seen_s < excluded.last_seen_s THEN excluded.last_seen_s "
            "ELSE gates.last_seen_s END, "
            "backlog = CASE WHEN gates.backlog_occurred_s IS NULL "
            "OR gates.backlog_occurred_s < excluded.backlog_occurred_s THEN excluded.backlog "
            "ELSE gates.backlog END, "
            "backlog_occurred_s = CASE WHEN gates.backlog_occurred_s IS NULL "
            "OR gates.backlog_occurred_s < excluded.backlog_occurred_s "
            "THEN excluded.backlog_occurred_s ELSE gates.backlog_occurred_s END",
            (
                metrics.park,
                metrics.gate,
                received_s,
                metrics.backlog,
                metrics.occurred_at.timestamp(),
            ),
        )
        return _CHANGED  # the gate was seen: its state may have changed

    def _backlog(self, park: str, gate: str, backlog: int, occurred_s: float) -> None:
        self._db.execute(
            "UPDATE gates SET backlog = ?, backlog_occurred_s = ? WHERE park = ? AND gate = ? "
            "AND (backlog_occurred_s IS NULL OR backlog_occurred_s < ?)",
            (backlog, occurred_s, park, gate, occurred_s),
        )

    def _check(self, event: contract.CheckEvent, occurred_s: float) -> None:
        data = event.data
        self._db.execute(
            f"INSERT INTO checks ({_CHECK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (event_id) DO NOTHING",
            (
                event.event_id,
                event.park,
                event.gate,
                occurred_s,
                data.person_id,
                data.code,
                data.temperature_c,
                data.decision,
                data.reason.value,
                data.route.value,
                int(event.replayed),
            ),
        )

    def _alert(self, park: str, gate: str, event: contract.AlertEvent, occurred_s: float) -> None:
        data = event.data
        if data.kind in GATE_ALERTS:
            kind, active, default_detail = GATE_ALERTS[data.kind]
            detail = data.detail or default_detail
            self._fault(park, gate, kind, active, detail, occurred_s)
            if data.kind == "emergency" and data.inside is not None:
                self._muster(event, occurred_s)
            return
        flag_id = data.check_event_id
        assert flag_id is not None  # checked before any write (_same_kind)
        # the topic's gate: the broker lets a gate publish on its own topics only
        record_alert(self._db, FlagKey(park, gate, flag_id), data, occurred_s)

    def _muster(self, event: contract.AlertEvent, occurred_s: float) -> None:
        """The roll call an emergency alert carries, kept once (a repeat changes nothing, and
        nobody's tick is lost)."""
        data = event.data
        people = data.inside or []
        self._db.execute(
            "INSERT INTO musters (emergency_id, park, gate, zone, started_s, inside_count) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (emergency_id) DO NOTHING",
            (
                event.event_id,
                event.park,
                event.gate,
                data.zone,
                occurred_s,
                max(data.inside_count or 0, len(people)),
            ),
        )
        for person in people:
            self._db.execute(
                "INSERT INTO muster_people (emergency_id, person_id, since_s, by_gate) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (emergency_id, person_id) DO NOTHING",
                (event.event_id, person.person_id, person.since.timestamp(), person.gate),
            )

    def _fault(
        self, park: str, gate: str, kind: str, active: bool, detail: str, occurred_s: float
    ) -> None:
        self._db.execute(
            "INSERT INTO faults (park, gate, kind, active, detail, since_s) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (park, gate, kind) DO UPDATE SET "
            "active = excluded.active, detail = excluded.detail, since_s = excluded.since_s "
            "WHERE faults.since_s < excluded.since_s",
            (park, gate, kind, int(active), detail, occurred_s),
        )

    def _command_result(
        self, park: str, gate: str, event: contract.CommandResultEvent, occurred_s: float
    ) -> None:
        data = event.data
        # a command sent by the command line, not by this centre, is recorded all the same; a
        # result answers only a command sent to the gate whose topic it came on
        self._db.execute(
            "INSERT INTO commands (command_id, name, park, gate, issued_by, issued_s, expires_s, "
            "payload_summary, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, NULL, '', ?, ?) "
            "ON CONFLICT (command_id) DO UPDATE SET outcome = excluded.outcome, "
            "detail = excluded.detail "
            "WHERE commands.park = excluded.park AND commands.gate = excluded.gate",
            (
                data.command_id,
                data.name,
                park,
                gate,
                data.issued_by,
                occurred_s,
                data.outcome,
                data.detail,
            ),
        )

    # --- change detection ----------------------------------------------------------------------
    def version(self) -> int:
        """A number that grows on every change (cheap: the web's live updates poll it)."""
        with self._lock:
            value = self._db.version()
            self._db.commit()
            return value

    # --- gates ---------------------------------------------------------------------------------
    def gates(self, now: datetime) -> list[GateView]:
        """Every gate known (or expected), by park and gate id."""
        now_s = _epoch(now)
        today = datetime.fromtimestamp(now_s, self._zone).date()
        start_s, end_s = day_bounds(today, self._zone)
        with self._lock:
            rows = self._db.query(f"SELECT {_GATE_COLUMNS} FROM gates")
            counts = {
                (r[0], r[1]): int(r[2])
                for r in self._db.query(
                    "SELECT park, gate, COUNT(*) FROM checks WHERE occurred_s >= ? "
                    "AND occurred_s < ? GROUP BY park, gate",
                    (start_s, end_s),
                )
            }
            reports = {
                (r[0], r[1])
                for r in self._db.query(
                    "SELECT park, gate FROM daily_reports WHERE day = ?", (today.isoformat(),)
                )
            }
            active = self._active_faults()
            self._db.commit()
        due_s = datetime.combine(today, self.settings.report_due_at, self._zone).timestamp()

        def report_state(key: tuple[str, str]) -> ReportState:
            if key in reports:
                return "sent"
            return "late" if now_s >= due_s else "due"

        views: dict[tuple[str, str], GateView] = {}
        for row in rows:
            key = (row[0], row[1])
            faults = list(json.loads(row[10])) if row[10] else []
            faults += [kind for kind in active.get(key, []) if kind not in faults]
            views[key] = GateView(
                park=row[0],
                gate=row[1],
                state=self._gate_state(row[2], row[6], now_s),
                last_seen=_moment(row[6]),
                lockdown=None if row[8] is None else bool(row[8]),
                risk_tier=row[9],
                faults=faults,
                backlog=None if row[11] is None else int(row[11]),
                health=json.loads(row[7]) if row[7] else None,
                connection_problem=json.loads(row[12]) if row[12] else None,
                checks_today=counts.get(key, 0),
                report_today=report_state(key),
                software_version=row[4],
                boot_id=row[3],
            )
        for key in self.settings.expected_gates:
            if key not in views:
                views[key] = GateView(
                    park=key[0],
                    gate=key[1],
                    state="unknown",
                    last_seen=None,
                    lockdown=None,
                    risk_tier=None,
                    faults=[],
                    backlog=None,
                    health=None,
                    connection_problem=None,
                    checks_today=counts.get(key, 0),
                    report_today=report_state(key),
                )
        return [views[key] for key in sorted(views)]

    def _gate_state(self, state: str | None, last_seen_s: float | None, now_s: float) -> GateState:
        if state is None:
            return "unknown"  # events seen, never a status
        if state == "online" and (
            last_seen_s is None or now_s - last_seen_s > self.settings.offline_after_s
        ):
            return "silent"
        return state  # type: ignore[return-value]

    def _active_faults(self) -> dict[tuple[str, str], list[str]]:
        active: dict[tuple[str, str], list[str]] = {}
        for park, gate, kind in self._db.query(
            "SELECT park, gate, kind FROM faults WHERE active = 1 ORDER BY since_s"
        ):
            active.setdefault((park, gate), []).append(kind)
        return active

    # --- zones and roll calls -------------------------------------------------------------------
    def zones(self, now: datetime) -> list[ZoneView]:
        """Every zone the gates report, by park and name: each gate's count, and today's waits
        for room and zone refusals at the zone's gates."""
        now_s = _epoch(now)
        start_s, end_s = day_bounds(datetime.fromtimestamp(now_s, self._zone).date(), self._zone)
        with self._lock:
            rows = self._db.query(
                "SELECT z.park, z.zone, z.gate, g.state, g.last_seen_s, z.inside, z.capacity, "
                "z.assumption, z.occurred_s FROM gate_zones z LEFT JOIN gates g "
                "ON g.park = z.park AND g.gate = z.gate WHERE z.zone IS NOT NULL "
                "ORDER BY z.park, z.zone, z.gate"
            )
            refusals = {
                (r[0], r[1], r[2]): int(r[3])
                for r in self._db.query(
                    "SELECT park, gate, reason, COUNT(*) FROM checks WHERE occurred_s >= ? "
                    "AND occurred_s < ? AND reason IN ('zone_full', 'anti_passback', "
                    "'not_inside') GROUP BY park, gate, reason",
                    (start_s, end_s),
                )
            }
            self._db.commit()
        grouped: dict[tuple[str, str], list[ZoneGateView]] = {}
        for row in rows:
            grouped.setdefault((row[0], row[1]), []).append(
                ZoneGateView(
                    gate=row[2],
                    state=self._gate_state(row[3], row[4], now_s),
                    inside=int(row[5] or 0),
                    capacity=None if row[6] is None else int(row[6]),
                    assumption=row[7],
                    reported_at=_moment_required(row[8]),
                )
            )

        def today(park: str, gates: list[ZoneGateView], reason: str) -> int:
            return sum(refusals.get((park, g.gate, reason), 0) for g in gates)

        return [
            ZoneView(
                park=park,
                name=name,
                gates=gates,
                waits_today=today(park, gates, "zone_full"),
                passback_today=today(park, gates, "anti_passback"),
                not_inside_today=today(park, gates, "not_inside"),
            )
            for (park, name), gates in grouped.items()
        ]

    def musters(self) -> list[MusterView]:
        """The roll call of every gate whose fire alarm sounds now (its emergency fault is
        active), the oldest alarm first."""
        with self._lock:
            rows = self._db.query(
                "SELECT m.emergency_id, m.park, m.gate, m.zone, m.started_s, m.inside_count "
                "FROM musters m JOIN faults f ON f.park = m.park AND f.gate = m.gate "
                "AND f.kind = ? AND f.active = 1 WHERE m.started_s >= f.since_s "
                "ORDER BY m.started_s",
                (EMERGENCY,),
            )
            people: dict[str, list[MusterPersonView]] = {}
            for row in rows:
                people[row[0]] = [
                    MusterPersonView(p[0], _moment_required(p[1]), p[2], p[3], _moment(p[4]))
                    for p in self._db.query(
                        "SELECT person_id, since_s, by_gate, accounted_by, accounted_s "
                        "FROM muster_people WHERE emergency_id = ? ORDER BY since_s, person_id",
                        (row[0],),
                    )
                ]
            self._db.commit()
        return [
            MusterView(r[0], r[1], r[2], r[3], _moment_required(r[4]), int(r[5]), people[r[0]])
            for r in rows
        ]

    def account(
        self, emergency_id: str, person_id: str, user: str, at: datetime | None = None
    ) -> bool:
        """``person_id`` is at the muster point, as ``user`` saw; the first tick is kept. False
        when nobody of that roll call has that id, or they were ticked off already."""
        return (
            self._change(
                "UPDATE muster_people SET accounted_by = ?, accounted_s = ? "
                "WHERE emergency_id = ? AND person_id = ? AND accounted_by IS NULL",
                (user, _epoch(at or _utcnow()), emergency_id, person_id),
            )
            > 0
        )

    # --- flags ---------------------------------------------------------------------------------
    def flags(self, open_only: bool = False, limit: int = 200) -> list[FlagView]:
        """Open first (waiting for a guard, or a person not yet escorted), fevers first, oldest
        first; then the resolved ones, newest first."""
        where = "WHERE state IN ('open', 'fever_confirmed')" if open_only else ""
        with self._lock:
            rows = self._db.query(
                f"SELECT {FLAG_COLUMNS} FROM flags {where} ORDER BY "
                "CASE WHEN state IN ('open', 'fever_confirmed') THEN 0 ELSE 1 END, "
                "CASE WHEN state IN ('open', 'fever_confirmed') THEN "
                "(CASE WHEN kind = 'fever' THEN 0 WHEN kind = 'suspected_fever' THEN 1 ELSE 2 END) "
                "ELSE 0 END, "
                "CASE WHEN state IN ('open', 'fever_confirmed') THEN raised_s ELSE -raised_s END "
                "LIMIT ?",
                (limit,),
            )
            self._db.commit()
        return [self._flag_view(row) for row in rows]

    def flag(self, ref: str) -> FlagView | None:
        """The flag a :attr:`FlagView.ref` names; None when there is none."""
        key = parse_flag_ref(ref)
        if key is None:
            return None
        with self._lock:
            rows = self._db.query(
                f"SELECT {FLAG_COLUMNS} FROM flags WHERE park = ? AND gate = ? AND flag_id = ?",
                key,
            )
            self._db.commit()
        return self._flag_view(rows[0]) if rows else None

    @staticmethod
    def _flag_view(row: Sequence[Any]) -> FlagView:
        return FlagView(
            flag_id=row[0],
            park=row[1],
            gate=row[2],
            person_id=row[3],
            kind=row[4],
            temperature_c=row[5],
            first_c=row[6],
            route=row[7],
            isolation_room=row[8],
            isolation_location=row[9],
            raised_at=_moment_required(row[10]),
            alerts=max(1, int(row[11])),
            last_alert_at=_moment_required(row[12]),
            state=row[13],
            clinical_c=row[14],
            guard=row[15],
            resolved_at=_moment(row[16]),
            taken_by=row[17],
            taken_at=_moment(row[18]),
            escorted_by=row[19],
            escorted_at=_moment(row[20]),
            escort_note=row[21],
            reason=row[22],
        )

    def take(self, ref: str, user: str, at: datetime | None = None) -> None:
        """Someone took the alert of the flag ``ref`` names (the banner and the sound stop).
        The first taker is kept."""
        key = parse_flag_ref(ref)
        if key is not None:
            self._change(TAKE, (user, _epoch(at or _utcnow()), *key))

    def record_escort(self, ref: str, user: str, note: str, at: datetime | None = None) -> None:
        """The person was escorted to the isolation room (a fever, or another isolation
        route). Also takes the alert when nobody had."""
        key = parse_flag_ref(ref)
        if key is not None:
            at_s = _epoch(at or _utcnow())
            self._change(ESCORT, (user, at_s, note[:500], user, at_s, *key))

    # --- faults --------------------------------------------------------------------------------
    def faults(self, active_only: bool = True) -> list[FaultView]:
        where = "WHERE active = 1" if active_only else ""
        with self._lock:
            rows = self._db.query(
                f"SELECT park, gate, kind, active, detail, since_s FROM faults {where} "
                "ORDER BY since_s DESC"
            )
            self._db.commit()
        return [FaultView(r[0], r[1], r[2], bool(r[3]), r[4], _moment_required(r[5])) for r in rows]

    # --- checks --------------------------------------------------------------------------------
    def _check_filter(self, query: CheckQuery) -> tuple[str, list[Any]]:
        return self._filter(query, ("gate", "person_id", "decision", "reason"), [], [])

    def _filter(
        self,
        query: CheckQuery | VehicleQuery,
        columns: tuple[str, ...],
        clauses: list[str],
        params: list[Any],
    ) -> tuple[str, list[Any]]:
        """A WHERE clause for ``clauses``, the query's local days and its ``columns``' values."""
        if query.date_from is not None:
            clauses.append("occurred_s >= ?")
            params.append(day_bounds(query.date_from, self._zone)[0])
        if query.date_to is not None:
            clauses.append("occurred_s < ?")
            params.append(day_bounds(query.date_to, self._zone)[1])
        for column in columns:
            value = getattr(query, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    @staticmethod
    def _check_view(row: Sequence[Any]) -> CheckView:
        return CheckView(
            event_id=row[0],
            park=row[1],
            gate=row[2],
            occurred_at=_moment_required(row[3]),
            person_id=row[4],
            code=row[5],
            temperature_c=row[6],
            decision=row[7],
            reason=row[8],
            route=row[9],
            replayed=bool(row[10]),
        )

    def checks(self, query: CheckQuery, limit: int = 500) -> list[CheckView]:
        """The newest first."""
        where, params = self._check_filter(query)
        with self._lock:
            rows = self._db.query(
                f"SELECT {_CHECK_COLUMNS} FROM checks {where} "
                "ORDER BY occurred_s DESC, event_id LIMIT ?",
                (*params, limit),
            )
            self._db.commit()
        return [self._check_view(row) for row in rows]

    def iter_checks(self, query: CheckQuery, batch: int = 1000) -> Iterator[CheckView]:
        """Every matching check, oldest first, in batches (a CSV export of a month streams)."""
        where, params = self._check_filter(query)
        joiner = " AND " if where else "WHERE "
        after: tuple[float, str] = (float("-inf"), "")
        while True:
            with self._lock:
                rows = self._db.query(
                    f"SELECT {_CHECK_COLUMNS} FROM checks {where}{joiner}"
                    "(occurred_s > ? OR (occurred_s = ? AND event_id > ?)) "
                    "ORDER BY occurred_s, event_id LIMIT ?",
                    (*params, after[0], after[0], after[1], batch),
                )
                self._db.commit()
            for row in rows:
                yield self._check_view(row)
            if len(rows) < batch:
                return
            after = (rows[-1][3], rows[-1][0])

    def flow_per_hour(self, day: date, tz: ZoneInfo | None = None) -> dict[str, list[int]]:
        """Gate -> 24 counts of checks, by the local hour they happened in."""
        zone = tz or self._zone
        start_s, end_s = day_bounds(day, zone)
        with self._lock:
            rows = self._db.query(
                "SELECT gate, occurred_s FROM checks WHERE occurred_s >= ? AND occurred_s < ?",
                (start_s, end_s),
            )
            self._db.commit()
        flow: dict[str, list[int]] = {}
        for gate, occurred_s in rows:
            hour = datetime.fromtimestamp(occurred_s, zone).hour
            flow.setdefault(gate, [0] * 24)[hour] += 1
        return dict(sorted(flow.items()))

    def denials_by_reason(self, day: date, tz: ZoneInfo | None = None) -> dict[str, int]:
        """Reason -> how many people were refused this local day, the most frequent first."""
        start_s, end_s = day_bounds(day, tz or self._zone)
        with self._lock:
            rows = self._db.query(
                "SELECT reason, COUNT(*) FROM checks WHERE decision = 'deny' "
                "AND occurred_s >= ? AND occurred_s < ? GROUP BY reason",
                (start_s, end_s),
            )
            self._db.commit()
        return dict(sorted(((r[0], int(r[1])) for r in rows), key=lambda x: (-x[1], x[0])))

    def daily_reports(self, day: date) -> dict[str, dict[str, Any] | None]:
        """Gate -> the daily report it sent for this day (its data), or None: every gate known
        or expected is a key."""
        with self._lock:
            rows = self._db.query(
                "SELECT gate, data FROM daily_reports WHERE day = ?", (day.isoformat(),)
            )
            gates = [r[0] for r in self._db.query("SELECT gate FROM gates")]
            self._db.commit()
        reports: dict[str, dict[str, Any] | None] = dict.fromkeys(gates)
        reports.update(dict.fromkeys(gate for _, gate in self.settings.expected_gates))
        for gate, data in rows:
            reports[gate] = json.loads(data)
        return dict(sorted(reports.items()))

    # --- commands ------------------------------------------------------------------------------
    def record_command(self, command: dict[str, Any], user: str) -> None:
        """A signed command (the dict that was published), as sent by ``user``."""
        issued_s = datetime.fromisoformat(command["issued_at"]).timestamp()
        expires_s = datetime.fromisoformat(command["expires_at"]).timestamp()
        self._change(
            "INSERT INTO commands (command_id, name, park, gate, issued_by, issued_s, expires_s, "
            "payload_summary, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sent', '') "
            "ON CONFLICT (command_id) DO UPDATE SET issued_by = excluded.issued_by, "
            "issued_s = excluded.issued_s, expires_s = excluded.expires_s, "
            "payload_summary = excluded.payload_summary",
            (
                command["command_id"],
                command["name"],
                command["park"],
                command["gate"],
                user,
                issued_s,
                expires_s,
                command_summary(command["name"], command.get("payload", {})),
            ),
        )

    def command_failed(self, command_id: str, detail: str) -> None:
        """A command that never left (the broker did not take it)."""
        self._change(
            "UPDATE commands SET outcome = 'failed', detail = ? WHERE command_id = ? "
            "AND outcome = 'sent'",
            (detail[:300], command_id),
        )

    def vehicles(self, limit: int = 100, query: VehicleQuery | None = None) -> list[VehicleView]:
        """The vehicles at every gate (or those the query asks for), the newest first."""
        return list(islice(self.iter_vehicles(query or VehicleQuery(), newest_first=True), limit))

    def iter_vehicles(
        self, query: VehicleQuery, batch: int = 500, newest_first: bool = False
    ) -> Iterator[VehicleView]:
        """Every matching vehicle, oldest first unless asked, in batches (a CSV export of a
        month streams). The plate is matched on the event's own spelling, a part of it too."""
        where, params = self._filter(query, ("gate",), ["schema = ?"], ["gate.vehicle/1"])
        after = "<" if newest_first else ">"
        order = "DESC" if newest_first else "ASC"
        start = float("inf") if newest_first else float("-inf")
        since: tuple[float, str] = (start, "\uffff" if newest_first else "")
        while True:
            with self._lock:
                rows = self._db.query(
                    f"SELECT event_id, park, gate, occurred_s, payload FROM events {where} "
                    f"AND (occurred_s {after} ? OR (occurred_s = ? AND event_id {after} ?)) "
                    f"ORDER BY occurred_s {order}, event_id {order} LIMIT ?",
                    (*params, since[0], since[0], since[1], batch),
                )
                self._db.commit()
            for event_id, park, gate, occurred_s, payload in rows:
                data = json.loads(payload)["data"]
                if query.plate and query.plate not in (data["plate"] or ""):
                    continue
                yield VehicleView(
                    event_id=event_id,
                    park=park,
                    gate=gate,
                    occurred_at=_moment_required(occurred_s),
                    source=data.get("source", "command"),
                    **{k: data[k] for k in _VEHICLE_FIELDS},
                )
            if len(rows) < batch:
                return
            since = (rows[-1][3], rows[-1][0])

    def command_results(self, limit: int = 100, now: datetime | None = None) -> list[CommandView]:
        """The newest first; a sent command with no result after its expiry is expired."""
        now_s = _epoch(now or _utcnow())
        with self._lock:
            rows = self._db.query(
                "SELECT command_id, name, park, gate, issued_by, issued_s, expires_s, "
                "payload_summary, outcome, detail FROM commands ORDER BY issued_s DESC LIMIT ?",
                (limit,),
            )
            self._db.commit()
        views = []
        for row in rows:
            outcome, detail = row[8], row[9]
            expires_s = row[6] if row[6] is not None else row[5] + self.settings.command_lifetime_s
            if outcome == "sent" and now_s > expires_s:
                outcome, detail = "expired", "no answer from the gate before it expired"
            views.append(
                CommandView(
                    command_id=row[0],
                    name=row[1],
                    park=row[2],
                    gate=row[3],
                    issued_by=row[4],
                    issued_at=_moment_required(row[5]),
                    payload_summary=row[7],
                    outcome=outcome,
                    detail=detail,
                )
            )
        return views

    # --- audit ---------------------------------------------------------------------------------
    def audit(self, user: str, action: str, detail: str, at: datetime | None = None) -> None:
        """Who did what: every action of the centre's staff. ``detail`` must not hold health
        data beyond what the action is about (a flag id, a gate)."""
        self._change(
            "INSERT INTO audit (at_s, username, action, detail) VALUES (?, ?, ?, ?)",
            (_epoch(at or _utcnow()), user, action[:100], detail[:500]),
        )

    def audit_log(self, limit: int = 200) -> list[AuditView]:
        """The newest first."""
        with self._lock:
            rows = self._db.query(
                "SELECT at_s, username, action, detail FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            self._db.commit()
        return [AuditView(_moment_required(r[0]), r[1], r[2], r[3]) for r in rows]

    # --- users and sessions --------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str) -> None:
        """Raises :class:`StoreError` when the name is taken or the role unknown."""
        if role not in ROLES:
            raise StoreError(f"role {role!r}: not one of {', '.join(ROLES)}")
        with self._lock:
            if self._db.query("SELECT 1 FROM users WHERE name = ?", (name,)):
                self._db.commit()
                raise StoreError(f"user {name!r}: already exists")
        self._change(
            "INSERT INTO users (name, role, password_hash, created_s) VALUES (?, ?, ?, ?)",
            (name, role, password_hash, _epoch(_utcnow())),
        )

    def user(self, name: str) -> UserView | None:
        with self._lock:
            rows = self._db.query(
                "SELECT name, role, password_hash, created_s FROM users WHERE name = ?", (name,)
            )
            self._db.commit()
        return UserView(rows[0][0], rows[0][1], rows[0][2], _moment(rows[0][3])) if rows else None

    def set_password(self, name: str, password_hash: str) -> None:
        """Also ends the user's sessions: a changed password logs everyone out."""
        if self.user(name) is None:
            raise StoreError(f"user {name!r}: no such user")
        with self._lock:
            try:
                self._db.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
                )
                self._db.execute("DELETE FROM sessions WHERE username = ?", (name,))
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
            self._db.bump_version()

    def list_users(self) -> list[UserView]:
        with self._lock:
            rows = self._db.query(
                "SELECT name, role, password_hash, created_s FROM users ORDER BY name"
            )
            self._db.commit()
        return [UserView(r[0], r[1], r[2], _moment(r[3])) for r in rows]

    def create_session(self, token_sha256: str, user: str, expires_at: datetime) -> None:
        self._change(
            "INSERT INTO sessions (token_sha256, username, expires_s) VALUES (?, ?, ?)",
            (token_sha256, user, _epoch(expires_at)),
            bump=False,
        )

    def session(self, token_sha256: str, now: datetime) -> UserView | None:
        """The session's user while it has not expired (an expired one is deleted)."""
        now_s = _epoch(now)
        with self._lock:
            try:
                # expired sessions are swept now and then: every page asks, a write each time
                # would queue the pages behind the collector's transactions
                if now_s - self._sessions_swept_s > 60:
                    self._db.execute("DELETE FROM sessions WHERE expires_s <= ?", (now_s,))
                    self._sessions_swept_s = now_s
                rows = self._db.query(
                    "SELECT u.name, u.role, u.password_hash, u.created_s FROM sessions s "
                    "JOIN users u ON u.name = s.username WHERE s.token_sha256 = ? "
                    "AND s.expires_s > ?",
                    (token_sha256, now_s),
                )
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        return UserView(rows[0][0], rows[0][1], rows[0][2], _moment(rows[0][3])) if rows else None

    def delete_session(self, token_sha256: str) -> None:
        self._change("DELETE FROM sessions WHERE token_sha256 = ?", (token_sha256,), bump=False)

    # --- plumbing ------------------------------------------------------------------------------
    def _change(self, sql: str, params: Sequence[Any], *, bump: bool = True) -> int:
        with self._lock:
            try:
                count = self._db.execute(sql, params)
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
            if bump and count:
                self._db.bump_version()
            return count


def open_store(
    url: str, settings: BoardSettings | None = None, password: str | None = None
) -> Store:
    """``sqlite:///path/centre.db``, a bare path (SQLite), or ``postgresql://user@host/db``
    (``password`` from the centre's password file, never in the URL)."""
    try:
        return Store(connect(url, password), settings)
    except (StoreError, SchemaError):
        raise
    except Exception as exc:  # the driver's own error: one line, without the password
        first_line = " ".join(str(exc).split("\n")[0].split())[:300]
        raise StoreError(f"database: cannot open: {type(exc).__name__}: {first_line}") from None
