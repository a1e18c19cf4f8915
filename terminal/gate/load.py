"""Today's screening at an entry gate, for the status the board reads: the guard load against
the park's budget, who is resting, who never came back, and what the screening's own model says
its rule catches at that load. Worked out from the record between checks, and sent again when
it changes, at most once a minute (a status per check would flood the link at a shift start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from terminal.config import Config
from terminal.gate.rests import RestDesk
from terminal.link.topics import Messages
from terminal.record.store import Record
from terminal.screening import Screener
from terminal.state import GateState, ScreeningCount

log = logging.getLogger(__name__)
EVERY_S = 60.0


def local_midnight(epoch_s: float, timezone: ZoneInfo) -> float:
    """The start of the gate's day holding ``epoch_s``."""
    day = datetime.fromtimestamp(epoch_s, timezone)
    return day.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class ScreeningLoad:
    def __init__(
        self,
        *,
        config: Config,
        record: Record,
        state: GateState,
        screener: Screener,
        now: Callable[[], float],
        changed: Callable[[], None],
    ) -> None:
        self.config = config
        self.record = record
        self.state = state
        self.screener = screener
        self._now = now
        self._changed = changed
        self._timezone = ZoneInfo(config.gate.timezone)
        self._next_s: float | None = None  # None: not worked out yet
        # the count at start is in the first status the gate sends: not a change to announce
        self._refresh(announce=False)

    @classmethod
    def of(
        cls,
        config: Config,
        record: Record,
        state: GateState,
        screener: Screener,
        changed: Callable[[], None],
        now: Callable[[], float],
    ) -> ScreeningLoad | None:
        """An entry gate's; None at an exit gate, which screens nobody (its status says null)."""
        if config.gate.direction == "exit":
            return None
        return cls(
            config=config, record=record, state=state, screener=screener, now=now, changed=changed
        )

    def count(self, now_s: float) -> ScreeningCount:
        counts = self.record.screening_counts(local_midnight(now_s, self._timezone), now_s)
        catch = self.screener.estimated_catch()
        return ScreeningCount(
            budget=self.config.screening.secondary_budget,
            screened_today=counts["screened"],
            sent_to_guard_today=counts["sent_to_guard"],
            rested_today=counts["rested"],
            resting_now=counts["resting"],
            not_returned_today=counts["not_returned"],
            estimated_catch=None if catch is None else min(1.0, max(0.0, catch)),
        )

    def serve(self) -> None:
        """Between checks; never raises (the status keeps its last count)."""
        if self._next_s is None or self._now() >= self._next_s:
            self._refresh(announce=True)

    def _refresh(self, announce: bool) -> None:
        now = self._now()
        self._next_s = now + EVERY_S
        try:
            count = self.count(now)
        except Exception as exc:
            log.error("today's screening cannot be counted: %s", type(exc).__name__)
            return
        if count != self.state.screening:
            self.state.screening = count
            if announce:
                self._changed()


class ScreeningDesks:
    """What the lane's screening keeps beside its checks: the rests, and today's count."""

    def __init__(self, rests: RestDesk, load: ScreeningLoad | None) -> None:
        self.rests = rests
        self.load = load

    @classmethod
    def wired(
        cls,
        config: Config,
        record: Record,
        messages: Messages,
        state: GateState,
        screener: Screener,
        now: Callable[[], float],
        changed: Callable[[], None],
    ) -> ScreeningDesks:
        rests = RestDesk(
            config=config, record=record, messages=messages, screener=screener, now=now
        )
        return cls(rests, ScreeningLoad.of(config, record, state, screener, changed, now))

    def serve(self) -> None:
        """Between checks: rests nobody came back to in time; today's count for the status."""
        self.rests.serve()
        if self.load is not None:
            self.load.serve()
