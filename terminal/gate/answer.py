"""The answer on the worker's display, when the gate has a screen: the decision, that an
admission waits for its vehicle, or that a person the guard admitted may pass now."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from terminal.display.state import DisplayState
from terminal.rules.policy import Decision, Reason, Route

log = logging.getLogger(__name__)


class Answer:
    def __init__(
        self,
        display: DisplayState | None,
        timezone: str,
        device: Callable[[str], None] | None = None,
    ) -> None:
        """``device``: the gate's own display device, told ``rest`` and
        ``staff_admitted:<person>`` on the channel the measuring states use."""
        self.display = display
        self._timezone = ZoneInfo(timezone)
        self._device = device

    def _local(self, epoch_s: float) -> datetime:
        return datetime.fromtimestamp(epoch_s, self._timezone)

    def decided(
        self, decision: Decision, decided_s: float, rest_until_s: float | None = None
    ) -> None:
        """``rest_until_s``: told to rest, when they may scan again (the gate's clock)."""
        if self.display is not None:
            today = self._local(decided_s).date()
            until = None if rest_until_s is None else self._local(rest_until_s).strftime("%H:%M")
            self.display.decided(decision.reason, decision.route, decision.window, today, until)
        if decision.route is Route.REST:
            self._tell_device("rest")

    def staff_admitted(self, person_id: str | None, until_s: float) -> None:
        """The guard admitted them: pass now, until the end of their passage window. A screen
        that fails does not undo the admission."""
        try:
            if self.display is not None:
                until = self._local(until_s).strftime("%H:%M:%S")
                self.display.staff_admitted(person_id or "-", until)
            self._tell_device(f"staff_admitted:{person_id}")
        except Exception as exc:
            log.error("a person admitted by staff cannot be told to pass: %s", type(exc).__name__)

    def _tell_device(self, what: str) -> None:
        """A display device that fails does not disturb the check it follows."""
        if self._device is None:
            return
        try:
            self._device(what)
        except Exception as exc:
            log.error(
                "the display device cannot show %s: %s", what.split(":")[0], type(exc).__name__
            )

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
