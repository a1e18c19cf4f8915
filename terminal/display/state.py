"""What the worker's display shows now: one small thread-safe object the gate writes to (the
measuring state, the answer, the end of the approach) and the display's server reads from.

The screen is worked out when it is read, from what the gate said and from the gate's state
(a fire alarm, lockdown, a failed camera or thermometer), so a lockdown set by the centre shows
without the gate telling the display. An answer stays until the approach ends, or ``answer_s`` at
most: nothing about a person outlasts their being at the gate. The screen never carries a
temperature or a name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from terminal.display.catalogue import Language, minutes_text, refusal, screen, window_text
from terminal.rules.policy import Reason, Route
from terminal.rules.shifts import Opening

Tone = Literal["neutral", "pass", "refuse", "alert", "fault", "emergency"]
# a measuring state (terminal.screening.MeasureState's values) -> the screen it asks for
_MEASURING_SCREENS = {
    "come_closer": "come_closer",
    "settling": "hold_still",
    "measuring": "hold_still",
    "sensor_fault": "thermometer_failed",
}
_ALERT_ROUTES = frozenset({Route.ISOLATION_ROOM, Route.SECONDARY_CHECK})


class GateConditions(Protocol):
    """What the display reads of terminal.state.GateState."""

    lockdown: bool
    emergency: bool
    camera_ok: bool
    thermometer_ok: bool


@dataclass(frozen=True)
class Screen:
    kind: str  # a catalogue key (show_code, come_closer, ...) or a reason's value
    tone: Tone
    headline: str
    todo: str

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "tone": self.tone, "headline": self.headline, "todo": self.todo}


@dataclass(frozen=True)
class _Answer:
    reason: Reason
    route: Route
    shown_at_s: float
    window: str | None = None  # the worker's next shift window, as they read it
    rest_until: str | None = None  # told to rest: from when they may scan again (HH:MM)


class DisplayState:
    def __init__(
        self,
        *,
        language: Language,
        answer_s: float,
        isolation_room: str,
        isolation_location: str,
        conditions: GateConditions | None = None,
        now: Callable[[], float] = time.monotonic,
        rest_area: str = "the waiting area beside the gate",
        rest_min: float = 5.0,
        timezone: str | None = None,
    ) -> None:
        self.language: Language = language
        self.timezone = timezone  # the gate's: the zone of the times the screen shows
        self.answer_s = answer_s
        self._room = isolation_room
        self._location = isolation_location
        self.conditions = conditions
        self._now = now  # the screen's own time: a simulated gate's clock may run faster
        self._lock = threading.Lock()
        self._measuring: str | None = None
        self._answer: _Answer | None = None
        self._vehicle_wait = False  # a driver admitted, the barrier down until their vehicle
        self._rest_area = rest_area
        self._rest_min = rest_min
        # admitted by staff after the secondary check: who, until when (HH:MM:SS), shown at
        self._staff: tuple[str, str, float] | None = None

    # --- written by the gate --------------------------------------------------------------------
    def measuring(self, state: str) -> None:
        """The screening's state: a new measurement is a new person, so any old answer goes."""
        with self._lock:
            self._answer = None
            self._staff = None
            self._vehicle_wait = False
            if state in _MEASURING_SCREENS:
                self._measuring = _MEASURING_SCREENS[state]

    def decided(
        self,
        reason: Reason,
        route: Route,
        window: Opening | None = None,
        today: date | None = None,
        rest_until: str | None = None,
    ) -> None:
        """The answer; ``window``: the next shift window of a worker refused for their shift,
        told against ``today`` (the gate's date at the decision; default: the window's own);
        ``rest_until``: told to rest, from when (HH:MM) they may scan again."""
        text = None
        if window is not None:
            text = window_text(window.day, str(window.window), today or window.day, self.language)
        with self._lock:
            self._measuring = None
            self._vehicle_wait = False
            self._staff = None
            self._answer = _Answer(reason, route, self._now(), text, rest_until)

    def staff_admitted(self, person: str, until: str) -> None:
        """A guard's clinical reading admitted ``person``: they may pass now, ``until``
        (HH:MM:SS), the end of their passage window."""
        with self._lock:
            self._staff = (person, until, self._now())

    def waiting_for_vehicle(self, waiting: bool) -> None:
        """A vehicle gate holds the driver's admission until the vehicle is known (or it
        lapses): the driver reads that, while they wait, rather than "show your code"."""
        with self._lock:
            self._measuring = None
            self._answer = None
            self._vehicle_wait = waiting

    def approach_over(self) -> None:
        """The person has gone: their answer leaves the screen."""
        with self._lock:
            self._measuring = None
            self._answer = None

    # --- read by the server ---------------------------------------------------------------------
    def screen(self) -> Screen:
        conditions = self.conditions
        if conditions is not None and conditions.emergency:
            # the fire alarm: over any answer, any measurement and a lockdown
            return self._screen("emergency", "emergency")
        with self._lock:
            if self._vehicle_wait:
                return self._screen("vehicle_wait", "pass")
            answer, measuring, staff = self._answer, self._measuring, self._staff
            if answer is not None and self._now() - answer.shown_at_s >= self.answer_s:
                answer = self._answer = None
            if staff is not None and self._now() - staff[2] >= self.answer_s:
                staff = self._staff = None
        if staff is not None:
            # the person at the check point beside the gate, over whoever stands in front
            headline, todo = screen("staff_admitted", self.language)
            person, until, _ = staff
            return Screen(
                "staff_admitted",
                "pass",
                headline.format(person=person),
                todo.format(until=until),
            )
        if answer is not None:
            return self._answer_screen(answer)
        if measuring is not None:
            tone: Tone = "fault" if measuring == "thermometer_failed" else "neutral"
            return self._screen(measuring, tone)
        conditions = self.conditions
        if conditions is not None:
            if conditions.lockdown:
                return self._screen("locked_down", "alert")
            if not conditions.camera_ok:
                return self._screen("camera_failed", "fault")
            if not conditions.thermometer_ok:
                return self._screen("thermometer_failed", "fault")
        return self._screen("show_code", "neutral")

    def _screen(self, key: str, tone: Tone) -> Screen:
        headline, todo = screen(key, self.language)
        return Screen(key, tone, headline, todo)

    def _answer_screen(self, answer: _Answer) -> Screen:
        # where and how long always: a rest told without its time still says both
        rest = (self._rest_area, minutes_text(self._rest_min), answer.rest_until)
        headline, todo = refusal(
            answer.reason, self.language, self._room, self._location, answer.window, rest
        )
        if answer.reason is Reason.ADMITTED:
            tone: Tone = "pass"
        elif answer.route in _ALERT_ROUTES:
            tone = "alert"
        else:
            tone = "refuse"
        return Screen(answer.reason.value, tone, headline, todo)
