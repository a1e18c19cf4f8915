"""A twin of the ``RPi.GPIO`` module that records every pin change with its (simulated) time.

Tests assert on what a pin did (a pulse of so many seconds), not on which method was called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PinChange:
    time_s: float
    pin: int
    level: int


class FakeGPIO:
    BCM = 11
    BOARD = 10
    OUT = 0
    IN = 1
    HIGH = 1
    LOW = 0
    PUD_OFF = 20
    PUD_DOWN = 21
    PUD_UP = 22

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.mode: int | None = None
        self.levels: dict[int, int] = {}
        self.directions: dict[int, int] = {}
        self.changes: list[PinChange] = []
        self._listeners: list[Callable[[PinChange], None]] = []

    def on_change(self, listener: Callable[[PinChange], None]) -> None:
        self._listeners.append(listener)

    def setwarnings(self, flag: bool) -> None:
        pass

    def setmode(self, mode: int) -> None:
        if self.mode is not None and self.mode != mode:
            raise ValueError("A different mode has already been set!")  # as RPi.GPIO says
        self.mode = mode

    def setup(self, pin: int, direction: int, pull_up_down: int = 20, initial: int = -1) -> None:
        if self.mode is None:
            raise RuntimeError(  # RPi.GPIO's own words
                "Please set pin numbering mode using GPIO.setmode(GPIO.BOARD) or "
                "GPIO.setmode(GPIO.BCM)"
            )
        self.directions[pin] = direction
        if direction == self.OUT:
            self._set(pin, self.LOW if initial == -1 else int(initial))

    def output(self, pin: int, level: int | bool) -> None:
        if self.directions.get(pin) != self.OUT:
            raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
        self._set(pin, int(bool(level)))

    def input(self, pin: int) -> int:
        if pin not in self.directions:
            raise RuntimeError("You must setup() the GPIO channel first")
        return self.levels.get(pin, self.LOW)

    def cleanup(self, pin: int | None = None) -> None:
        pins = [pin] if pin is not None else list(self.directions)
        for p in pins:
            self.directions.pop(p, None)

    def _set(self, pin: int, level: int) -> None:
        if self.levels.get(pin) == level:
            return
        self.levels[pin] = level
        change = PinChange(self._now(), pin, level)
        self.changes.append(change)
        for listener in self._listeners:
            listener(change)

    def pulses(self, pin: int, active_level: int = 1) -> list[tuple[float, float]]:
        """(start, length in seconds) of each completed active pulse on ``pin``."""
        result: list[tuple[float, float]] = []
        started: float | None = None
        for change in self.changes:
            if change.pin != pin:
                continue
            if change.level == active_level and started is None:
                started = change.time_s
            elif change.level != active_level and started is not None:
                result.append((started, change.time_s - started))
                started = None
        return result
