"""Telling systemd how the service is: ``sd_notify`` over ``$NOTIFY_SOCKET``, without a library.

The protocol is one datagram of ``KEY=value`` lines to a Unix socket whose path systemd gives in
``$NOTIFY_SOCKET`` (a leading ``@`` names an abstract socket); see sd_notify(3). The units use it
so:

- ``READY=1`` once the gate's devices have answered a whole turn of its loop (``Type=notify``:
  until then systemd counts the gate as starting, and a start that hangs is killed);
- ``WATCHDOG=1`` from the gate's loop itself, only while it turns: a camera read or an I2C call
  that hangs stops the pings, and after ``WatchdogSec`` systemd kills and restarts the gate;
- ``STOPPING=1`` when the gate is asked to stop, ``STATUS=`` with what it is doing, and
  ``EXTEND_TIMEOUT_USEC=`` while it waits for the clock at boot.

Outside systemd (a terminal, the tests without a socket) every call does nothing. A datagram that
cannot be sent is logged once and never raises: the gate keeps answering people."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    """The service's line to systemd. ``address``: the socket (None: not under systemd).
    ``watchdog_s``: systemd's ``WatchdogSec`` for this process (None: no watchdog)."""

    def __init__(
        self,
        address: str | None,
        watchdog_s: float | None = None,
        *,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address or None
        self.watchdog_s = watchdog_s if watchdog_s and watchdog_s > 0 else None
        self._ticks = ticks
        self._last_ping = float("-inf")
        self._failed = False
        self._socket: socket.socket | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd's environment describes: ``NOTIFY_SOCKET``, and ``WATCHDOG_USEC``
        when ``WATCHDOG_PID`` is absent or this process (sd_watchdog_enabled(3))."""
        env = os.environ if environ is None else environ
        watchdog_s: float | None = None
        pid = env.get("WATCHDOG_PID", "")
        if not pid or pid == str(os.getpid()):
            try:
                watchdog_s = int(env.get("WATCHDOG_USEC", "")) / 1_000_000
            except ValueError:
                watchdog_s = None
        return cls(env.get("NOTIFY_SOCKET"), watchdog_s)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """One datagram of ``KEY=value`` fields; False when not under systemd or not sent."""
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
            self._socket.sendto("\n".join(fields).encode("utf-8"), target)
        except OSError as exc:
            if not self._failed:  # once: a lost socket must not fill the journal every turn
                log.warning("cannot notify systemd at %s: %s", self.address, exc.strerror or exc)
                self._failed = True
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, status: str) -> bool:
        return self.send(f"STATUS={status}")

    def stopping(self, status: str = "stopping") -> bool:
        return self.send("STOPPING=1", f"STATUS={status}")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask systemd for ``seconds`` more to start (or stop) from now."""
        return self.send(f"EXTEND_TIMEOUT_USEC={max(0, round(seconds * 1_000_000))}")

    def watchdog(self) -> bool:
        """``WATCHDOG=1``, at most every half ``WatchdogSec`` (sd_watchdog_enabled(3) asks for
        pings more often than the period); call it from the loop whose turning it vouches for."""
        if self.address is None or self.watchdog_s is None:
            return False
        now = self._ticks()
        if now - self._last_ping < self.watchdog_s / 2:
            return False
        self._last_ping = now
        return self.send("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
