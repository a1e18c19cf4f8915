"""What a decided check moves: the lamps, and the turnstile's relay for an admission whose
passage is written down (the passage contact then watches it through)."""

from __future__ import annotations

from collections.abc import Callable

from terminal.config import Config
from terminal.devices import Devices, Outputs
from terminal.gate.passage import PassageWatch, StuckWatch
from terminal.gate.turnstile import Turnstile
from terminal.link.topics import Messages
from terminal.record.store import PassageRow, Record
from terminal.rules.policy import Decision, Route
from terminal.state import GateState


class Actuators:
    def __init__(
        self,
        *,
        outputs: Outputs,
        passages: PassageWatch,
        lamp_s: float,
        now: Callable[[], float],
    ) -> None:
        self.outputs = outputs
        self.passages = passages
        self.lamp_s = lamp_s
        self._now = now
        self._lamp_off_at: float | None = None

    @classmethod
    def wired(
        cls,
        *,
        config: Config,
        devices: Devices,
        turnstile: Turnstile,
        record: Record,
        messages: Messages,
        state: GateState,
        changed: Callable[[], None],
        shared: bool,
    ) -> Actuators:
        """The lane's outputs, and the passage contact watching its turnstile as configured;
        ``shared``: the zone's other gates hear of every passage."""
        now = devices.clock.time
        passage = config.inputs.passage
        passages = PassageWatch(
            sensor=devices.inputs.passage,
            window_s=passage.window_s if passage else 0.0,
            pulse_s=config.outputs.relay_pulse_s,
            turnstile=turnstile,
            record=record,
            messages=messages,
            now=now,
            direction=config.gate.direction,
            zone=config.zone.name,
            shared=shared,
            stuck=StuckWatch(passage.stuck_after_s, state, changed) if passage else None,
        )
        return cls(
            outputs=devices.outputs, passages=passages, lamp_s=config.outputs.lamp_s, now=now
        )

    def act(self, decision: Decision, passage: PassageRow | None = None) -> None:
        """The answer on the lamps; the turnstile released for an admission's passage, which
        the record holds already."""
        if decision.route is Route.WAIT:
            return  # not a refusal: no red lamp sends them away; the display asks them to wait
        outputs = self.outputs
        (outputs.green_lamp if decision.admit else outputs.red_lamp).set(True)
        self._lamp_off_at = self._now() + self.lamp_s
        if decision.admit and passage is not None:
            self.passages.release(passage)

    def lamps_off(self) -> None:
        self.outputs.green_lamp.set(False)
        self.outputs.red_lamp.set(False)
        self._lamp_off_at = None

    def lamps_off_when_due(self, now: float) -> None:
        if self._lamp_off_at is not None and now >= self._lamp_off_at:
            self.lamps_off()

    def close(self) -> None:
        self.passages.close()
        self.passages.turnstile.shut()
        if self.outputs.buzzer is not None:
            self.outputs.buzzer.set(False)
        self.lamps_off()
