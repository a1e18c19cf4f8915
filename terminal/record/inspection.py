"""The record read for an inspector: its checks, secondary checks and vehicles between two times,
as the printed record's lines (:mod:`terminal.common.printed.rows`).

Opened read-only (``mode=ro``): nothing is written, not even a pragma, and a running gate goes on
writing beside it; a moment's write lock is waited for, never failed on. A record of an earlier
schema lacks some columns: they read as empty. One of a newer schema is refused, as the gate
refuses it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

from terminal.common.errors import GateError
from terminal.common.printed.rows import CheckLine, FlagLine, VehicleLine, line_of
from terminal.record.schema import BUSY_TIMEOUT_MS, refuse_if_newer

# the steps of a secondary check that end it (terminal.gate.secondary writes them), and the
# outcome each one is on paper
_ENDINGS = {
    "fever_confirmed": "fever_confirmed",
    "admitted_by_staff": "admitted",
    "refused_after_check": "refused",
}


class RecordUnreadable(GateError):
    """The file is not a record this software can read."""


class Inspection:
    """A record opened read-only; close it (or use ``with``) when done."""

    def __init__(self, path: Path, gate: str, isolation_room: str | None = None) -> None:
        """``gate``: this gate's id, for the rows the record keeps without one (vehicles);
        ``isolation_room``: the room (and where it is) the gate sends people to directly (a
        red code, a positive test), as its config names it."""
        self.path = path
        self.gate = gate
        self.isolation_room = isolation_room
        try:
            self._db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._db.row_factory = sqlite3.Row
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            self._columns = {
                table: {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                for table in ("checks", "secondary_steps", "vehicles", "passages")
            }
        except sqlite3.Error as exc:
            raise RecordUnreadable(f"{path}: not a record that can be read ({exc})") from None
        try:
            refuse_if_newer(version, path)
        except GateError:
            self._db.close()
            raise
        if not self._columns["checks"]:
            self._db.close()
            raise RecordUnreadable(f"{path}: not a gate's record (it has no checks)")

    def __enter__(self) -> Inspection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _column(self, table: str, name: str, alias: str | None = None) -> str:
        """``name`` as it is selected from ``table``; empty in a record older than it."""
        shown = alias or name
        if name in self._columns[table]:
            return name if alias is None else f"{name} AS {alias}"
        return f"NULL AS {shown}"

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise RecordUnreadable(f"{self.path}: cannot be read ({exc})") from None

    def checks(self, start_s: float, end_s: float) -> list[CheckLine]:
        """Every check from ``start_s`` to before ``end_s``, oldest first."""
        column = self._column
        rows = self._query(  # under the printed line's names
            "SELECT event_id, gate, epoch_s AS at_s, person_id, code, "
            f"{column('checks', 'object_c', 'screened_c')}, temperature_c AS estimated_core_c, "
            f"{column('checks', 'screening')}, decision, reason, route, "
            f"{column('checks', 'direction')} FROM checks "
            "WHERE epoch_s >= ? AND epoch_s < ? ORDER BY epoch_s, event_id",
            (start_s, end_s),
        )
        passages = self._passages(start_s)
        return [
            line_of(
                CheckLine,
                dict(row),
                gate=row["gate"] or self.gate,
                code=row["code"] or "none",
                passage=passages.get(row["event_id"]),
                isolation_room=self.isolation_room if row["route"] == "isolation_room" else None,
            )
            for row in rows
        ]

    def _passages(self, start_s: float) -> dict[str, str]:
        """The outcome of each of this gate's passages released from ``start_s`` on (a staff
        admission comes after its check: any time after), by admission (the check's event id,
        or a flag's id for an admission by staff)."""
        if not self._columns["passages"]:
            return {}  # a record from before passages were kept
        # ours only: another gate of the zone heard on the operations link names itself
        ours = " AND gate IS NULL" if "gate" in self._columns["passages"] else ""
        rows = self._query(
            f"SELECT admission_id, outcome FROM passages WHERE released_s >= ?{ours}",
            (start_s,),
        )
        return {row["admission_id"]: row["outcome"] for row in rows}

    def flags(self, start_s: float, end_s: float) -> list[FlagLine]:
        """Every secondary check opened from ``start_s`` to before ``end_s``, with its clinical
        reading, who took it and how it ended (read from its steps), oldest first."""
        if not self._columns["secondary_steps"]:
            return []  # a record from before the secondary check was kept
        opened = self._query(  # under the printed line's names
            "SELECT s.flag_id, s.at_s AS raised_s, c.gate, c.person_id, "
            f"{self._column('checks', 'object_c', 'screened_c')}, "
            "c.temperature_c AS estimated_core_c "
            "FROM secondary_steps s LEFT JOIN checks c ON c.event_id = s.flag_id "
            "WHERE s.step = 'sent_to_secondary_check' AND s.at_s >= ? AND s.at_s < ? "
            "ORDER BY s.at_s, s.flag_id",
            (start_s, end_s),
        )
        if not opened:
            return []
        steps: dict[str, list[sqlite3.Row]] = {}
        marks = ", ".join("?" * len(opened))
        for step in self._query(
            f"SELECT flag_id, at_s, step, by, clinical_c, detail FROM secondary_steps "
            f"WHERE flag_id IN ({marks}) ORDER BY at_s, id",
            tuple(row["flag_id"] for row in opened),
        ):
            steps.setdefault(step["flag_id"], []).append(step)
        passages = self._passages(start_s)
        return [
            self._flag(row, steps.get(row["flag_id"], []), passages.get(row["flag_id"]))
            for row in opened
        ]

    def _flag(self, opened: sqlite3.Row, steps: list[sqlite3.Row], passage: str | None) -> FlagLine:
        reading = next((step for step in steps if step["step"] == "clinical_reading"), None)
        outcome, reason, room = "open", None, None
        for step in steps:
            if step["step"] in _ENDINGS:
                outcome = _ENDINGS[step["step"]]
                # the decision's reason, and a shift refusal's next window after a semicolon
                reason = "fever" if outcome == "fever_confirmed" else step["detail"] or None
                reason = reason.split(";", 1)[0] if reason else None
            elif step["step"] == "routed_to_isolation":
                room = step["detail"] or None  # the room and where it is, as configured
        return line_of(
            FlagLine,
            dict(opened),
            gate=opened["gate"] or self.gate,
            clinical_c=None if reading is None else reading["clinical_c"],
            checked_by=None if reading is None else reading["by"],
            checked_s=None if reading is None else reading["at_s"],
            outcome=outcome,
            reason=reason,
            isolation_room=room,
            passage=passage if outcome == "admitted" else None,
        )

    def vehicles(self, start_s: float, end_s: float) -> list[VehicleLine]:
        """Every vehicle from ``start_s`` to before ``end_s`` (this gate's), oldest first."""
        if not self._columns["vehicles"]:
            return []
        rows = self._query(  # under the printed line's names
            "SELECT event_id, at_s, plate, driver, purpose, decision, reason, by FROM vehicles "
            "WHERE at_s >= ? AND at_s < ? ORDER BY at_s, id",
            (start_s, end_s),
        )
        return [line_of(VehicleLine, dict(row), gate=self.gate) for row in rows]
