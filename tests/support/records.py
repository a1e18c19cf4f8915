"""A check as the record stores it; a record as an earlier version of the gate left it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from terminal.record.store import CheckRow
from tests.record_schemas import EARLIER_SCHEMAS


def check(event_id: str = "e1", epoch_s: float = 1_000.0, **changes: object) -> CheckRow:
    fields = {
        "event_id": event_id,
        "ts": "2026-11-23T00:00:00.000Z",
        "epoch_s": epoch_s,
        "park": "p",
        "gate": "g",
        "person_id": "W1",
        "code": "green",
        "temperature_c": 36.6,
        "first_c": None,
        "sensor_fault": None,
        "decision": "admit",
        "reason": "admitted",
        "route": "through",
        "check_s": 0.6,
        "processing_ms": 3.0,
    }
    return CheckRow(**{**fields, **changes})  # type: ignore[arg-type]


def earlier_record(path: Path, version: int, *, gate: str = "g", epoch_s: float = 1.0) -> None:
    """A record as the gate of schema ``version`` left it, with one admission in it (``old-1``,
    at ``gate`` at ``epoch_s``) and its message in the outbox."""
    ts = datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(path) as old:
        for statement in EARLIER_SCHEMAS[version]:
            old.execute(statement)
        old.execute(
            "INSERT INTO checks (event_id, ts, epoch_s, park, gate, person_id, code, "
            "temperature_c, decision, reason, route, check_s, processing_ms) VALUES ('old-1', "
            "?, ?, 'p', ?, 'W1', 'green', 36.6, 'admit', 'admitted', 'through', 1.0, 1.0)",
            [ts, epoch_s, gate],
        )
        old.execute(
            "INSERT INTO outbox (event_id, topic, payload, qos, retain, created_s) "
            "VALUES ('old-1', 't/check', '{}', 1, 0, ?)",
            [epoch_s],
        )
        old.execute(f"PRAGMA user_version={version}")
    old.close()
