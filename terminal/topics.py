"""The MQTT contract with the park operations centre: topics and payloads, in one place.

Under ``gate/v1/{park}/{gate}/``:
- ``check``  every check, QoS 1: who, the decision, the reason, the temperature used.
- ``alert/{kind}`` for security staff, QoS 1: ``secondary_check`` (a person flagged by the
  screening waits at the secondary check point; re-sent until a guard resolves it), ``fever``
  (confirmed by the guard's clinical reading: the person goes to the isolation room),
  ``sensor_fault`` and ``sensor_recovered`` (the thermometer).
- ``cmd/resolve_secondary`` (to the gate): a guard's clinical reading of a flagged person; the
  gate answers on ``cmd/resolve_secondary/result``.
- ``status`` retained, QoS 1: ``online`` while connected; the broker sends ``offline`` (the last
  will) when the terminal vanishes, and the terminal sends it when it stops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from terminal.record import CheckRow, OutboxMessage

VERSION = "v1"


def iso_utc(epoch_s: float) -> str:
    return (
        datetime.fromtimestamp(epoch_s, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class GateTopics:
    park: str
    gate: str

    @property
    def base(self) -> str:
        return f"gate/{VERSION}/{self.park}/{self.gate}"

    @property
    def check(self) -> str:
        return f"{self.base}/check"

    @property
    def alert(self) -> str:
        return f"{self.base}/alert"

    def alert_of(self, kind: str) -> str:
        return f"{self.base}/alert/{kind}"

    @property
    def alerts(self) -> str:
        """Every alert topic, for a subscription."""
        return f"{self.base}/alert/#"

    @property
    def resolve_secondary(self) -> str:
        return f"{self.base}/cmd/resolve_secondary"

    @property
    def commands(self) -> str:
        """Every command topic (one level below ``cmd``), for the gate's subscription."""
        return f"{self.base}/cmd/+"

    def result_of(self, command_topic: str) -> str:
        return f"{command_topic}/result"

    @property
    def fault(self) -> str:
        return f"{self.base}/fault"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    def check_message(self, check: CheckRow) -> OutboxMessage:
        payload = {
            "schema": "gate.check/1",
            "event_id": check.event_id,
            "ts": check.ts,
            "park": check.park,
            "gate": check.gate,
            "person_id": check.person_id,
            "code": check.code,
            "temperature_c": None if check.temperature_c is None else round(check.temperature_c, 1),
            "decision": check.decision,
            "reason": check.reason,
            "route": check.route,
        }
        return OutboxMessage(self.check, _json(payload))

    def alert_message(self, check: CheckRow, kind: str) -> OutboxMessage:
        payload = {
            "schema": "gate.alert/1",
            "kind": kind,
            "event_id": f"{check.event_id}-alert",
            "check_event_id": check.event_id,
            "ts": check.ts,
            "park": check.park,
            "gate": check.gate,
            "person_id": check.person_id,
            "temperature_c": None if check.temperature_c is None else round(check.temperature_c, 1),
            "first_c": None if check.first_c is None else round(check.first_c, 1),
            "route": check.route,
        }
        return OutboxMessage(self.alert_of(kind), _json(payload))

    def secondary_alert_message(
        self, flag_id: str, kind: str, at_s: float, fields: dict[str, Any]
    ) -> OutboxMessage:
        """A re-alert of an open flag, or the outcome of a guard's check."""
        payload = {
            "schema": "gate.alert/1",
            "kind": kind,
            "event_id": f"{flag_id}-{kind}-{round(at_s * 1000)}",
            "check_event_id": flag_id,
            "ts": iso_utc(at_s),
            "park": self.park,
            "gate": self.gate,
            **fields,
        }
        return OutboxMessage(self.alert_of(kind), _json(payload))

    def sensor_message(self, kind: str, at_s: float, detail: str, event_id: str) -> OutboxMessage:
        payload = {
            "schema": "gate.alert/1",
            "kind": kind,
            "event_id": event_id,
            "ts": iso_utc(at_s),
            "park": self.park,
            "gate": self.gate,
            "detail": detail,
        }
        return OutboxMessage(self.alert_of(kind), _json(payload))

    def command_result_message(
        self,
        command_topic: str,
        at_s: float,
        command_id: str | None,
        ok: bool,
        problem: str | None,
        event_id: str,
        outcome: dict[str, Any] | None = None,
    ) -> OutboxMessage:
        payload = {
            "schema": "gate.command_result/1",
            "event_id": event_id,
            "command_id": command_id,
            "ts": iso_utc(at_s),
            "park": self.park,
            "gate": self.gate,
            "ok": ok,
            "problem": problem,
            **(outcome or {}),
        }
        return OutboxMessage(self.result_of(command_topic), _json(payload))

    def fault_message(self, check: CheckRow, kind: str) -> OutboxMessage:
        """A fault at the gate that the operations centre must know of (no personal data)."""
        payload = {
            "schema": "gate.fault/1",
            "kind": kind,
            "event_id": f"{check.event_id}-fault",
            "check_event_id": check.event_id,
            "ts": check.ts,
            "park": check.park,
            "gate": check.gate,
        }
        return OutboxMessage(self.fault, _json(payload))

    def status_payload(self, state: str, epoch_s: float | None = None) -> str:
        payload: dict[str, Any] = {"schema": "gate.status/1", "state": state}
        if epoch_s is not None:
            payload["ts"] = iso_utc(epoch_s)
        return _json(payload)
