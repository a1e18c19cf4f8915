"""Times of day when a shift group may pass the gate: ``07:30-08:15``, or ``*`` for any time.

A window is a local time of the gate's ``gate.timezone``; it may cross midnight (``22:00-06:30``).
Its end is inside it: a worker who arrives at 08:15 sharp for ``07:30-08:15`` is in time. Where
windows fall on the calendar, and on days the clocks change, is terminal/rules/shifts.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

ANY_TIME = "*"
_WINDOW = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")  # ASCII digits only


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.start > self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_window(text: str) -> Window:
    """A strict ``HH:MM-HH:MM``; raises ValueError saying what is wrong."""
    text = text.strip()
    match = _WINDOW.fullmatch(text)
    if not match and ("+" in text or "z" in text.lower() or text.count("-") > 1):
        raise ValueError(
            f"window {text!r} carries a time zone; windows are local times of gate.timezone: "
            "write HH:MM-HH:MM"
        )
    if not match:
        raise ValueError(f"window {text!r} is not HH:MM-HH:MM (or {ANY_TIME} for any time)")
    hour1, minute1, hour2, minute2 = (int(part) for part in match.groups())
    if hour1 > 23 or hour2 > 23 or minute1 > 59 or minute2 > 59:
        raise ValueError(f"window {text!r} has a time that is not on a clock (00:00 to 23:59)")
    window = Window(time(hour1, minute1), time(hour2, minute2))
    if window.start == window.end:
        raise ValueError(f"window {text!r} has no length")
    return window
