"""What a gate does besides checking people: every half minute its uptime, status, metrics,
backlog limit and daily report; every hour the retention purge; and the roster reloaded when its
files change. A failing chore is logged, never a crash: the gate keeps answering people."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from terminal.app.daily import DailyReporter
from terminal.common.clock_sync import ClockTrust
from terminal.config import Config
from terminal.gate.record_fault import record_fault
from terminal.link.publisher import Publisher
from terminal.link.topics import Messages
from terminal.record.store import Record
from terminal.state import GateState

__all__ = ["ClockTrust", "Housekeeping", "Schedule", "guarded"]

log = logging.getLogger(__name__)
PURGE_EVERY_S = 3600.0
HOUSEKEEPING_EVERY_S = 30.0  # uptime, status, metrics, backlog limit, the daily report
# The uptime's heartbeat on the SD card: written when the record changed since the last one, before
# a daily report, at a clean stop, and otherwise at most this often: a gate with nothing to record
# commits nothing for a quarter of an hour (96 commits a day, not 2880), and a power cut costs the
# daily report's uptime at most this much
ALIVE_IDLE_S = 900.0


class Housekeeping:
    """What the gate does every half minute besides checking people."""

    def __init__(
        self,
        config: Config,
        record: Record,
        publisher: Publisher | None,
        messages: Messages,
        state: GateState,
        boot_id: str,
        clock: ClockTrust | None = None,
    ) -> None:
        self.clock = clock  # None: the clock is trusted (a simulation's)
        self._purge_waited: str | None = None
        self.config = config
        self.record = record
        self.publisher = publisher  # None: a simulated gate without a broker
        self.messages = messages
        self.state = state
        self.boot_id = boot_id
        self.reporter = DailyReporter(config, record, messages)
        self._started_monotonic = time.monotonic()
        # the heartbeat last written (start_boot wrote the first), and the record's writes then
        self._alive_s: float | None = None
        self._writes_at_alive = record.writes_added

    def run(self, now_s: float) -> None:
        if self.clock is not None:
            self.clock.observe(now_s)
        self.heartbeat(now_s, force=bool(self.reporter.due(now_s)))
        self._backlog_limit(now_s)
        self.reporter.send_due(now_s)
        if self.publisher is None:
            return
        self.publisher.publish_status()
        self.publisher.publish_metrics(
            sent_total=self.record.count_sent(),
            checks_since_boot=self.record.checks_added,
            uptime_s=round(time.monotonic() - self._started_monotonic, 1),
        )

    def heartbeat(self, now_s: float, force: bool = False) -> bool:
        """Mark the service alive in the record (the daily report's uptime counts up to the last
        mark), only when something changed: the record was written since the last mark, the mark
        is ALIVE_IDLE_S old, or ``force`` (a daily report is due, the service stops). Returns
        whether it wrote."""
        if self._alive_s is None:
            self._alive_s = now_s  # the boot's own row says it: nothing to write yet
            if not force:
                return False
        changed = self.record.writes_added != self._writes_at_alive
        if not (force or changed or now_s - self._alive_s >= ALIVE_IDLE_S):
            return False
        self.record.alive(self.boot_id, now_s)
        self._alive_s = now_s
        self._writes_at_alive = self.record.writes_added
        return True

    def purge(self, now_s: float) -> None:
        """Forget the checks older than the retention period, by the gate's clock; not while
        the clock is unsynchronised or has just jumped (the next hour's purge tries again)."""
        why_not = None if self.clock is None else self.clock.why_not(now_s)
        if why_not is not None:
            if why_not != self._purge_waited:  # said once, not every hour
                log.warning("retention: the purge waits: %s", why_not)
            self._purge_waited = why_not
            return
        self._purge_waited = None
        days = self.config.record.retention_days
        purged = self.record.purge_before(now_s - days * 86400)
        if purged:
            log.info("retention: forgot %d checks older than %d days", purged, days)

    def _backlog_limit(self, now_s: float) -> None:
        """An outbox past its limit is a fault the centre is told of; nothing is dropped."""
        limit = self.config.mqtt.max_backlog
        backlog = self.record.count_unsent()
        self.state.backlog = backlog
        over = "backlog_over_limit" in self.state.faults
        if backlog > limit and not over:
            detail = f"{backlog} messages wait to be sent (limit {limit}); none are dropped"
            log.error("outbox backlog %d is over its limit %d; nothing is dropped", backlog, limit)
            self.state.faults["backlog_over_limit"] = detail
            self._fault_event("backlog_over_limit", True, detail, now_s)
        elif backlog <= limit and over:
            del self.state.faults["backlog_over_limit"]
            log.warning("outbox backlog %d is within its limit again", backlog)
            self._fault_event("backlog_over_limit", False, f"{backlog} waiting", now_s)

    def _fault_event(self, kind: str, active: bool, detail: str, now_s: float) -> None:
        record_fault(self.record, self.messages, kind, active, detail, now_s)
        if self.publisher is not None:
            self.publisher.publish_status()


class Schedule:
    """When the chores are next due, by a clock of the caller's choosing: the monotonic clock
    on a real gate (a clock set by NTP must not skip a purge), the simulated clock in a
    simulation (whose time leaps over idle stretches)."""

    def __init__(self, ticks: Callable[[], float]) -> None:
        self.ticks = ticks
        self.next_purge = self.next_chores = float("-inf")

    def purge_due(self) -> bool:
        if self.ticks() < self.next_purge:
            return False
        self.next_purge = self.ticks() + PURGE_EVERY_S
        return True

    def chores_due(self) -> bool:
        if self.ticks() < self.next_chores:
            return False
        self.next_chores = self.ticks() + HOUSEKEEPING_EVERY_S
        return True


def guarded(step: Callable[..., object], *args: object) -> None:
    """A step that fails (a full disk, say) is logged, never a crash and restart loop: the gate
    keeps answering people, shut while it cannot write its record."""
    try:
        step(*args)
    except Exception as exc:
        log.error("%s failed: %s", getattr(step, "__qualname__", "step"), type(exc).__name__)
