"""Real gate messages for the centre's tests: built by the gate's own builders
(terminal.link.topics.Messages, the contract's models), as a gate publishes them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from terminal.link import contract
from terminal.link.topics import Messages
from terminal.record.store import CheckRow, PassageRow

PARK = "p1"


def at(text: str) -> datetime:
    """'2026-06-01T08:00:00+08:00' -> an aware datetime."""
    return datetime.fromisoformat(text)


@dataclass
class GateEnvelope:
    """One gate's envelope on every message it builds (boot id, time zone, seq), and the check
    row its messages start from."""

    gate: str
    park: str = PARK
    timezone: str = "Asia/Shanghai"
    boot_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    seq: int = 0

    def __post_init__(self) -> None:
        self.messages = Messages(self.park, self.gate, boot_id=self.boot_id, timezone=self.timezone)

    @property
    def topics(self) -> contract.GateTopics:
        return self.messages.topics

    def _numbered(self, topic: str, payload: str) -> tuple[str, bytes]:
        data = json.loads(payload)
        self.seq += 1
        data["seq"] = self.seq
        return topic, json.dumps(data).encode()

    def check_row(
        self,
        when: datetime,
        *,
        person_id: str | None = "W0001",
        decision: str = "admit",
        reason: str = "admitted",
        route: str = "through",
        temperature_c: float | None = 36.5,
        first_c: float | None = None,
        code: str = "green",
        event_id: str | None = None,
    ) -> CheckRow:
        return CheckRow(
            event_id=event_id or uuid.uuid4().hex,
            ts=when.isoformat(),
            epoch_s=when.timestamp(),
            park=self.park,
            gate=self.gate,
            person_id=person_id,
            code=code,
            temperature_c=temperature_c,
            first_c=first_c,
            sensor_fault=None,
            decision=decision,
            reason=reason,
            route=route,
            check_s=1.2,
            processing_ms=40.0,
        )


class SecondaryCheckMessages(GateEnvelope):
    """The secondary check's messages: a flagged check, its alerts, and how it ended."""

    def flagged(
        self, when: datetime, person_id: str = "W0002", temperature_c: float = 37.6
    ) -> tuple[CheckRow, list[tuple[str, bytes]]]:
        """A check the screening flagged: the check event and its first secondary_check alert,
        as the gate sends them."""
        row = self.check_row(
            when,
            person_id=person_id,
            decision="deny",
            reason="secondary_check",
            route="secondary_check",
            temperature_c=temperature_c,
            first_c=temperature_c,
        )
        check = self.messages.check(row)
        alert = self.messages.alert(row, "secondary_check")
        return row, [
            self._numbered(check.topic, check.payload),
            self._numbered(alert.topic, alert.payload),
        ]

    def screened_flag(
        self,
        when: datetime,
        person_id: str | None = "W0002",
        *,
        object_c: float = 35.1,
        threshold_c: float = 34.8,
        reference_c: float | None = 34.2,
        basis: str | None = "baseline",
        why: str | None = "screened 35.1 °C, threshold 34.8 °C: 0.9 °C over their usual",
        temperature_c: float = 37.7,
        kind: str = "secondary_check",
        route: str = "secondary_check",
    ) -> tuple[CheckRow, list[tuple[str, bytes]]]:
        """A check the screening sent on, and its first alert saying why: the screened reading
        against the threshold and the person's own baseline (or the crowd), as the gate sends
        them (``person_id`` None: no code was read)."""
        row = self.check_row(
            when, person_id=person_id, decision="deny", reason="secondary_check", route=route,
            temperature_c=temperature_c, first_c=temperature_c,
        )  # fmt: skip
        check = self.messages.check(row)
        data = json.loads(check.payload)
        data["data"].update(object_c=object_c, threshold_c=threshold_c, screening="guard")
        fields = {
            "person_id": person_id, "temperature_c": temperature_c, "route": route,
            "object_c": object_c, "threshold_c": threshold_c, "reference_c": reference_c,
            "reference_basis": basis, "why": why,
        }  # fmt: skip
        alert = self.messages.flag_alert(row.event_id, kind, when.timestamp(), fields)
        return row, [
            self._numbered(check.topic, json.dumps(data)),
            self._numbered(alert.topic, alert.payload),
        ]

    def told_to_rest(
        self, when: datetime, person_id: str = "W0003"
    ) -> tuple[str, tuple[str, bytes]]:
        """A check whose screening told the person to rest and scan again: its event id, and
        the check as the gate sends it."""
        row = self.check_row(
            when, person_id=person_id, decision="deny", reason="rest", route="rest",
            temperature_c=37.3,
        )  # fmt: skip
        check = self.messages.check(row)
        data = json.loads(check.payload)
        data["data"].update(object_c=34.9, screening="rest")
        return row.event_id, self._numbered(check.topic, json.dumps(data))

    def not_returned(
        self, rest_check_id: str, when: datetime, person_id: str = "W0003"
    ) -> tuple[str, bytes]:
        """The person told to rest by ``rest_check_id`` did not come back in time."""
        message = self.messages.flag_alert(
            rest_check_id, "not_returned", when.timestamp(), {"person_id": person_id}
        )
        return self._numbered(message.topic, message.payload)

    def direct_alert(
        self, row: CheckRow, kind: str, isolation: tuple[str, str] | None = None
    ) -> tuple[str, bytes]:
        message = self.messages.alert(row, kind, isolation)
        return self._numbered(message.topic, message.payload)

    def realert(
        self, flag_id: str, when: datetime, alerts: int, open_s: float, person_id: str = "W0002"
    ) -> tuple[str, bytes]:
        message = self.messages.flag_alert(
            flag_id,
            "secondary_check",
            when.timestamp(),
            {
                "person_id": person_id,
                "temperature_c": 37.6,
                "route": "secondary_check",
                "open_s": open_s,
                "alerts": alerts,
            },
        )
        return self._numbered(message.topic, message.payload)

    def resolved(
        self,
        flag_id: str,
        when: datetime,
        outcome: str,
        clinical_c: float = 36.8,
        guard: str = "g7",
        person_id: str = "W0002",
    ) -> tuple[str, bytes]:
        message = self.messages.flag_alert(
            flag_id,
            "secondary_resolved",
            when.timestamp(),
            {
                "person_id": person_id,
                "clinical_c": clinical_c,
                "guard": guard,
                "reason": "admitted" if outcome == "admitted" else "code_red",
                "route": "through" if outcome == "admitted" else "aside",
                "outcome": outcome,
            },
        )
        return self._numbered(message.topic, message.payload)

    def fever(
        self, flag_id: str, when: datetime, clinical_c: float = 38.2, person_id: str = "W0002"
    ) -> tuple[str, bytes]:
        message = self.messages.flag_alert(
            flag_id,
            "fever",
            when.timestamp(),
            {
                "person_id": person_id,
                "clinical_c": clinical_c,
                "guard": "g7",
                "reason": "fever",
                "route": "isolation_room",
                "isolation_room": "Room 3",
                "isolation_location": "east wing, ground floor",
            },
        )
        return self._numbered(message.topic, message.payload)


class FakeGate(SecondaryCheckMessages):
    """One gate's message builder, with the gate's own envelope (boot id, time zone, seq)."""

    def check(self, when: datetime, **kwargs: Any) -> tuple[str, bytes]:
        message = self.messages.check(self.check_row(when, **kwargs))
        return self._numbered(message.topic, message.payload)

    def sensor(self, kind: str, when: datetime) -> tuple[str, bytes]:
        message = self.messages.sensor(kind, when.timestamp(), "no answer on I2C", uuid.uuid4().hex)
        return self._numbered(message.topic, message.payload)

    def fire_alarm(
        self,
        kind: str,
        when: datetime,
        *,
        zone: str | None = None,
        inside: list[tuple[str, datetime]] | None = None,
        inside_count: int | None = None,
    ) -> tuple[str, bytes]:
        """``emergency`` when the fire alarm frees the turnstile, ``emergency_over`` after; at a
        gate of a ``zone``, the emergency carries the roll call: (person id, inside since), all
        by this gate, and the zone's occupancy (default: as many as listed)."""
        roll_call: dict[str, object] = {}
        if zone is not None:
            people = inside or []
            roll_call = {
                "zone": zone,
                "inside_count": len(people) if inside_count is None else inside_count,
                "inside": [
                    {"person_id": pid, "since": since.isoformat(), "gate": self.gate}
                    for pid, since in people
                ],
            }
        message = self.messages.gate_alert(
            kind, when.timestamp(), "fire alarm", uuid.uuid4().hex, roll_call
        )
        return self._numbered(message.topic, message.payload)

    def passage(self, admission_id: str, when: datetime, outcome: str) -> tuple[str, bytes]:
        passed = outcome == "passed"
        row = PassageRow(
            admission_id=admission_id,
            admitted_by="check",
            person_id="W0001",
            released_s=when.timestamp() - 3.0,
            window_s=8.0,
            outcome=outcome,
            passed_s=when.timestamp() if passed else None,
            closed_s=when.timestamp(),
        )
        message = self.messages.passage(row, when.timestamp())
        return self._numbered(message.topic, message.payload)

    def fault(self, kind: str, when: datetime, active: bool = True) -> tuple[str, bytes]:
        message = self.messages.fault(kind, when.timestamp(), f"{kind} detail", active=active)
        return self._numbered(message.topic, message.payload)

    def daily_report(self, day: str, when: datetime, checks: int = 3) -> tuple[str, bytes]:
        data = contract.DailyReportData(
            date=datetime.fromisoformat(day).date(),
            timezone=self.timezone,
            checks=checks,
            admitted=checks,
            denied_by_reason={},
            flags=0,
            secondary_checks=0,
            fevers_confirmed=0,
            faults=0,
            uptime_s=3600.0,
        )
        message = self.messages.daily_report(uuid.uuid4().hex, when.timestamp(), data)
        return self._numbered(message.topic, message.payload)

    def command_result(
        self, command_id: str, name: str, outcome: str, when: datetime, detail: str = "done"
    ) -> tuple[str, bytes]:
        result = contract.CommandResultData.model_validate(
            {
                "command_id": command_id,
                "name": name,
                "outcome": outcome,
                "detail": detail,
                "issued_by": "alice",
            }
        )
        message = self.messages.command_result(when.timestamp(), name, result)
        return self._numbered(message.topic, message.payload)

    def override(self, when: datetime, command_id: str) -> tuple[str, bytes]:
        message = self.messages.override(
            uuid.uuid4().hex, when.timestamp(), "visitor", "alice", command_id
        )
        return self._numbered(message.topic, message.payload)

    def vehicle(
        self, when: datetime, plate: str | None, driver: str | None, reason: str, **data: Any
    ) -> tuple[str, bytes]:
        """A vehicle at a vehicle gate, as the gate's vehicle desk records it."""
        row = {
            "plate": plate, "driver": driver, "purpose": "vegetables for the canteen",
            "decision": "admit" if reason == "admitted" else "deny", "reason": reason,
            "driver_check_id": None, "by": "guard-1", "source": "command",
            "command_id": "cmd-vehicle-" + uuid.uuid4().hex[:12], **data,
        }  # fmt: skip
        message = self.messages.vehicle(uuid.uuid4().hex, when.timestamp(), row)
        return self._numbered(message.topic, message.payload)

    def status(
        self,
        state: str,
        when: datetime | None,
        *,
        lockdown: bool = False,
        faults: list[str] | None = None,
        backlog: int = 0,
        risk_tier: str = "low",
        zone: tuple[str, int | None, int] | None = None,
        zone_assumption: str | None = None,
        screening: dict[str, Any] | None = None,
    ) -> tuple[str, bytes]:
        """``zone``: its name, capacity and who is inside, as the gate counts them;
        ``screening``: today's screening (contract.ScreeningStatus's fields)."""
        lost = state == "lost"
        zone_status = None
        if zone is not None and not lost:
            zone_status = {"name": zone[0], "capacity": zone[1], "inside": zone[2]}
        status = contract.Status.model_validate(
            {
                "schema": "gate.status/1",
                "park": self.park,
                "gate": self.gate,
                "state": state,
                "boot_id": self.boot_id,
                "software_version": "0.1.0",
                "config_hash": "0123456789abcdef",
                "occurred_at": None if lost or when is None else when.astimezone(UTC),
                "health": None if lost else {"camera": "ok", "thermometer": "ok", "record": "ok"},
                "lockdown": None if lost else lockdown,
                "risk_tier": None if lost else risk_tier,
                "faults": [] if lost else sorted(faults or []),
                "backlog": None if lost else backlog,
                "zone": zone_status,
                "zone_assumption": None if lost else zone_assumption,
                "screening": None if lost else screening,
            }
        )
        return self.topics.status, contract.to_json(status).encode()

    def metrics(self, when: datetime, backlog: int = 0) -> tuple[str, bytes]:
        metrics = contract.Metrics.model_validate(
            {
                "schema": "gate.metrics/1",
                "park": self.park,
                "gate": self.gate,
                "boot_id": self.boot_id,
                "occurred_at": when.astimezone(UTC),
                "backlog": backlog,
                "sent_total": 10,
                "checks_since_boot": 5,
                "uptime_s": 100.0,
            }
        )
        return self.topics.metrics, contract.to_json(metrics).encode()
