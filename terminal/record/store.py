"""The written record: every check, kept in SQLite on the terminal, that inspectors may ask for.

A check and the messages it must send to the operations centre are written in one transaction
(WAL, synchronous=FULL), committed before the relay moves: after a crash or a power cut, a check
either happened completely, with its messages waiting in the outbox, or not at all. Messages leave
the outbox only when the broker has acknowledged them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, get_args, get_type_hints

import sqlite_utils

from terminal.common.errors import GateError

# 4: the shift refusal's next_window column and the passages, overrides and emergencies tables;
# 5: the vehicles table; a check's direction and passback_of, a passage's direction and zone,
# the zone_events table; 6: a vehicle's source, and vehicles without a plate (no vehicle came, a
# permit not believed); a record of any earlier version gains what it lacks when the gate opens
# it (_create)
SCHEMA_VERSION = 6
# the passages that put a person through the turnstile: a stopped gate's ``unknown`` passage
# counts as passed (an admitted person most likely went through; counting them keeps the zone
# under capacity rather than over it)
COUNTED_OUTCOMES = ("passed", "unconfirmed", "unknown")
_COUNTED_SQL = f"outcome IN ({', '.join(repr(outcome) for outcome in COUNTED_OUTCOMES)})"
# who is inside: the passages counted, and this gate's own still in its turnstile (the next entry
# must not take their place). A peer's open passage (``waiting``, heard before it closes) is not
# anyone inside: it only holds a place for the capacity decision while young (reservations)
_INSIDE_SQL = f"({_COUNTED_SQL} OR (outcome = 'waiting' AND gate IS NULL))"
# tables of events other than checks, written with their messages (add_event) and read in order
EVENT_TABLES = (
    "secondary_steps",
    "sensor_events",
    "overrides",
    "emergencies",
    "vehicles",
    "zone_events",
)
BUSY_TIMEOUT_MS = 10_000
SQLITE_FULL = 13


class RecordFull(GateError):
    """The record's disk (or its size limit) is full: nothing more can be written."""


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and (
        getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
        or "database or disk is full" in str(exc)
    )


@dataclass(frozen=True)
class CheckRow:
    event_id: str
    ts: str  # ISO 8601, UTC
    epoch_s: float
    park: str
    gate: str
    person_id: str | None
    code: str  # green / yellow / red / none / unreadable / invalid
    temperature_c: float | None  # the estimate the decision used
    first_c: float | None  # earlier versions' first of two estimates; now always empty
    sensor_fault: str | None
    decision: str
    reason: str
    route: str
    check_s: float  # from noticing the person to the decision acted on (gate clock)
    processing_ms: float  # the software's own time for this check
    # what the screening saw: raw forehead (object) and ambient readings, where the person
    # stood, the estimator's mode and the running reference it used, and how the measurement
    # ended (done, come_closer, sensor_fault)
    object_c: float | None = None
    ambient_c: float | None = None
    distance_cm: float | None = None
    estimate_mode: str | None = None
    reference_c: float | None = None
    measure_state: str | None = None
    # the code's SHA-256 and its issuer: enough to trace a replay, never the payload itself
    code_fingerprint: str | None = None
    code_issuer: str | None = None
    replay_of: str | None = None  # the admission (or open flag) this code or person is held by
    # refused for their shift: the next window they may come in, ISO 8601 start/end (local offset)
    next_window: str | None = None
    direction: str | None = None  # entry or exit (records before schema 5: entry)
    # anti-passback: the admission by which this person is inside already (recorded either way)
    passback_of: str | None = None


@dataclass(frozen=True)
class PassageRow:
    """One admission's passage through the turnstile: released at ``released_s``; then, with a
    passage sensor, ``passed`` when the turnstile says the person went through within
    ``window_s``, or ``not_passed``; without one, ``unconfirmed`` (a pulse, as of old). A gate
    stopped during the window leaves it ``unknown``. Occupancy counts from these rows."""

    admission_id: str  # the check's event_id, or the override's
    admitted_by: str  # check, guard (after a secondary check), command, staff_button
    person_id: str | None
    released_s: float
    window_s: float | None  # None: no passage sensor
    outcome: str  # waiting, passed, not_passed, unconfirmed, unknown
    passed_s: float | None = None
    closed_s: float | None = None
    direction: str | None = None  # entry or exit (records before schema 5: entry)
    zone: str | None = None  # the zone it led into or out of; none: counted nowhere
    gate: str | None = None  # another gate of the zone, heard on the operations link; none: ours


@dataclass(frozen=True)
class Hold:
    """After an admission, its code and its person do not admit again until ``until_s``."""

    fingerprint: str
    person_id: str
    until_s: float


@dataclass(frozen=True)
class OutboxMessage:
    """A message to send. Its payload is a JSON object; the record writes the gate's next
    ``seq`` into it in the transaction that stores it, so seq numbers never repeat or reset."""

    topic: str
    payload: str
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    payload: str
    qos: int
    retain: bool
    seq: int | None = None


def _columns(row_type: type) -> dict[str, type]:
    """SQLite columns from a row dataclass: ``float | None`` is a nullable float column."""
    columns = {}
    for name, hint in get_type_hints(row_type).items():
        options = [t for t in get_args(hint) if t is not type(None)] or [hint]
        columns[name] = options[0]
    return columns


class Record:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(path)
        # checks added through this connection
        self.checks_added = 0
        # checks and other events (faults, results, reports) added through this connection: lets
        # the publisher skip asking for new messages on every camera frame when nothing was added
        self.writes_added = 0
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        # an inspector reading or exporting the record must not make a check fail: wait for them
        self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        with self._writing():
            self._create()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """A write transaction that takes the write lock at its start. A deferred one that read
        first could not be upgraded once another connection had written, and would fail at once
        with "database is locked" instead of waiting."""
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield  # sqlite-utils nests its own transactions as savepoints inside this one
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            raise
        self.db.conn.execute("COMMIT")

    def _create(self) -> None:
        self.db.table("checks").create(
            _columns(CheckRow),
            pk="event_id",
            not_null={"ts", "epoch_s", "decision", "reason", "route"},
            if_not_exists=True,
        )
        self.db.table("checks").create_index(["epoch_s"], if_not_exists=True)
        # a record written by an earlier version gains the columns added since (all nullable)
        self._add_missing_columns("checks", _columns(CheckRow))
        self.db.table("outbox").create(
            {
                "id": int,
                "event_id": str,
                "seq": int,
                "topic": str,
                "payload": str,
                "qos": int,
                "retain": int,
                "created_s": float,
                "sent_s": float,
            },
            pk="id",
            not_null={"topic", "payload", "qos", "retain", "created_s"},
            if_not_exists=True,
        )
        self.db.table("outbox").create_index(["sent_s"], if_not_exists=True)
        self.db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        self.db.table("holds").create(
            {
                "event_id": str,
                "fingerprint": str,
                "person_id": str,
                "admitted_s": float,
                "until_s": float,
            },
            pk="event_id",
            not_null={"fingerprint", "person_id", "admitted_s", "until_s"},
            if_not_exists=True,
        )
        self.db.table("holds").create_index(["fingerprint"], if_not_exists=True)
        self.db.table("holds").create_index(["person_id"], if_not_exists=True)
        self.db.table("faults").create(
            {"event_id": str, "kind": str, "active": int, "at_s": float},
            pk="event_id",
            not_null={"kind", "active", "at_s"},
            if_not_exists=True,
        )
        # every command that reached the gate, with who sent it and what became of it; a
        # verified command's id is its nonce: never run twice
        self.db.table("commands").create(
            {
                "command_id": str,
                "name": str,
                "issued_by": str,
                "key_id": str,
                "verified": int,
                "outcome": str,
                "detail": str,
                "received_s": float,
                "expires_s": float,
            },
            not_null={"name", "verified", "outcome", "received_s"},
            if_not_exists=True,
        )
        self.db.table("commands").create_index(["command_id"], if_not_exists=True)
        self.db.table("boots").create(
            {"boot_id": str, "started_s": float, "alive_s": float},
            pk="boot_id",
            not_null={"started_s", "alive_s"},
            if_not_exists=True,
        )
        self.db.table("daily_reports").create(
            {"day": str, "event_id": str, "payload": str, "made_s": float},
            pk="day",
            not_null={"event_id", "payload", "made_s"},
            if_not_exists=True,
        )
        self._add_missing_columns("outbox", {"seq": int})
        # every step of a secondary check, with who did it (the gate, or a guard's id)
        self.db.table("secondary_steps").create(
            {
                "id": int,
                "flag_id": str,  # the check that raised the flag
                "at_s": float,
                "step": str,
                "by": str,
                "clinical_c": float,
                "detail": str,
            },
            pk="id",
            not_null={"flag_id", "at_s", "step", "by"},
            if_not_exists=True,
        )
        self.db.table("secondary_steps").create_index(["flag_id"], if_not_exists=True)
        # the thermometer's faults and recoveries
        self.db.table("sensor_events").create(
            {"id": int, "at_s": float, "kind": str, "detail": str},
            pk="id",
            not_null={"at_s", "kind"},
            if_not_exists=True,
        )
        # one row per admission: did the person go through (schema 4; older records gain it)
        self.db.table("passages").create(
            _columns(PassageRow),
            pk="admission_id",
            not_null={"admitted_by", "released_s", "outcome"},
            if_not_exists=True,
        )
        self.db.table("passages").create_index(["released_s"], if_not_exists=True)
        self._add_missing_columns("passages", _columns(PassageRow))
        self.db.table("passages").create_index(["zone", "person_id"], if_not_exists=True)
        # the turnstile opened once by staff: by command or by the staff button, and why
        self.db.table("overrides").create(
            {
                "id": int,
                "event_id": str,
                "at_s": float,
                "source": str,
                "by": str,
                "reason": str,
                "command_id": str,
            },
            pk="id",
            not_null={"event_id", "at_s", "source", "by", "reason"},
            if_not_exists=True,
        )
        # fire alarms: the turnstile free from started_s to ended_s (null: still sounding)
        self.db.table("emergencies").create(
            {"id": int, "event_id": str, "started_s": float, "ended_s": float, "detail": str},
            pk="id",
            not_null={"event_id", "started_s"},
            if_not_exists=True,
        )
        # vehicles entered by the guard at a vehicle gate, with their driver's check (schema 5)
        self.db.table("vehicles").create(
            {
                "id": int,
                "event_id": str,
                "at_s": float,
                "plate": str,
                "driver": str,
                "purpose": str,
                "decision": str,
                "reason": str,
                "driver_check_id": str,
                "by": str,
                "command_id": str,
                "source": str,
            },
            pk="id",
            not_null={"event_id", "at_s", "decision", "reason"},
            if_not_exists=True,
        )
        vehicles = self.db.table("vehicles")
        if "source" not in vehicles.columns_dict:
            # a schema 5 record: every vehicle was the guard's, and each had a plate
            vehicles.transform(not_null={"plate": False, "driver": False, "purpose": False})
            vehicles.add_column("source", str)
            self.db.execute("UPDATE vehicles SET source = 'command'")
        self.db.table("vehicles").create_index(["plate"], if_not_exists=True)
        # the zone link: when the gate lost the other gates of its zone and what it assumed
        self.db.table("zone_events").create(
            {"id": int, "at_s": float, "kind": str, "detail": str},
            pk="id",
            not_null={"at_s", "kind"},
            if_not_exists=True,
        )
        self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _add_missing_columns(self, table: str, columns: dict[str, type]) -> None:
        """A record written by an older version gains the newer columns, empty for old rows."""
        existing = self.db.table(table).columns_dict
        for name, kind in columns.items():
            if name not in existing:
                self.db.table(table).add_column(name, kind)

    def add_check(
        self,
        check: CheckRow,
        messages: Iterable[OutboxMessage],
        hold: Hold | None = None,
        passage: PassageRow | None = None,
    ) -> None:
        """The check, its messages, the hold its admission puts on its code and the passage it
        opens, durably, or nothing."""
        with self._writing():
            self.db.table("checks").insert(asdict(check))
            if hold is not None:
                self._insert_hold(check.event_id, check.epoch_s, hold)
            if passage is not None:
                self.db.table("passages").insert(asdict(passage))
            self._insert_messages(check.event_id, messages, check.epoch_s)
        self.checks_added += 1
        self.writes_added += 1

    def add_event(
        self,
        event_id: str,
        messages: Iterable[OutboxMessage],
        created_s: float,
        also: Callable[[sqlite_utils.Database], object] | None = None,
        *,
        table: str | None = None,
        rows: list[dict[str, Any]] | None = None,
        hold: Hold | None = None,
        passage: PassageRow | None = None,
    ) -> None:
        """Messages that are not a check (a fault, a report, a command's result, a step of a
        secondary check, a sensor event, an override, an emergency), with the ``rows`` of
        ``table``, the hold and the passage of an admission by staff and whatever ``also``
        writes, in one transaction, or nothing."""
        if table is not None and (table not in EVENT_TABLES or not rows):
            raise ValueError(f"not an event table, or no rows: {table}")
        with self._writing():
            if table is not None and rows:
                self.db.table(table).insert_all(rows)
            if hold is not None:
                # an admission by staff holds the code under the check it admits (its passage's)
                held_by = passage.admission_id if passage is not None else event_id
                self._insert_hold(held_by, created_s, hold)
            if passage is not None:
                self.db.table("passages").insert(asdict(passage))
            if also is not None:
                also(self.db)
            self._insert_messages(event_id, messages, created_s)
        self.writes_added += 1

    def _insert_messages(
        self, event_id: str, messages: Iterable[OutboxMessage], created_s: float
    ) -> None:
        """Inside a write transaction: each message gets the next seq of this gate."""
        rows = []
        seq = self._last_seq()
        for m in messages:
            seq += 1
            payload = json.loads(m.payload)
            payload["seq"] = seq
            rows.append(
                {
                    "event_id": event_id,
                    "seq": seq,
                    "topic": m.topic,
                    "payload": json.dumps(payload, separators=(",", ":"), sort_keys=True),
                    "qos": m.qos,
                    "retain": int(m.retain),
                    "created_s": created_s,
                    "sent_s": None,
                }
            )
        if rows:
            self.db.table("outbox").insert_all(rows)
            self._set_meta("seq", str(seq))

    def _last_seq(self) -> int:
        value = self.meta("seq")
        return int(value) if value is not None else 0

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def set_meta(self, key: str, value: str) -> None:
        with self._writing():
            self._set_meta(key, value)

    def max_outbox_id(self) -> int:
        row = self.db.execute("SELECT max(id) FROM outbox").fetchone()
        return int(row[0] or 0)

    def _insert_hold(self, event_id: str, admitted_s: float, hold: Hold) -> None:
        self.db.table("holds").insert(
            {
                "event_id": event_id,
                "fingerprint": hold.fingerprint,
                "person_id": hold.person_id,
                "admitted_s": admitted_s,
                "until_s": hold.until_s,
            }
        )

    def held_by(self, fingerprint: str, person_id: str, now_s: float) -> str | None:
        """The admission that still holds this code or this person at ``now_s``, if any. A
        person seen leaving through an exit gate since (theirs or a peer's) is held no more:
        out of the zone, their code is theirs to come back in with (a meal break). Nor is one
        the passage contact saw not going through on it (they turned back): never in, they
        come again on the same code."""
        marks = ", ".join("?" * len(COUNTED_OUTCOMES))
        row = self.db.execute(
            "SELECT event_id FROM holds h WHERE until_s > ? AND admitted_s <= ? "
            "AND (fingerprint = ? OR person_id = ?) AND NOT EXISTS ("
            "SELECT 1 FROM passages p WHERE p.person_id = h.person_id "
            f"AND p.direction = 'exit' AND p.outcome IN ({marks}) "
            "AND COALESCE(p.passed_s, p.released_s) > h.admitted_s) "
            "AND NOT EXISTS (SELECT 1 FROM passages t WHERE t.admission_id = h.event_id "
            "AND t.outcome = 'not_passed') "
            "ORDER BY admitted_s DESC LIMIT 1",
            [now_s, now_s, fingerprint, person_id, *COUNTED_OUTCOMES],
        ).fetchone()
        return None if row is None else str(row[0])

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table not in EVENT_TABLES:
            raise ValueError(f"not an event table: {table}")
        return list(self.db.query(f"SELECT * FROM {table} ORDER BY id"))

    # --- passages -----------------------------------------------------------------------------
    def close_passage(
        self,
        admission_id: str,
        outcome: str,
        closed_s: float,
        messages: Iterable[OutboxMessage],
        passed_s: float | None = None,
    ) -> None:
        """A waiting passage is over (passed or not), with its message, or nothing."""
        with self._writing():
            self.db.execute(
                "UPDATE passages SET outcome = ?, passed_s = ?, closed_s = ? "
                "WHERE admission_id = ? AND outcome = 'waiting'",
                [outcome, passed_s, closed_s, admission_id],
            )
            self._insert_messages(admission_id, messages, closed_s)
        self.writes_added += 1

    def waiting_passages(self) -> list[PassageRow]:
        """The gate's own passages still open (a peer's open passage is closed by the peer's own
        message, or expires as a reservation)."""
        rows = self.db.query(
            "SELECT * FROM passages WHERE outcome = 'waiting' AND gate IS NULL "
            "ORDER BY released_s, admission_id"
        )
        return [PassageRow(**row) for row in rows]

    def passages(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM passages ORDER BY released_s, admission_id"))

    def add_peer_passage(self, passage: PassageRow) -> bool:
        """Another gate's passage into or out of the zone, once: a message heard twice (the
        broker redelivers, the peer resends after a restart) names the same admission. Its
        close replaces its open passage (``waiting``), once: a close heard again, or an open
        passage heard after its close, changes nothing. True when the record changed."""
        columns = asdict(passage)
        # only a peer's own open passage is closed by its message: never one of ours
        closing = (
            ""
            if passage.outcome == "waiting"
            else " ON CONFLICT (admission_id) DO UPDATE SET outcome = excluded.outcome, "
            "passed_s = excluded.passed_s, closed_s = excluded.closed_s "
            "WHERE passages.outcome = 'waiting' AND passages.gate IS excluded.gate"
        )
        with self._writing():
            cursor = self.db.execute(
                f"INSERT{' OR IGNORE' if not closing else ''} INTO passages "
                f"({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){closing}",
                list(columns.values()),
            )
        self.writes_added += 1
        return cursor.rowcount == 1

    def reservations(self, zone: str, now_s: float, margin_s: float) -> int:
        """The places the zone's other gates hold at ``now_s``: their entries heard open
        (``waiting``) and not yet closed, each for its window and ``margin_s`` after (the time
        its close takes to arrive). One whose close never comes (the peer died, or restarted
        and lost it) stops holding by itself then."""
        row = self.db.execute(
            "SELECT count(*) FROM passages WHERE zone = ? AND gate IS NOT NULL "
            "AND outcome = 'waiting' AND COALESCE(direction, 'entry') = 'entry' "
            "AND released_s + COALESCE(window_s, 0) + ? > ?",
            [zone, margin_s, now_s],
        ).fetchone()
        return int(row[0])

    # --- zones --------------------------------------------------------------------------------
    def _zone_passages(self, zone: str, *, waiting: bool) -> list[dict[str, Any]]:
        counted = _INSIDE_SQL if waiting else _COUNTED_SQL
        return list(
            self.db.query(
                "SELECT admission_id, person_id, direction, "
                "COALESCE(passed_s, released_s) AS at_s FROM passages "
                f"WHERE zone = ? AND {counted} ORDER BY at_s, admission_id",
                [zone],
            )
        )

    def occupancy_over_time(self, zone: str) -> list[tuple[float, int]]:
        """The zone's occupancy after each counted passage, in time order: entry +1, exit -1,
        never below nobody (an exit of someone who came in before the record began)."""
        inside, steps = 0, []
        for row in self._zone_passages(zone, waiting=False):
            inside = max(0, inside + (-1 if row["direction"] == "exit" else 1))
            steps.append((row["at_s"], inside))
        return steps

    def occupancy(self, zone: str) -> int:
        """Who is in the zone now, by the passages; an admitted person still in the turnstile
        here (waiting) counts as inside: the next entry must not take their place. A peer's
        open passage does not (see :meth:`reservations`)."""
        inside = 0
        for row in self._zone_passages(zone, waiting=True):
            inside = max(0, inside + (-1 if row["direction"] == "exit" else 1))
        return inside

    def last_passage(self, zone: str, person_id: str) -> tuple[str, str] | None:
        """The admission and direction of ``person_id``'s latest passage into or out of the zone
        (still in the turnstile counts): whether they are inside, and by which passage."""
        rows = list(
            self.db.query(
                "SELECT admission_id, direction FROM passages "
                f"WHERE zone = ? AND person_id = ? AND {_INSIDE_SQL} "
                "ORDER BY COALESCE(passed_s, released_s) DESC, released_s DESC LIMIT 1",
                [zone, person_id],
            )
        )
        if not rows:
            return None
        return str(rows[0]["admission_id"]), str(rows[0]["direction"] or "entry")

    def inside_since(self, zone: str, person_id: str) -> str | None:
        """The admission by which ``person_id`` entered the zone and has not left since."""
        last = self.last_passage(zone, person_id)
        return last[0] if last is not None and last[1] != "exit" else None

    def people_inside(self, zone: str) -> list[dict[str, Any]]:
        """Everyone identified whom the passages show inside the zone now (as
        :meth:`inside_since`: their latest passage, still in the turnstile counts, was an entry),
        earliest entry first: ``person_id``, ``admission_id``, ``since_s``, ``gate`` (None: this
        gate). People let in by a staff override have no identity and are not listed."""
        latest: dict[str, dict[str, Any]] = {}
        for row in self.db.query(
            "SELECT person_id, admission_id, direction, gate, "
            "COALESCE(passed_s, released_s) AS since_s FROM passages "
            f"WHERE zone = ? AND person_id IS NOT NULL AND {_INSIDE_SQL} "
            "ORDER BY COALESCE(passed_s, released_s), released_s",
            [zone],
        ):
            latest[row["person_id"]] = row
        inside = [row for row in latest.values() if row["direction"] != "exit"]
        return [
            {key: row[key] for key in ("person_id", "admission_id", "since_s", "gate")}
            for row in sorted(inside, key=lambda row: (row["since_s"], row["person_id"]))
        ]

    def open_emergency(self) -> dict[str, Any] | None:
        """A fire alarm the record has not seen end (the gate stopped while it sounded)."""
        rows = list(
            self.db.query("SELECT * FROM emergencies WHERE ended_s IS NULL ORDER BY id DESC")
        )
        return rows[0] if rows else None

    def recent_readings(self, since_s: float) -> list[dict[str, Any]]:
        """Forehead readings of checks since ``since_s``, oldest first: the screening's running
        reference picks up where it was after a restart."""
        return list(
            self.db.query(
                "SELECT object_c, ambient_c, distance_cm, epoch_s FROM checks WHERE epoch_s >= ? "
                "AND measure_state = 'done' AND object_c IS NOT NULL AND ambient_c IS NOT NULL "
                "ORDER BY epoch_s",
                [since_s],
            )
        )

    def open_flags(self) -> list[dict[str, Any]]:
        """Checks sent to the secondary check that no guard has resolved yet."""
        return list(
            self.db.query(
                "SELECT c.event_id, c.person_id, c.code, c.temperature_c, c.code_fingerprint, "
                "c.code_issuer, c.replay_of, s.at_s AS opened_s "
                "FROM checks c JOIN secondary_steps s ON s.flag_id = c.event_id "
                "AND s.step = 'sent_to_secondary_check' WHERE c.event_id NOT IN "
                "(SELECT flag_id FROM secondary_steps WHERE step = 'clinical_reading') "
                "ORDER BY s.at_s"
            )
        )

    def unsent(self, limit: int, exclude: Iterable[int] = ()) -> list[OutboxRow]:
        skip = set(exclude)
        rows = self.db.query(
            "SELECT id, topic, payload, qos, retain, seq FROM outbox WHERE sent_s IS NULL "
            "ORDER BY id LIMIT :limit",
            {"limit": limit + len(skip)},
        )
        unsent = [
            OutboxRow(r["id"], r["topic"], r["payload"], r["qos"], bool(r["retain"]), r["seq"])
            for r in rows
            if r["id"] not in skip
        ]
        return unsent[:limit]

    def mark_sent(self, ids: Iterable[int], at_s: float) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._writing():
            self.db.execute(
                f"UPDATE outbox SET sent_s = ? WHERE id IN ({','.join('?' * len(ids))})",
                [at_s, *ids],
            )

    def count_unsent(self) -> int:
        return int(
            self.db.execute("SELECT count(*) FROM outbox WHERE sent_s IS NULL").fetchone()[0]
        )

    def count_sent(self) -> int:
        return int(
            self.db.execute("SELECT count(*) FROM outbox WHERE sent_s IS NOT NULL").fetchone()[0]
        )

    def checks(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM checks ORDER BY epoch_s, event_id"))

    def admissions_without_vehicle(self, since_s: float) -> list[dict[str, Any]]:
        """Admissions at or after ``since_s`` that neither opened a passage nor have a row in
        the vehicles table: at a vehicle gate, those still waiting for their vehicle."""
        return list(
            self.db.query(
                "SELECT * FROM checks c WHERE c.decision = 'admit' AND c.epoch_s >= ? "
                "AND c.person_id IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM passages p WHERE p.admission_id = c.event_id) "
                "AND NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.driver_check_id = c.event_id) "
                "ORDER BY c.epoch_s",
                [since_s],
            )
        )

    def last_check_of(self, person_id: str, since_s: float) -> dict[str, Any] | None:
        """The person's latest check at or after ``since_s``, if any."""
        rows = self.db.query(
            "SELECT * FROM checks WHERE person_id = ? AND epoch_s >= ? "
            "ORDER BY epoch_s DESC, event_id DESC LIMIT 1",
            [person_id, since_s],
        )
        return next(iter(rows), None)

    def outbox(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM outbox ORDER BY id"))

    def purge_before(self, epoch_s: float) -> int:
        """Forget checks older than the retention period, with their delivered messages.
        Messages not yet delivered are kept: an event that was decided is never lost."""
        with self._writing():
            cursor = self.db.execute(
                "DELETE FROM checks WHERE epoch_s < ? AND event_id NOT IN "
                "(SELECT event_id FROM outbox WHERE sent_s IS NULL)",
                [epoch_s],
            )
            self.db.execute(
                "DELETE FROM outbox WHERE sent_s IS NOT NULL AND created_s < ?", [epoch_s]
            )
            self.db.execute("DELETE FROM holds WHERE until_s < ?", [epoch_s])
            # a peer's passage whose close never came is forgotten too: only ours can be open
            self.db.execute(
                "DELETE FROM passages WHERE released_s < ? "
                "AND (outcome != 'waiting' OR gate IS NOT NULL)",
                [epoch_s],
            )
            self.db.execute("DELETE FROM overrides WHERE at_s < ?", [epoch_s])
            self.db.execute("DELETE FROM vehicles WHERE at_s < ?", [epoch_s])
            self.db.execute(
                "DELETE FROM emergencies WHERE started_s < ? AND ended_s IS NOT NULL", [epoch_s]
            )
            self.db.execute("DELETE FROM commands WHERE received_s < ?", [epoch_s])
        return int(cursor.rowcount)

    # --- boots, faults, commands, daily reports ------------------------------------------------
    def start_boot(self, boot_id: str, now_s: float) -> None:
        with self._writing():
            self.db.table("boots").insert(
                {"boot_id": boot_id, "started_s": now_s, "alive_s": now_s}
            )

    def alive(self, boot_id: str, now_s: float) -> None:
        """The service still runs: the daily report's uptime counts up to the last of these."""
        with self._writing():
            self.db.execute("UPDATE boots SET alive_s = ? WHERE boot_id = ?", [now_s, boot_id])

    def uptime_s(self, start_s: float, end_s: float) -> float:
        rows = self.db.execute(
            "SELECT started_s, alive_s FROM boots WHERE alive_s >= ? AND started_s < ?",
            [start_s, end_s],
        ).fetchall()
        return sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in rows)

    def command_seen(self, command_id: str) -> bool:
        """Was a verified command with this id (its nonce) already taken?"""
        row = self.db.execute(
            "SELECT 1 FROM commands WHERE command_id = ? AND verified = 1 LIMIT 1", [command_id]
        ).fetchone()
        return row is not None

    def commands(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM commands ORDER BY rowid"))

    def day_counts(self, start_s: float, end_s: float) -> dict[str, Any]:
        """What the daily report counts, for checks decided in [start_s, end_s)."""
        between = "epoch_s >= :start AND epoch_s < :end"
        span = {"start": start_s, "end": end_s}

        def count(where: str) -> int:
            sql = f"SELECT count(*) FROM checks WHERE {between} AND {where}"
            return int(self.db.execute(sql, span).fetchone()[0])

        denied = {
            str(r["reason"]): int(r["n"])
            for r in self.db.query(
                f"SELECT reason, count(*) AS n FROM checks WHERE {between} AND decision = 'deny' "
                "GROUP BY reason ORDER BY n DESC, reason",
                span,
            )
        }
        faults = self.db.execute(
            "SELECT count(*) FROM faults WHERE active = 1 AND at_s >= :start AND at_s < :end",
            span,
        ).fetchone()[0]
        alerts = self.db.execute(
            "SELECT count(*) FROM outbox WHERE topic LIKE '%/alert/%' "
            "AND created_s >= :start AND created_s < :end",
            span,
        ).fetchone()[0]
        # a fever is confirmed by a guard's clinical reading at the secondary check (older
        # records: by the gate itself, as a check's reason)
        confirmed = self.db.execute(
            "SELECT count(*) FROM secondary_steps WHERE step = 'fever_confirmed' "
            "AND at_s >= :start AND at_s < :end",
            span,
        ).fetchone()[0]
        passages = "gate IS NULL AND released_s >= :start AND released_s < :end"
        by_outcome = {
            str(r["outcome"]): int(r["n"])
            for r in self.db.query(
                f"SELECT outcome, count(*) AS n FROM passages WHERE {passages} "
                "GROUP BY outcome ORDER BY outcome",
                span,
            )
        }
        went_through = ", ".join(f"'{outcome}'" for outcome in COUNTED_OUTCOMES)
        by_direction = {
            str(r["direction"]): int(r["n"])
            for r in self.db.query(
                "SELECT coalesce(direction, 'entry') AS direction, count(*) AS n FROM passages "
                f"WHERE {passages} AND outcome IN ({went_through}) "
                "GROUP BY coalesce(direction, 'entry') ORDER BY direction",
                span,
            )
        }
        return {
            "passages_by_outcome": by_outcome,
            "passages_by_direction": by_direction,
            "checks": count("1"),
            "admitted": count("decision = 'admit'"),
            "denied_by_reason": denied,
            "flags": int(alerts),
            "secondary_checks": count("route = 'secondary_check'"),
            "fevers_confirmed": count("reason = 'fever'") + int(confirmed),
            "faults": int(faults),
        }

    def daily_report(self, day: str) -> str | None:
        row = self.db.execute("SELECT payload FROM daily_reports WHERE day = ?", [day]).fetchone()
        return None if row is None else str(row[0])

    def mark_simulated(self) -> None:
        """Label this record as the simulator's: only such a record may be replaced."""
        with self._writing():
            self.db.table("meta").upsert({"key": "simulated", "value": "yes"}, pk="key")

    def close(self) -> None:
        self.db.close()


def is_simulated_record(path: Path) -> bool:
    """Read-only: does the file at ``path`` carry the simulator's label?"""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as existing:
            row = existing.execute("SELECT value FROM meta WHERE key = 'simulated'").fetchone()
    except sqlite3.DatabaseError:
        return False  # not a record, or one from a real gate (it has no such label)
    return row is not None and row[0] == "yes"
