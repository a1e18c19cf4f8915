"""A twin of the ``RPi.GPIO`` module that records every pin change with its (simulated) time.

Tests assert on what a pin did (a pulse of so many seconds), not on which method was called.

Inputs are driven by the world outside the gate, with times: a contact closes at one moment and
opens at another (``drive``, ``disconnect``). An input nothing drives reads what its pull resistor
gives it (high with the pull-up, low with the pull-down); with no pull at all it floats and reads
noise, as a real unconnected pin does. Changes scheduled for the future take effect when the
simulated time reaches them, and are recorded at their own time, not when the gate looked.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

# what drives an input from outside: a level, or nothing (an open contact, a cut wire)
OPEN = None


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
        self.pulls: dict[int, int] = {}
        self._driven: dict[int, int | None] = {}  # input pin -> level driven from outside
        self._scheduled: list[tuple[float, int, int, int | None]] = []  # (at, order, pin, level)
        self._order = 0
        self._float_reads = 0
        self._last_input_change_s = float("-inf")

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
        else:
            self.pulls[pin] = pull_up_down
            self._settle()
            self._set(pin, self._input_level(pin))

    def output(self, pin: int, level: int | bool) -> None:
        if self.directions.get(pin) != self.OUT:
            raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
        self._settle()
        self._set(pin, int(bool(level)))

    def input(self, pin: int) -> int:
        if pin not in self.directions:
            raise RuntimeError("You must setup() the GPIO channel first")
        self._settle()
        undriven = self.directions[pin] == self.IN and self._driven.get(pin) is None
        if undriven and self.pulls.get(pin, self.PUD_OFF) == self.PUD_OFF:
            self._float_reads += 1
            return self._float_reads % 2  # a floating pin picks up whatever is near
        return self.levels.get(pin, self.LOW)

    # --- the world outside drives the inputs --------------------------------------------------
    def drive(self, pin: int, level: int | None, at_s: float | None = None) -> None:
        """From ``at_s`` (default: now) the circuit outside holds ``pin`` at ``level``; None is
        an open circuit (a contact open, a wire cut): the pin reads its pull resistor."""
        when = self._now() if at_s is None else at_s
        self._order += 1
        bisect.insort(self._scheduled, (when, self._order, pin, level))
        self._settle()

    def disconnect(self, pin: int, at_s: float | None = None) -> None:
        self.drive(pin, OPEN, at_s)

    def pulse_input(self, pin: int, level: int, at_s: float, length_s: float) -> None:
        """A contact closes at ``at_s`` for ``length_s`` (to ``level``), then opens."""
        self.drive(pin, level, at_s)
        self.drive(pin, OPEN, at_s + length_s)

    def next_input_change_at(self) -> float:
        """When the world next changes an input (infinity: no change planned)."""
        return self._scheduled[0][0] if self._scheduled else float("inf")

    def last_input_change_at(self) -> float:
        """When the world last changed an input (minus infinity: never)."""
        self._settle()
        return self._last_input_change_s

    def _input_level(self, pin: int) -> int:
        driven = self._driven.get(pin)
        if driven is not None:
            return driven
        pull = self.pulls.get(pin, self.PUD_OFF)
        return self.HIGH if pull == self.PUD_UP else self.LOW

    def _settle(self) -> None:
        """Every change the world scheduled up to now, in order, each at its own time."""
        now = self._now()
        while self._scheduled and self._scheduled[0][0] <= now:
            when, _, pin, level = self._scheduled.pop(0)
            self._driven[pin] = level
            self._last_input_change_s = when
            if self.directions.get(pin) == self.IN:
                self._set(pin, self._input_level(pin), when)

    def cleanup(self, pin: int | None = None) -> None:
        pins = [pin] if pin is not None else list(self.directions)
        for p in pins:
            self.directions.pop(p, None)

    def _set(self, pin: int, level: int, at_s: float | None = None) -> None:
        if self.levels.get(pin) == level:
            return
        self.levels[pin] = level
        change = PinChange(self._now() if at_s is None else at_s, pin, level)
        self.changes.append(change)
        for listener in self._listeners:
            listener(change)

    def levels_at(self, pin: int, at_s: float) -> int | None:
        """The level ``pin`` had at ``at_s`` (its last change at or before then)."""
        level = None
        for change in self.changes:
            if change.pin == pin and change.time_s <= at_s:
                level = change.level
        return level

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
