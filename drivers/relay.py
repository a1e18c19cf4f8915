"""Digital outputs on the Raspberry Pi header through the RPi.GPIO API: the turnstile relay and
the indicator lamps.

The GPIO module is passed in (the real ``RPi.GPIO`` or the simulator's twin), and so is ``sleep``,
so that a pulse takes real time on a Pi and simulated time in the simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class DigitalOutput:
    """One BCM-numbered output pin, active high or active low. Starts inactive."""

    def __init__(self, gpio: Any, pin: int, *, active_high: bool = True) -> None:
        self.gpio = gpio
        self.pin = pin
        self.active_high = active_high
        gpio.setmode(gpio.BCM)
        gpio.setup(pin, gpio.OUT, initial=self._level(False))
        self._active = False

    def _level(self, active: bool) -> int:
        return int(self.gpio.HIGH if active == self.active_high else self.gpio.LOW)

    @property
    def active(self) -> bool:
        return self._active

    def set(self, active: bool) -> None:
        self.gpio.output(self.pin, self._level(active))
        self._active = active

    def close(self) -> None:
        # left driven inactive, not released: a released pin floats, and a floating relay input
        # may release the turnstile (firmware/config.txt holds it inactive from boot)
        self.set(False)


class Relay(DigitalOutput):
    """The turnstile's release relay: one pulse lets one person through."""

    def __init__(
        self,
        gpio: Any,
        pin: int,
        *,
        active_high: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(gpio, pin, active_high=active_high)
        self._sleep = sleep

    def pulse(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"relay pulse must be longer than 0 s, got {seconds}")
        self.set(True)
        try:
            self._sleep(seconds)
        finally:
            # whatever happens during the pulse, the turnstile must not stay released
            self.set(False)
