"""What the gate runs under right now, as the centre and its own faults set it: lockdown, the risk
tier in force, active faults, and what the status message reports. One small mutable object,
changed on the gate's thread (commands, faults) and read by the gate, the policy input and the
status; the configuration stays frozen."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from terminal.config import Config
from terminal.record.store import Record

log = logging.getLogger(__name__)
Tier = Literal["low", "medium", "high"]
# faults during which nobody is admitted: without a written record there is no check
SHUTTING_FAULTS = frozenset({"record_full", "record_unwritable"})


@dataclass
class ConnectionTrouble:
    kind: str
    since_s: float
    ended_s: float | None = None

    def as_status(self) -> dict[str, object]:
        def at(epoch_s: float | None) -> str | None:
            return None if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC).isoformat()

        return {"kind": self.kind, "since": at(self.since_s), "ended": at(self.ended_s)}


@dataclass
class ZoneCount:
    """The gate's zone as its record knows it: what the status reports."""

    name: str
    capacity: int | None
    inside: int

    def as_status(self) -> dict[str, object]:
        return {"name": self.name, "capacity": self.capacity, "inside": self.inside}


@dataclass(frozen=True)
class ScreeningCount:
    """Today's screening at an entry gate, by its record: what the status reports (the
    contract's ScreeningStatus)."""

    budget: float
    screened_today: int
    sent_to_guard_today: int
    rested_today: int
    resting_now: int
    not_returned_today: int
    estimated_catch: float | None = None

    def as_status(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class GateState:
    risk_tier: Tier
    lockdown: bool = False
    lockdown_reason: str = ""
    # the fire alarm sounds: the turnstile is held free and nobody is screened (over lockdown)
    emergency: bool = False
    faults: dict[str, str] = field(default_factory=dict)  # kind -> what it means
    camera_ok: bool = True
    thermometer_ok: bool = True  # the last measurement had a trustworthy reading
    backlog: int = 0
    connection: ConnectionTrouble | None = None
    # cut off from the zone's other gates: what the gate assumes meanwhile (None: all heard)
    zone_assumption: str | None = None
    # the zone's occupancy by the record (None: the gate has no zone)
    zone: ZoneCount | None = None
    # today's screening (None: an exit gate, which screens nobody)
    screening: ScreeningCount | None = None
    # the board the gate runs on ("Raspberry Pi 5 Model B Rev 1.0"; None: simulated)
    board: str | None = None

    @property
    def shut(self) -> bool:
        """A fault keeps the turnstile shut for everyone."""
        return bool(SHUTTING_FAULTS & set(self.faults))

    @property
    def record_health(self) -> Literal["ok", "full", "unwritable"]:
        if "record_full" in self.faults:
            return "full"
        return "unwritable" if "record_unwritable" in self.faults else "ok"

    @classmethod
    def restore(cls, config: Config, record: Record) -> GateState:
        """A lockdown or a tier the centre set outlasts a restart: a gate locked down by the
        park must not open because it lost power."""
        tier = record.meta("risk_tier") or config.risk.tier
        state = cls(risk_tier=tier)  # type: ignore[arg-type]
        lockdown = record.meta("lockdown")
        if lockdown:
            saved = json.loads(lockdown)
            state.lockdown, state.lockdown_reason = bool(saved["on"]), str(saved["reason"])
        if state.lockdown:
            log.warning("gate starts locked down, as the operations centre left it")
        return state

    def save(self, record: Record) -> None:
        record.set_meta("risk_tier", self.risk_tier)
        record.set_meta(
            "lockdown", json.dumps({"on": self.lockdown, "reason": self.lockdown_reason})
        )
