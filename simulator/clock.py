"""A clock whose time moves only when someone sleeps, so a shift runs in seconds; or, for the
service on simulated hardware, in step with the wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    def __init__(self, start_epoch_s: float, *, real_time: bool = False) -> None:
        self._now = float(start_epoch_s)
        self._real_time = real_time
        # in real time, the clock keeps to the wall clock: the software's own time counts too
        self._wall_offset_s = start_epoch_s - time.time()
        self._listeners: list[Callable[[float], None]] = []

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"cannot sleep {seconds} s")
        if self._real_time:
            time.sleep(seconds)
            self._now = max(self._now + seconds, time.time() + self._wall_offset_s)
        else:
            self._now += seconds
        for listener in self._listeners:
            listener(self._now)

    def synchronised(self) -> bool:
        return True

    def on_advance(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)
