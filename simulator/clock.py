"""A clock whose time moves only when someone sleeps, so a shift runs in seconds."""

from __future__ import annotations

from collections.abc import Callable


class SimClock:
    def __init__(self, start_epoch_s: float) -> None:
        self._now = float(start_epoch_s)
        self._listeners: list[Callable[[float], None]] = []

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"cannot sleep {seconds} s")
        self._now += seconds
        for listener in self._listeners:
            listener(self._now)

    def synchronised(self) -> bool:
        return True

    def on_advance(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)
