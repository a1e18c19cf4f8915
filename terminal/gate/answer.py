"""The answer on the worker's display, when the gate has a screen: the decision, or that an
admission waits for its vehicle."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from terminal.display.state import DisplayState
from terminal.rules.policy import Decision, Reason, Route


class Answer:
    def __init__(self, display: DisplayState | None, timezone: str) -> None:
        self.display = display
        self._timezone = ZoneInfo(timezone)

    def decided(self, decision: Decision, decided_s: float) -> None:
        if self.display is not None:
            today = datetime.fromtimestamp(decided_s, self._timezone).date()
            self.display.decided(decision.reason, decision.route, decision.window, today)

    def waiting_for_vehicle(self) -> None:
        if self.display is not None:
            self.display.waiting_for_vehicle(True)

    def vehicle_admission_over(self, lifted: bool) -> None:
        """The barrier lifted for the vehicle, or the admission lapsed without one."""
        if self.display is None:
            return
        if lifted:
            self.display.decided(Reason.ADMITTED, Route.THROUGH)
        else:
            self.display.waiting_for_vehicle(False)
