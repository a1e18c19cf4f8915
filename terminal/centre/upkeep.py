"""What the centre does besides storing and showing: it watches its own clock (said in its log
when the clock is or stops being synchronised; the board shows it too), and every hour forgets
what the retention period says (:mod:`terminal.centre.retention`), never by a clock that is not
synchronised or jumped within the hour. A failing chore is logged, never a crash: the collector
goes on storing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from terminal.centre.config import RetentionConfig
from terminal.centre.store import PurgeResult, Store
from terminal.centre.times import utcnow
from terminal.common.clock_sync import ClockTrust

log = logging.getLogger(__name__)
PURGE_EVERY_S = 3600.0
# the first purge a few minutes after the start, not at it: a centre restarted over and over (a
# config being tried) does not purge at each start, and the clock has been watched for a while
FIRST_PURGE_AFTER_S = 300.0


class Upkeep:
    """``run_due()`` from the centre's loop (often: it does its work when due). ``synchronised``:
    the clock's NTP status (injected by the tests); ``now``: the wall clock; ``steady``: a clock
    no one sets (the monotonic clock), for the schedule and to notice a jump."""

    def __init__(
        self,
        store: Store,
        retention: RetentionConfig,
        synchronised: Callable[[], bool],
        *,
        now: Callable[[], datetime] = utcnow,
        steady: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.retention = retention
        self.synchronised = synchronised
        self.now = now
        self.steady = steady
        self.trust = ClockTrust(synchronised, steady)
        self._next_purge = steady() + FIRST_PURGE_AFTER_S
        self._clock_said: bool | None = None  # the clock's state last written in the log
        self._purge_waited: str | None = None

    def run_due(self) -> PurgeResult | None:
        """The clock looked at (and said in the log when its state changed); the purge when an
        hour has passed since the last one (the first, FIRST_PURGE_AFTER_S after the start).
        What the purge forgot, when it ran."""
        try:
            self.watch_clock()
            if self.steady() < self._next_purge:
                return None
            self._next_purge = self.steady() + PURGE_EVERY_S
            return self.purge()
        except Exception as exc:  # the database away: the next hour tries again
            log.error("the centre's upkeep failed: %s", type(exc).__name__)
            return None

    def watch_clock(self) -> bool:
        synced = self.synchronised()
        self.trust.observe(self.now().timestamp())
        if synced != self._clock_said:
            if not synced:
                log.warning(
                    "the centre's clock is not synchronised (NTP): times it shows may be wrong, "
                    "and the retention purge waits"
                )
            elif self._clock_said is not None:
                log.info("the centre's clock is synchronised again")
            self._clock_said = synced
        return synced

    def purge(self) -> PurgeResult | None:
        """Forget what is past the retention period, unless the clock may not be trusted (said
        once in the log, then the next hour's purge tries again)."""
        now = self.now()
        why_not = self.trust.why_not(now.timestamp())
        if why_not is not None:
            if why_not != self._purge_waited:
                log.warning("retention: the purge waits: %s", why_not)
            self._purge_waited = why_not
            return None
        self._purge_waited = None
        result = self.store.purge_older_than(
            now - timedelta(days=self.retention.health_days),
            now - timedelta(days=self.retention.counts_days),
            now,
        )
        if result.total:
            counts = ", ".join(f"{table} {n}" for table, n in result.removed.items())
            log.info(
                "retention: forgot what is older than %d days (counts: %d days): %s",
                self.retention.health_days, self.retention.counts_days, counts,
            )  # fmt: skip
        return result
