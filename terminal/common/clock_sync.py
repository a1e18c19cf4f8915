"""Whether this machine's clock may be trusted: the gate and the centre ask the same question.

The kernel's NTP status as systemd reports it (whichever NTP client keeps the time), asked at
most every half minute; and :class:`ClockTrust`, which also notices a wall clock that jumped
against the steady one. A Pi has no battery clock and boots with whatever time it last saved; a
server's clock set wrong (a bad time server, a hand) would otherwise make the retention purge
forget a whole record at once.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

CLOCK_JUMP_S = 120.0  # the wall clock moved this much more or less than the steady clock: a jump
CLOCK_SETTLE_S = 3600.0  # after a jump, the clock must run steady this long before a purge


def ntp_synchronised() -> bool:
    """The kernel's NTP status as systemd reports it, whichever NTP client keeps the time. No
    systemd, no answer, or a timeout: not synchronised (fail secure)."""
    try:
        answer = subprocess.run(
            ["timedatectl", "show", "--property=NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.stdout.strip() == "yes"


class SyncStatus:
    """:func:`ntp_synchronised` (or an injected query), remembered for ``RECHECK_S``: a page or a
    loop may ask often without starting a process each time."""

    RECHECK_S = 30.0

    def __init__(self, query: Callable[[], bool] = ntp_synchronised) -> None:
        self._query = query
        self._known: bool | None = None
        self._asked_at = 0.0

    def synchronised(self) -> bool:
        now = time.monotonic()
        if self._known is None or now - self._asked_at >= self.RECHECK_S:
            self._known, self._asked_at = self._query(), now
        return self._known


def always_synchronised() -> bool:
    """A simulation's clock: it is the time by definition."""
    return True


class ClockTrust:
    """Whether the wall clock may be trusted to forget by: it is synchronised, and it has run in
    step with the steady clock (``steady``: the monotonic clock) for ``settle_s`` since it last
    jumped."""

    def __init__(
        self,
        synchronised: Callable[[], bool],
        steady: Callable[[], float],
        *,
        jump_s: float = CLOCK_JUMP_S,
        settle_s: float = CLOCK_SETTLE_S,
    ) -> None:
        self.synchronised = synchronised
        self.steady = steady
        self.jump_s = jump_s
        self.settle_s = settle_s
        self._last: tuple[float, float] | None = None  # (wall, steady) when last looked
        self._jumped_at: float | None = None  # steady time of the last jump

    def observe(self, wall_s: float) -> None:
        """Note the wall clock against the steady one; call it often (every chore does)."""
        steady = self.steady()
        if self._last is not None:
            drift = (wall_s - self._last[0]) - (steady - self._last[1])
            if abs(drift) > self.jump_s:
                log.warning("the clock jumped %+.0f s: the retention purge waits", drift)
                self._jumped_at = steady
        self._last = (wall_s, steady)

    def why_not(self, wall_s: float) -> str | None:
        """None when the clock may be trusted now; else why not."""
        self.observe(wall_s)
        if not self.synchronised():
            return "the clock is not synchronised"
        if self._jumped_at is not None and self.steady() - self._jumped_at < self.settle_s:
            return "the clock jumped less than an hour ago"
        return None
