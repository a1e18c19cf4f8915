"""Events other than checks, each written with its messages: faults, the steps of a secondary
check, the thermometer's faults, staff overrides, fire alarms, vehicles, the zone link."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from terminal.record.schema import Table

# tables of events other than checks, written with their messages (add_event) and read in order
EVENT_TABLES = (
    "secondary_steps",
    "sensor_events",
    "overrides",
    "emergencies",
    "vehicles",
    "zone_events",
)


@dataclass(frozen=True)
class FaultRow:
    """A fault of the gate starting (``active``) or ending, at ``at_s``."""

    event_id: str
    kind: str
    active: bool
    at_s: float


@dataclass(frozen=True)
class EmergencyRow:
    """A fire alarm: the turnstile free from ``started_s`` to ``ended_s`` (None: sounding)."""

    id: int
    event_id: str
    started_s: float
    ended_s: float | None
    detail: str | None


def _vehicles_before_schema_6(db: sqlite_utils.Database) -> None:
    """A schema 5 record: every vehicle was the guard's, and each had a plate."""
    vehicles = db.table("vehicles")
    if "source" not in vehicles.columns_dict:
        vehicles.transform(not_null={"plate": False, "driver": False, "purpose": False})
        vehicles.add_column("source", str)
        db.execute("UPDATE vehicles SET source = 'command'")


TABLES = (
    Table(
        "faults",
        {"event_id": str, "kind": str, "active": int, "at_s": float},
        pk="event_id",
        not_null=frozenset({"kind", "active", "at_s"}),
    ),
    # every step of a secondary check, with who did it (the gate, or a guard's id); flag_id is
    # the check that raised the flag
    Table(
        "secondary_steps",
        {
            "id": int,
            "flag_id": str,
            "at_s": float,
            "step": str,
            "by": str,
            "clinical_c": float,
            "detail": str,
        },
        pk="id",
        not_null=frozenset({"flag_id", "at_s", "step", "by"}),
        indexes=(("flag_id",),),
    ),
    # the thermometer's faults and recoveries
    Table(
        "sensor_events",
        {"id": int, "at_s": float, "kind": str, "detail": str},
        pk="id",
        not_null=frozenset({"at_s", "kind"}),
    ),
    # the turnstile opened once by staff: by command or by the staff button, and why
    Table(
        "overrides",
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
        not_null=frozenset({"event_id", "at_s", "source", "by", "reason"}),
    ),
    # fire alarms: the turnstile free from started_s to ended_s (null: still sounding)
    Table(
        "emergencies",
        {"id": int, "event_id": str, "started_s": float, "ended_s": float, "detail": str},
        pk="id",
        not_null=frozenset({"event_id", "started_s"}),
    ),
    # vehicles entered by the guard at a vehicle gate, with their driver's check (schema 5), or
    # by a permit (schema 6)
    Table(
        "vehicles",
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
        not_null=frozenset({"event_id", "at_s", "decision", "reason"}),
        indexes=(("plate",),),
        upgrade=_vehicles_before_schema_6,
    ),
    # the zone link: when the gate lost the other gates of its zone and what it assumed
    Table(
        "zone_events",
        {"id": int, "at_s": float, "kind": str, "detail": str},
        pk="id",
        not_null=frozenset({"at_s", "kind"}),
    ),
)


class Events:
    """Reads and writes of the event tables; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if table not in EVENT_TABLES or not rows:
            raise ValueError(f"not an event table, or no rows: {table}")
        self.db.table(table).insert_all(rows)

    def insert_faults(self, faults: list[FaultRow]) -> None:
        self.db.table("faults").insert_all(
            [{**asdict(fault), "active": int(fault.active)} for fault in faults]
        )

    def end_emergencies(self, ended_s: float) -> None:
        """Every fire alarm still sounding in the record is over at ``ended_s``."""
        self.db.execute("UPDATE emergencies SET ended_s = ? WHERE ended_s IS NULL", [ended_s])

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table not in EVENT_TABLES:
            raise ValueError(f"not an event table: {table}")
        return list(self.db.query(f"SELECT * FROM {table} ORDER BY id"))

    def open_emergency(self) -> EmergencyRow | None:
        """A fire alarm the record has not seen end (the gate stopped while it sounded)."""
        rows = self.db.query("SELECT * FROM emergencies WHERE ended_s IS NULL ORDER BY id DESC")
        return next((EmergencyRow(**row) for row in rows), None)
