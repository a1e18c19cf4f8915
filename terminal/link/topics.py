"""Builds the gate's messages from the contract's models (terminal/link/contract.py): the topics and
payloads are defined there, once; here they are filled in from the record's rows, and from the
gate's state for the status and metrics that the publisher sends itself (not through the outbox)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from terminal.link import contract
from terminal.link.contract import GateTopics
from terminal.record.store import CheckRow, OutboxMessage, PassageRow

if TYPE_CHECKING:
    from terminal.state import GateState

__all__ = [
    "GateTopics",
    "Messages",
    "contract_time",
    "iso_utc",
    "metrics_payload",
    "new_event_id",
    "status_payload",
]


def iso_utc(epoch_s: float) -> str:
    return (
        datetime.fromtimestamp(epoch_s, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def new_event_id() -> str:
    return uuid.uuid4().hex


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _fine(value: float | None) -> float | None:
    """A screened reading or threshold: to a hundredth, as the guard compares them."""
    return None if value is None else round(value, 2)


BASES = frozenset({"baseline", "crowd", "table"})


def _basis(mode: str | None) -> str | None:
    """What a reading was held against, as the contract names it (an older estimator's mode,
    or the guard's clinical reading, is none of them)."""
    return mode if mode in BASES else None


class Messages:
    """The envelope's fixed parts (park, gate, boot id, the clock's state) and one builder per
    payload. ``seq`` is written by the record when it stores the message."""

    def __init__(
        self,
        park: str,
        gate: str,
        *,
        boot_id: str,
        timezone: str,
        clock_synced: Callable[[], bool] = lambda: True,
    ) -> None:
        self.topics = GateTopics(park, gate)
        self.boot_id = boot_id
        self._zone = ZoneInfo(timezone)
        self._clock_synced = clock_synced

    def local(self, epoch_s: float) -> datetime:
        return datetime.fromtimestamp(epoch_s, self._zone)

    def _envelope(self, schema: str, event_id: str, epoch_s: float) -> dict[str, Any]:
        return {
            "schema": schema,
            "event_id": event_id,
            "park": self.topics.park,
            "gate": self.topics.gate,
            "seq": 0,
            "boot_id": self.boot_id,
            "occurred_at": self.local(epoch_s),
            "clock_synced": self._clock_synced(),
            "replayed": False,
        }

    def check(self, row: CheckRow) -> OutboxMessage:
        event = contract.CheckEvent.model_validate(
            {
                **self._envelope("gate.check/1", row.event_id, row.epoch_s),
                "data": {
                    "person_id": row.person_id,
                    "code": row.code,
                    "temperature_c": _round(row.temperature_c),
                    "decision": row.decision,
                    "reason": row.reason,
                    "route": row.route,
                    "check_s": max(0.0, row.check_s),
                    "code_issuer": row.code_issuer,
                    "code_fingerprint": row.code_fingerprint,
                    "replay_of": row.replay_of,
                    "estimate_mode": row.estimate_mode,
                    "reference_c": _round(row.reference_c),
                    "distance_cm": _round(row.distance_cm),
                    "next_window": row.next_window,
                    "direction": row.direction or "entry",
                    "passback_of": row.passback_of,
                    "object_c": _fine(row.object_c),
                    "ambient_c": _round(row.ambient_c),
                    "screening": row.screening,
                    "threshold_c": _fine(row.threshold_c),
                    "reference_basis": _basis(row.reference_basis),
                    "why": row.why,
                    "rest_until": row.rest_until,
                },
            }
        )
        return OutboxMessage(self.topics.check, contract.to_json(event))

    def alert(
        self, row: CheckRow, kind: str, isolation: tuple[str, str] | None = None
    ) -> OutboxMessage:
        """``isolation``: the room and where it is, for a person the gate sends there itself
        (a red code, a positive test): security and the printed record name it."""
        # the guard is told why: the screened reading against what it was held to
        why = (
            {
                "object_c": _fine(row.object_c),
                "threshold_c": _fine(row.threshold_c),
                "reference_c": _fine(row.reference_c),
                "reference_basis": _basis(row.reference_basis),
                "why": row.why,
            }
            if kind == "secondary_check"
            else {}
        )
        event = contract.AlertEvent.model_validate(
            {
                **self._envelope("gate.alert/1", f"{row.event_id}-alert", row.epoch_s),
                "data": {
                    "kind": kind,
                    "check_event_id": row.event_id,
                    "person_id": row.person_id,
                    "temperature_c": _round(row.temperature_c),
                    "first_c": _round(row.first_c),
                    "route": row.route,
                    **why,
                    **(
                        {"isolation_room": isolation[0], "isolation_location": isolation[1]}
                        if isolation is not None and row.route == "isolation_room"
                        else {}
                    ),
                },
            }
        )
        return OutboxMessage(self.topics.alert(kind), contract.to_json(event))

    def flag_alert(
        self, flag_id: str, kind: str, epoch_s: float, fields: dict[str, Any]
    ) -> OutboxMessage:
        """A re-alert of an open secondary check, or the outcome of a guard's check."""
        event = contract.AlertEvent.model_validate(
            {
                **self._envelope("gate.alert/1", new_event_id(), epoch_s),
                "data": {"kind": kind, "check_event_id": flag_id, **fields},
            }
        )
        return OutboxMessage(self.topics.alert(kind), contract.to_json(event))

    def not_returned(
        self, rest_id: str, person_id: str, told_at_s: float, epoch_s: float
    ) -> OutboxMessage:
        """Told to rest at ``told_at_s`` (by the check ``rest_id``) and not back in time."""
        told = self.local(told_at_s).strftime("%H:%M")
        event = contract.AlertEvent.model_validate(
            {
                **self._envelope("gate.alert/1", f"{rest_id}-not-returned", epoch_s),
                "data": {
                    "kind": "not_returned",
                    "check_event_id": rest_id,
                    "person_id": person_id,
                    "route": "rest",
                    "detail": f"told to rest at {told} at gate {self.topics.gate}; not back",
                },
            }
        )
        return OutboxMessage(self.topics.alert("not_returned"), contract.to_json(event))

    def sensor(self, kind: str, epoch_s: float, detail: str, event_id: str) -> OutboxMessage:
        """The thermometer failed, or reads again."""
        return self.gate_alert(kind, epoch_s, detail, event_id)

    def gate_alert(
        self,
        kind: str,
        epoch_s: float,
        detail: str,
        event_id: str,
        more: dict[str, object] | None = None,
    ) -> OutboxMessage:
        """An alert about the gate itself, not about a person: a sensor, an emergency (``more``:
        its zone's roll call)."""
        event = contract.AlertEvent.model_validate(
            {
                **self._envelope("gate.alert/1", event_id, epoch_s),
                "data": {"kind": kind, "detail": detail, **(more or {})},
            }
        )
        return OutboxMessage(self.topics.alert(kind), contract.to_json(event))

    def fault(
        self,
        kind: str,
        epoch_s: float,
        detail: str,
        *,
        active: bool = True,
        event_id: str | None = None,
        check_event_id: str | None = None,
    ) -> OutboxMessage:
        data = {"kind": kind, "active": active, "detail": detail, "check_event_id": check_event_id}
        event = contract.FaultEvent.model_validate(
            {
                **self._envelope("gate.fault/1", event_id or new_event_id(), epoch_s),
                "data": data,
            }
        )
        return OutboxMessage(self.topics.fault, contract.to_json(event))

    def override(
        self,
        event_id: str,
        epoch_s: float,
        reason: str,
        by: str,
        command_id: str | None,
        source: str = "command",
    ) -> OutboxMessage:
        event = contract.OverrideEvent.model_validate(
            {
                **self._envelope("gate.override/1", event_id, epoch_s),
                "data": {
                    "action": "open_once",
                    "reason": reason,
                    "by": by,
                    "source": source,
                    "command_id": command_id,
                },
            }
        )
        return OutboxMessage(self.topics.override, contract.to_json(event))

    def vehicle(self, event_id: str, epoch_s: float, row: dict[str, Any]) -> OutboxMessage:
        """A vehicle at a vehicle gate, or a lapsed admission: ``row`` is its row of the
        record's vehicles table."""
        fields = (
            "plate",
            "driver",
            "purpose",
            "decision",
            "reason",
            "driver_check_id",
            "by",
            "command_id",
            "source",
        )
        event = contract.VehicleEvent.model_validate(
            {
                **self._envelope("gate.vehicle/1", event_id, epoch_s),
                "data": {name: row[name] for name in fields},
            }
        )
        return OutboxMessage(self.topics.vehicle, contract.to_json(event))

    def passage(self, passage: PassageRow, epoch_s: float) -> OutboxMessage:
        """A passage: open (waiting, its window running), or closed: went through, or not,
        within its window."""
        event = contract.PassageEvent.model_validate(
            {
                **self._envelope("gate.passage/1", new_event_id(), epoch_s),
                "data": {
                    "admission_id": passage.admission_id,
                    "admitted_by": passage.admitted_by,
                    "person_id": passage.person_id,
                    "outcome": passage.outcome,
                    "released_at": self.local(passage.released_s),
                    "passed_at": None if passage.passed_s is None else self.local(passage.passed_s),
                    "window_s": passage.window_s,
                    "direction": passage.direction or "entry",
                    "zone": passage.zone,
                },
            }
        )
        return OutboxMessage(self.topics.passage, contract.to_json(event))

    def daily_report(
        self, event_id: str, epoch_s: float, data: contract.DailyReportData
    ) -> OutboxMessage:
        event = contract.DailyReportEvent.model_validate(
            {**self._envelope("gate.report.daily/1", event_id, epoch_s), "data": data}
        )
        return OutboxMessage(self.topics.daily_report, contract.to_json(event))

    def person_data(
        self,
        request_id: str,
        person_id: str,
        epoch_s: float,
        tables: dict[str, list[dict[str, Any]]],
    ) -> list[OutboxMessage]:
        """A person's data in pages of at most ``PERSON_PAGE_BYTES`` of rows each (one empty
        page when the record holds nothing about them: the centre knows the gate answered)."""
        pages: list[dict[str, list[dict[str, Any]]]] = [{}]
        size = 0
        for table, rows in tables.items():
            for row in rows:
                row_bytes = len(json.dumps(row, ensure_ascii=False, default=str).encode()) + 2
                if size and size + row_bytes > contract.PERSON_PAGE_BYTES:
                    pages.append({})
                    size = 0
                pages[-1].setdefault(table, []).append(row)
                size += row_bytes
        if len(pages) > contract.MAX_PERSON_PAGES:
            raise ValueError(
                f"{len(pages)} pages: over the {contract.MAX_PERSON_PAGES} an answer has"
            )
        messages = []
        for number, page in enumerate(pages, start=1):
            event = contract.PersonDataEvent.model_validate(
                {
                    **self._envelope("gate.person.data/1", new_event_id(), epoch_s),
                    "data": {
                        "request_id": request_id,
                        "person_id": person_id,
                        "page": number,
                        "pages": len(pages),
                        "tables": page,
                    },
                }
            )
            messages.append(OutboxMessage(self.topics.person_data, contract.to_json(event)))
        return messages

    def command_result(
        self, epoch_s: float, name: str, result: contract.CommandResultData
    ) -> OutboxMessage:
        event = contract.CommandResultEvent.model_validate(
            {**self._envelope("gate.command.result/1", new_event_id(), epoch_s), "data": result}
        )
        return OutboxMessage(self.topics.command_result(name), contract.to_json(event))


def contract_time(epoch_s: float) -> str:
    """An instant as the status and metrics give it: UTC, to the millisecond."""
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")


def status_payload(
    topics: GateTopics,
    state: str,
    gate: GateState,
    *,
    boot_id: str,
    software_version: str,
    config_hash: str,
    now: Callable[[], float],
) -> str:
    """The gate's retained status: ``online``, ``offline``, or ``lost`` (the last will, set at
    start, so nothing of the moment is in it and the clock is not read)."""
    lost = state == "lost"
    status = contract.Status.model_validate(
        {
            "schema": "gate.status/1",
            "park": topics.park,
            "gate": topics.gate,
            "state": state,
            "boot_id": boot_id,
            "software_version": software_version,
            "config_hash": config_hash,
            "board": gate.board,
            "occurred_at": None if lost else contract_time(now()),
            "health": None
            if lost
            else {
                "camera": "ok" if gate.camera_ok else "failing",
                "thermometer": "ok" if gate.thermometer_ok else "failing",
                "record": gate.record_health,
            },
            "lockdown": None if lost else gate.lockdown,
            "emergency": None if lost else gate.emergency,
            "risk_tier": None if lost else gate.risk_tier,
            "faults": [] if lost else sorted(gate.faults),
            "backlog": None if lost else gate.backlog,
            "connection_problem": None
            if lost or gate.connection is None
            else gate.connection.as_status(),
            "zone_assumption": None if lost else gate.zone_assumption,
            "zone": None if lost or gate.zone is None else gate.zone.as_status(),
            "screening": None if lost or gate.screening is None else gate.screening.as_status(),
        }
    )
    return contract.to_json(status)


def metrics_payload(
    topics: GateTopics, boot_id: str, epoch_s: float, counts: dict[str, float]
) -> str:
    """The gate's metrics message: its counts, under whose they are and when."""
    metrics = contract.Metrics.model_validate(
        {
            "schema": "gate.metrics/1",
            "park": topics.park,
            "gate": topics.gate,
            "boot_id": boot_id,
            "occurred_at": contract_time(epoch_s),
            **counts,
        }
    )
    return contract.to_json(metrics)
