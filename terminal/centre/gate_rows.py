"""What each kind of gate message writes, one function per table. Every write is idempotent and
order-free (a duplicate changes nothing, an older status never overwrites a newer one), so a
batch's statements can be sent without waiting for each answer.

Every function takes the park and gate of the topic the message came on: the broker lets a gate
publish on its own topics only, so these are the rows' keys, never what the payload claims.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from terminal.centre.database import Database
from terminal.centre.flags import FlagKey, record_alert
from terminal.centre.schema import CHECK_COLUMNS, COMMAND_COLUMNS, EVENT_COLUMNS, MUSTER_COLUMNS
from terminal.centre.views import GATE_ALERTS
from terminal.link import contract


def event(
    db: Database,
    park: str,
    gate: str,
    topic: str,
    event: contract.Envelope,
    payload: bytes,
    received_s: float,
) -> Callable[[], int]:
    """The event as it came; the count of rows it added (0: this gate sent it before)."""
    return db.later(
        f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (park, gate, event_id) DO NOTHING",
        (
            event.event_id, park, gate, event.schema_, topic, event.occurred_at.timestamp(),
            received_s, int(event.replayed), payload.decode("utf-8"),
        ),
    )  # fmt: skip


def ensure_gate(db: Database, park: str, gate: str) -> None:
    db.execute(
        "INSERT INTO gates (park, gate) VALUES (?, ?) ON CONFLICT (park, gate) DO NOTHING",
        (park, gate),
    )


def seen(db: Database, park: str, gate: str, seen_s: float) -> None:
    db.execute(
        "INSERT INTO gates (park, gate, last_seen_s) VALUES (?, ?, ?) "
        "ON CONFLICT (park, gate) DO UPDATE SET last_seen_s = excluded.last_seen_s "
        "WHERE gates.last_seen_s IS NULL OR gates.last_seen_s < excluded.last_seen_s",
        (park, gate, seen_s),
    )


def last_will(db: Database, status: contract.Status) -> Callable[[], int]:
    """The last will carries no time: it is news only about the boot it was set by."""
    ensure_gate(db, status.park, status.gate)
    return db.later(
        "UPDATE gates SET state = ? WHERE park = ? AND gate = ? "
        "AND (boot_id IS NULL OR boot_id = ?) AND (state IS NULL OR state <> ?)",
        (status.state, status.park, status.gate, status.boot_id, status.state),
    )


def status(db: Database, status: contract.Status, occurred_s: float) -> Callable[[], int]:
    """The gate's state, when this status is newer than the one it has."""
    health = status.health.model_dump(mode="json") if status.health else None
    problem = (
        status.connection_problem.model_dump(mode="json") if status.connection_problem else None
    )
    # the newest status's word on today's screening; a gate that sends none shows none
    screening = status.screening.model_dump_json() if status.screening else None
    changed = db.later(
        "UPDATE gates SET state = ?, boot_id = ?, software_version = ?, "
        "status_occurred_s = ?, health = ?, lockdown = ?, risk_tier = ?, faults = ?, "
        "connection_problem = ?, screening = ? WHERE park = ? AND gate = ? "
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
            screening,
            status.park,
            status.gate,
            occurred_s,
        ),
    )
    if status.backlog is not None:
        backlog(db, status.park, status.gate, status.backlog, occurred_s)
    zoned = gate_zone(db, status, occurred_s)
    return lambda: changed() + zoned()


def gate_zone(db: Database, status: contract.Status, occurred_s: float) -> Callable[[], int]:
    """The gate's zone and occupancy as its newest status says (a status from before the
    field leaves the gate without a zone)."""
    zone = status.zone
    return db.later(
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


def metrics(db: Database, metrics: contract.Metrics, received_s: float) -> None:
    """Alive (last seen), and the backlog when this is the newest word on it: one statement
    (metrics come every half minute from every gate)."""
    db.execute(
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
        (metrics.park, metrics.gate, received_s, metrics.backlog, metrics.occurred_at.timestamp()),
    )


def backlog(db: Database, park: str, gate: str, backlog: int, occurred_s: float) -> None:
    db.execute(
        "UPDATE gates SET backlog = ?, backlog_occurred_s = ? WHERE park = ? AND gate = ? "
        "AND (backlog_occurred_s IS NULL OR backlog_occurred_s < ?)",
        (backlog, occurred_s, park, gate, occurred_s),
    )


def check(db: Database, park: str, gate: str, event: contract.CheckEvent) -> None:
    data = event.data
    db.execute(
        f"INSERT INTO checks ({CHECK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (park, gate, event_id) DO NOTHING",
        (
            event.event_id, park, gate, event.occurred_at.timestamp(), data.person_id, data.code,
            data.temperature_c, data.decision, data.reason.value, data.route.value,
            int(event.replayed), data.object_c, data.screening,
        ),
    )  # fmt: skip


def alert(db: Database, park: str, gate: str, event: contract.AlertEvent) -> None:
    """An alert about the gate itself is one of its faults (a fire alarm also brings its roll
    call); an alert about a person is the gate's flag."""
    data = event.data
    occurred_s = event.occurred_at.timestamp()
    if data.kind in GATE_ALERTS:
        kind, active, default_detail = GATE_ALERTS[data.kind]
        fault(db, park, gate, kind, active, data.detail or default_detail, occurred_s)
        if data.kind == "emergency" and data.inside is not None:
            muster(db, park, gate, event)
        return
    flag_id = data.check_event_id
    assert flag_id is not None  # checked before any write (the ingest's _same_kind)
    record_alert(db, FlagKey(park, gate, flag_id), data, occurred_s)


def muster(db: Database, park: str, gate: str, event: contract.AlertEvent) -> None:
    """The roll call an emergency alert carries, kept once (a repeat changes nothing, and
    nobody's tick is lost)."""
    data = event.data
    people = data.inside or []
    db.execute(
        f"INSERT INTO musters ({MUSTER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (park, gate, emergency_id) DO NOTHING",
        (
            event.event_id, park, gate, data.zone, event.occurred_at.timestamp(),
            max(data.inside_count or 0, len(people)),
        ),
    )  # fmt: skip
    for person in people:
        db.execute(
            "INSERT INTO muster_people (park, gate, emergency_id, person_id, since_s, by_gate) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (park, gate, emergency_id, person_id) DO NOTHING",
            (park, gate, event.event_id, person.person_id, person.since.timestamp(), person.gate),
        )


def fault(
    db: Database, park: str, gate: str, kind: str, active: bool, detail: str, occurred_s: float
) -> None:
    db.execute(
        "INSERT INTO faults (park, gate, kind, active, detail, since_s) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (park, gate, kind) DO UPDATE SET "
        "active = excluded.active, detail = excluded.detail, since_s = excluded.since_s "
        "WHERE faults.since_s < excluded.since_s",
        (park, gate, kind, int(active), detail, occurred_s),
    )


def daily_report(db: Database, park: str, gate: str, event: contract.DailyReportEvent) -> None:
    """The gate's report of a day: its newest one wins."""
    db.execute(
        "INSERT INTO daily_reports (park, gate, day, event_id, occurred_s, data) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (park, gate, day) DO UPDATE SET "
        "event_id = excluded.event_id, occurred_s = excluded.occurred_s, "
        "data = excluded.data WHERE daily_reports.occurred_s < excluded.occurred_s",
        (
            park, gate, event.data.date.isoformat(), event.event_id,
            event.occurred_at.timestamp(), event.data.model_dump_json(),
        ),
    )  # fmt: skip


def command_result(db: Database, park: str, gate: str, event: contract.CommandResultEvent) -> None:
    """A command's outcome. A command sent by the command line, not by this centre, is recorded
    all the same (under the gate that answered); a result answers only a command sent to the
    gate whose topic it came on, so the answer to an id this centre sent to another gate is
    dropped."""
    data = event.data
    db.execute(
        f"INSERT INTO commands ({COMMAND_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, NULL, '', ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM commands WHERE command_id = ? "
        "AND expires_s IS NOT NULL AND (park <> ? OR gate <> ?)) "
        "ON CONFLICT (park, gate, command_id) DO UPDATE SET outcome = excluded.outcome, "
        "detail = excluded.detail",
        (
            data.command_id, data.name, park, gate, data.issued_by,
            event.occurred_at.timestamp(), data.outcome, data.detail,
            data.command_id, park, gate,
        ),
    )  # fmt: skip
