"""The fire alarm: while its input reads the alarm, the turnstile is held free for everyone, no
one is screened, and the worker's display says to leave freely; the emergency is recorded and
published, and so is its end, when screening resumes. It overrides a lockdown: people first.

The input is wired fail-safe (README: the panel's normally closed contact, opened by an alarm):
a cut wire reads as the alarm too, and is treated as one, since the gate cannot tell them apart
and must never keep people in on a fault."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from drivers.inputs import DigitalInput
from terminal.link.contract import ROLL_CALL_MAX
from terminal.link.topics import Messages, new_event_id
from terminal.record.store import Record
from terminal.state import GateState

log = logging.getLogger(__name__)
HOLDER = "emergency"


class Freeable(Protocol):
    """A turnstile (or both of a gate that serves both ways): held free, then let go."""

    def hold(self, holder: str) -> None: ...

    def let_go(self, holder: str) -> None: ...


class EmergencyWatch:
    def __init__(
        self,
        *,
        alarm: DigitalInput | None,
        turnstile: Freeable,
        state: GateState,
        record: Record,
        messages: Messages,
        now: Callable[[], float],
        changed: Callable[[], None],
        zone: str | None = None,
    ) -> None:
        self.alarm = alarm
        self.zone = zone
        self.turnstile = turnstile
        self.state = state
        self.record = record
        self.messages = messages
        self._now = now
        self._changed = changed
        if alarm is not None and record.open_emergency() is not None:
            # it sounded when the gate stopped: free until the input says it has cleared, and
            # that end is recorded like any other
            log.warning("the gate starts in an emergency the record has not seen end")
            self.state.emergency = True
            self.turnstile.hold(HOLDER)

    def poll(self) -> None:
        if self.alarm is None:
            return
        self.alarm.poll()
        if self.alarm.active and not self.state.emergency:
            self._start()
        elif not self.alarm.active and self.state.emergency:
            self._end()

    def _start(self) -> None:
        # people before paperwork: the turnstile is free before anything is written
        self.turnstile.hold(HOLDER)
        self.state.emergency = True
        now = self._now()
        detail = (
            f"fire alarm input (pin {self.alarm.pin if self.alarm else '?'}) reads the alarm, or "
            "its wire is cut: the turnstile is held free, screening stops"
        )
        log.warning("EMERGENCY: %s", detail)
        event_id = new_event_id()
        row = {"event_id": event_id, "started_s": now, "ended_s": None, "detail": detail}

        def write() -> None:
            alert = self.messages.gate_alert(
                "emergency", now, detail, event_id, self._roll_call(now)
            )
            self.record.add_event(event_id, [alert], now, table="emergencies", rows=[row])

        self._write("emergency", write)

    def _roll_call(self, now: float) -> dict[str, object]:
        """Who the record shows inside the zone as the alarm sounds, for the muster: it travels
        with the alert, so the centre has it even if the link fails afterwards. Read once,
        before the free passage lets anyone in uncounted."""
        if self.zone is None:
            return {}
        try:
            people = self.record.people_inside(self.zone)
            count = self.record.occupancy(self.zone)
        except Exception as exc:  # the alert goes all the same, without its list
            log.error("the roll call cannot be read from the record: %s", type(exc).__name__)
            return {"zone": self.zone}
        if len(people) > ROLL_CALL_MAX:
            log.warning(
                "roll call: %d people inside, the alert lists the first %d",
                len(people),
                ROLL_CALL_MAX,
            )
        gate = self.messages.topics.gate
        return {
            "zone": self.zone,
            "inside_count": max(count, len(people)),
            "inside": [
                {
                    "person_id": person["person_id"],
                    "since": self.messages.local(person["since_s"]),
                    "gate": person["gate"] or gate,
                }
                for person in people[:ROLL_CALL_MAX]
            ],
        }

    def _end(self) -> None:
        now = self._now()
        self.state.emergency = False
        self.turnstile.let_go(HOLDER)
        detail = "the fire alarm has cleared: the turnstile shuts and screening resumes"
        log.warning("emergency over: %s", detail)
        event_id = new_event_id()
        self._write(
            "emergency_over",
            lambda: self.record.end_emergency(
                event_id, [self.messages.gate_alert("emergency_over", now, detail, event_id)], now
            ),
        )

    def _write(self, kind: str, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception as exc:
            log.error("%s cannot be recorded: %s", kind, type(exc).__name__)
        self._changed()
