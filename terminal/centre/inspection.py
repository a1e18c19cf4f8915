"""The printed record from the centre's store: the checks, the secondary checks (flags, with the
guard's clinical reading and where the person went) and the vehicles the gates sent, between two
times, at one gate or all, as the printed record's lines (:mod:`terminal.common.printed.rows`)
the gate's own export makes from its record."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import NamedTuple

from terminal.centre.guarded import Guarded
from terminal.centre.views import ISOLATION_KINDS
from terminal.common.printed.rows import CheckLine, FlagLine, VehicleLine, line_of

# a flag's state at the centre -> how its secondary check ended on paper (an escort to the
# isolation room follows a confirmed fever, or a code or test that sends the person there)
_OUTCOMES = {
    "open": "open",
    "admitted": "admitted",
    "refused": "refused",
    "fever_confirmed": "fever_confirmed",
}
# the flags of people sent to the secondary check; an alert that sent someone straight to the
# isolation room from the gate is that check's own route, and a rest not followed is no check
SECONDARY_KINDS = ("secondary_check", "fever", "suspected_fever")
# the flag's columns as selected, under the printed line's names where it has them (the person:
# the gate's id, or who a guard said they are)
_FLAG_FIELDS = (
    "flag_id", "gate", "raised_s", "person_id", "screened_c", "estimated_core_c", "clinical_c",
    "checked_by", "resolved_s", "state", "kind", "reason", "isolation_room", "isolation_location",
)  # fmt: skip


class PrintedLines(NamedTuple):
    checks: list[CheckLine]
    flags: list[FlagLine]
    vehicles: list[VehicleLine]


class Inspection:
    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded

    def lines(self, start_s: float, end_s: float, gate: str | None = None) -> PrintedLines:
        """Everything from ``start_s`` to before ``end_s``, oldest first; ``gate`` None: every
        gate's."""
        passages = self._passages(start_s, gate)  # read once: checks and flags both need them
        return PrintedLines(
            self._checks(start_s, end_s, gate, passages),
            self._flags(start_s, end_s, gate, passages),
            self._vehicles(start_s, end_s, gate),
        )

    @staticmethod
    def _where(column: str, start_s: float, end_s: float, gate: str | None) -> tuple[str, list]:
        clause = f"{column} >= ? AND {column} < ?"
        params: list[object] = [start_s, end_s]
        if gate is not None:
            clause += " AND gate = ?"
            params.append(gate)
        return clause, params

    def _checks(
        self, start_s: float, end_s: float, gate: str | None, passages: dict[str, str]
    ) -> list[CheckLine]:
        where, params = self._where("c.occurred_s", start_s, end_s, gate)
        where = where.replace("gate = ?", "c.gate = ?")
        # a person the gate sent straight to the isolation room: its alert names the room
        rows = self._guarded.read(
            "SELECT c.event_id, c.gate, c.occurred_s, c.person_id, c.code, c.object_c, "
            "c.temperature_c, c.screening, c.decision, c.reason, c.route, "
            "f.isolation_room, f.isolation_location FROM checks c "
            "LEFT JOIN flags f ON f.flag_id = c.event_id AND c.route = 'isolation_room' "
            f"WHERE {where} ORDER BY c.occurred_s, c.gate, c.event_id",
            params,
        )
        checks = []
        for *values, room, location in rows:
            line = replace(CheckLine(*values), passage=passages.get(values[0]))
            if line.route == "isolation_room":
                named = {"isolation_room": room, "isolation_location": location}
                line = replace(line, isolation_room=_room(named))
            checks.append(line)
        return checks

    def _passages(self, start_s: float, gate: str | None) -> dict[str, str]:
        """Each admission's passage outcome as the gates sent it (an open passage, then its
        close: the close wins), for admissions from ``start_s`` on, by admission id."""
        where, params = "occurred_s >= ?", list[object]([start_s])
        if gate is not None:
            where += " AND gate = ?"
            params.append(gate)
        rows = self._guarded.read(
            f"SELECT payload FROM events WHERE {where} AND schema = ? ORDER BY occurred_s",
            (*params, "gate.passage/1"),
        )
        outcomes: dict[str, str] = {}
        for (payload,) in rows:
            data = json.loads(payload)["data"]
            if data["outcome"] != "waiting" or data["admission_id"] not in outcomes:
                outcomes[data["admission_id"]] = data["outcome"]
        return outcomes

    def _flags(
        self, start_s: float, end_s: float, gate: str | None, passages: dict[str, str]
    ) -> list[FlagLine]:
        where, params = self._where("raised_s", start_s, end_s, gate)
        marks = ", ".join("?" * len(SECONDARY_KINDS))
        rows = self._guarded.read(
            "SELECT flag_id, gate, raised_s, COALESCE(person_id, identity), object_c, "
            "temperature_c, clinical_c, guard, resolved_s, state, kind, reason, isolation_room, "
            "isolation_location "
            f"FROM flags WHERE {where} AND (kind IN ({marks}) OR clinical_c IS NOT NULL) "
            "ORDER BY raised_s, gate, flag_id",
            (*params, *SECONDARY_KINDS),
        )
        flags = []
        for values in rows:
            row = dict(zip(_FLAG_FIELDS, values, strict=True))
            state, kind, clinical = row["state"], row["kind"], row["clinical_c"]
            # escorted: to the isolation room, after a confirmed fever or for a code or a test
            outcome = _OUTCOMES.get(state, "fever_confirmed" if kind == "fever" else "refused")
            isolated = kind in ISOLATION_KINDS and state in ("fever_confirmed", "escorted")
            flags.append(
                line_of(
                    FlagLine,
                    row,
                    checked_s=row["resolved_s"] if clinical is not None else None,
                    outcome=outcome,
                    isolation_room=_room(row) if isolated else None,
                    passage=passages.get(row["flag_id"]) if outcome == "admitted" else None,
                )
            )
        return flags

    def _vehicles(self, start_s: float, end_s: float, gate: str | None) -> list[VehicleLine]:
        where, params = self._where("occurred_s", start_s, end_s, gate)
        rows = self._guarded.read(
            f"SELECT event_id, gate, occurred_s, payload FROM events WHERE {where} "
            "AND schema = ? ORDER BY occurred_s, gate, event_id",
            (*params, "gate.vehicle/1"),
        )
        vehicles = []
        for event_id, at_gate, occurred_s, payload in rows:
            data = json.loads(payload)["data"]
            vehicles.append(
                VehicleLine(
                    event_id=event_id,
                    gate=at_gate,
                    at_s=occurred_s,
                    plate=data.get("plate"),
                    driver=data.get("driver"),
                    purpose=data.get("purpose"),
                    decision=data["decision"],
                    reason=data["reason"],
                    by=data.get("by"),
                )
            )
        return vehicles


def _room(row: dict[str, object]) -> str:
    """The isolation room and where it is, as the gate's own record names it ("": the room,
    its name not sent)."""
    return ", ".join(
        str(part) for part in (row["isolation_room"], row["isolation_location"]) if part
    )
