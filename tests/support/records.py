"""A check as the record stores it."""

from __future__ import annotations

from terminal.record.store import CheckRow


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
