"""Checks: one row per person checked, with what the screening saw and what was decided."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from terminal.record.schema import Table, columns_of


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
    # the screening's word whatever the decision (pass, rest, rest_pass, rest_guard, guard,
    # fault, not_measured; NULL at an exit), its stage (first, rested), the screened reading at
    # or above which that stage sends on, what the reading was held against (baseline, crowd,
    # table), one line for the guard, and when a person told to rest may scan again (ISO, UTC)
    screening: str | None = None
    screening_stage: str | None = None
    threshold_c: float | None = None
    reference_basis: str | None = None
    why: str | None = None
    rest_until: str | None = None


@dataclass(frozen=True)
class ForeheadReading:
    """What the thermometer read for one finished measurement of a check."""

    object_c: float
    ambient_c: float
    distance_cm: float | None
    epoch_s: float
    person_id: str | None = None
    stage: str | None = None  # first or rested (records before schema 7: None)
    screening: str | None = None  # the screening's word on that check
    reference_c: float | None = None  # the reading expected of the person there and then


TABLES = (
    Table(
        "checks",
        columns_of(CheckRow),
        pk="event_id",
        not_null=frozenset({"ts", "epoch_s", "decision", "reason", "route"}),
        indexes=(("epoch_s",),),
    ),
)


class Checks:
    """Reads and writes of the checks table; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, check: CheckRow) -> None:
        self.db.table("checks").insert(asdict(check))

    def all(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM checks ORDER BY epoch_s, event_id"))

    def recent_readings(self, since_s: float) -> list[ForeheadReading]:
        """Forehead readings of checks since ``since_s``, oldest first: the screening's running
        reference picks up where it was after a restart."""
        rows = self.db.query(
            "SELECT object_c, ambient_c, distance_cm, epoch_s, person_id, "
            "screening_stage AS stage, screening, reference_c FROM checks WHERE epoch_s >= ? "
            "AND measure_state = 'done' AND object_c IS NOT NULL AND ambient_c IS NOT NULL "
            "ORDER BY epoch_s",
            [since_s],
        )
        return [ForeheadReading(**row) for row in rows]

    def screening_counts(self, since_s: float) -> dict[str, int]:
        """Since ``since_s``: people screened (a reading taken, whatever was decided) and
        people sent to the secondary check (the guard's load)."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(screening IN "
            "('pass', 'rest', 'rest_pass', 'rest_guard', 'guard')), 0), "
            "COALESCE(SUM(route = 'secondary_check'), 0) FROM checks WHERE epoch_s >= ?",
            [since_s],
        ).fetchone()
        return {"screened": int(row[0]), "sent_to_guard": int(row[1])}

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

    def last_of(self, person_id: str, since_s: float) -> dict[str, Any] | None:
        """The person's latest check at or after ``since_s``, if any."""
        rows = self.db.query(
            "SELECT * FROM checks WHERE person_id = ? AND epoch_s >= ? "
            "ORDER BY epoch_s DESC, event_id DESC LIMIT 1",
            [person_id, since_s],
        )
        return next(iter(rows), None)
