"""Digital inputs on the Raspberry Pi header through the RPi.GPIO API: the turnstile's
passage-complete contact, the fire alarm panel's contact, the staff button.

Edges are found by polling from the gate's loop, not by RPi.GPIO's callbacks: a callback runs on
RPi.GPIO's own thread, in the middle of whatever the gate is doing (writing the record, holding the
relay), and its ``bouncetime`` only drops edges that follow an edge, so a contact that bounces on
release can leave it believing the wrong level. Polling keeps every change on the gate's thread, in
the order the gate does things, and the debounce here confirms a new level by reading it again over
``debounce_ms`` before believing it. The cost: a pulse must last longer than the loop's period
(a camera frame, some 70 ms) plus the debounce to be seen; turnstile controllers and fire panels
give pulses and levels far longer than that.

The GPIO module is passed in (the real ``RPi.GPIO`` or the simulator's twin), and so are ``now``
and ``sleep``, so that a debounce takes real time on a Pi and simulated time in the simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Pull = Literal["up", "down", "off"]
# reads spread over the debounce time: a bounce at any of them means the level is not settled
CONFIRM_READS = 4


@dataclass(frozen=True)
class InputChange:
    active: bool  # the new (debounced) state
    at_s: float  # when the change was confirmed


class DigitalInput:
    """One BCM-numbered input pin, active high or active low, with the chip's pull-up or
    pull-down resistor (or none, with the circuit's own resistor). Its state at start is the
    level it reads then: a button held down while the gate starts is not a press."""

    def __init__(
        self,
        gpio: Any,
        pin: int,
        *,
        active_high: bool,
        pull: Pull,
        debounce_ms: float,
        now: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if debounce_ms < 0:
            raise ValueError(f"debounce must be 0 ms or more, got {debounce_ms}")
        self.gpio = gpio
        self.pin = pin
        self.active_high = active_high
        self.debounce_ms = debounce_ms
        self._now = now
        self._sleep = sleep
        resistor = {"up": gpio.PUD_UP, "down": gpio.PUD_DOWN, "off": gpio.PUD_OFF}[pull]
        gpio.setmode(gpio.BCM)
        gpio.setup(pin, gpio.IN, pull_up_down=resistor)
        self._active = self.read_raw()
        self.changed_at_s: float | None = None

    def read_raw(self) -> bool:
        """The pin now, undebounced: is it at its active level?"""
        return bool(self.gpio.input(self.pin)) == self.active_high

    @property
    def active(self) -> bool:
        """The debounced state as of the last poll."""
        return self._active

    def poll(self) -> InputChange | None:
        """Look at the pin once; a new level is believed only if it holds for ``debounce_ms``
        (read again several times meanwhile). Returns the change, or None."""
        if self.read_raw() == self._active:
            return None
        wanted = not self._active
        step_s = self.debounce_ms / 1000 / CONFIRM_READS
        for _ in range(CONFIRM_READS if step_s > 0 else 0):
            self._sleep(step_s)
            if self.read_raw() != wanted:
                return None  # still bouncing, or a glitch: the next poll looks again
        self._active = wanted
        self.changed_at_s = self._now()
        return InputChange(wanted, self.changed_at_s)
