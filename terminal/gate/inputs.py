"""The gate's contacts, read at every frame, also during a check: a fire alarm frees the
turnstile at once; the passage contact sees admissions through; a press of the staff button is
kept until the check is over, then lets one person through (the override)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from terminal.config import Config, StaffButtonInput
from terminal.devices import Devices, Inputs
from terminal.gate.emergency import EmergencyWatch, Freeable
from terminal.gate.errors import ErrorLog
from terminal.gate.passage import PassageWatch
from terminal.link.topics import Messages
from terminal.record.store import Record
from terminal.state import GateState

log = logging.getLogger(__name__)


class InputWatch:
    def __init__(
        self,
        *,
        inputs: Inputs,
        button_wire: StaffButtonInput | None,
        emergency: EmergencyWatch,
        passages: PassageWatch,
        state: GateState,
        log_error: ErrorLog,
    ) -> None:
        self.inputs = inputs
        self.button_wire = button_wire
        self.emergency = emergency
        self.passages = passages
        self.state = state
        self._log_error = log_error
        self._button_pressed = False

    @classmethod
    def wired(
        cls,
        *,
        config: Config,
        devices: Devices,
        frees: Freeable,
        passages: PassageWatch,
        record: Record,
        messages: Messages,
        state: GateState,
        changed: Callable[[], None],
        log_error: ErrorLog,
    ) -> InputWatch:
        """The contacts as configured; ``frees``: what the fire alarm holds free."""
        emergency = EmergencyWatch(
            alarm=devices.inputs.fire_alarm,
            turnstile=frees,
            state=state,
            record=record,
            messages=messages,
            now=devices.clock.time,
            changed=changed,
            zone=config.zone.name,
        )
        return cls(
            inputs=devices.inputs,
            button_wire=config.inputs.staff_button,
            emergency=emergency,
            passages=passages,
            state=state,
            log_error=log_error,
        )

    def poll(self) -> None:
        """Never raises: a contact's fault must not stop the frame it was read with."""
        try:
            self.emergency.poll()
            self.passages.poll()
            button = self.inputs.staff_button
            if button is not None:
                change = button.poll()
                self._button_pressed |= change is not None and change.active
        except Exception as exc:
            self._log_error(exc, "reading the inputs")

    def staff_button(self, open_once: Callable[..., str]) -> None:
        """A press since the last look, answered now: once through, unless the turnstile is free
        already or the record cannot be written."""
        if not self._button_pressed:
            return
        self._button_pressed = False
        wire = self.button_wire
        if wire is None:
            return
        if self.state.emergency:
            log.info("staff button pressed during the emergency: the turnstile is free already")
        elif self.state.shut:
            log.warning("staff button pressed, but the record cannot be written: it stays shut")
        else:
            try:
                open_once(wire.reason, f"staff button, pin {wire.pin}", source="staff_button")
            except Exception as exc:
                # not written down, so not opened: the staff member sees it stay shut
                self._log_error(exc, "recording a press of the staff button; not opened")
            else:
                log.warning("turnstile opened once with the staff button")
