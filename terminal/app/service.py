"""``gate-terminal run``: the gate service, built by the composition root from the config and
the device factory the command line chose, then stepped until asked to stop.

Under systemd (``Type=notify``, systemd/gate-terminal.service) it says ``READY=1`` once its
devices have answered a whole turn of the loop, ``WATCHDOG=1`` from that loop while it turns, and
``STOPPING=1`` when asked to stop (terminal/common/notify.py). At boot it first waits, at most
``gate.clock_wait_s`` from the moment the machine booted, for the clock to be synchronised: a Pi
has no clock of its own and may boot offline; past that it starts in the unsynced mode."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import time
from collections.abc import Callable

from drivers.camera import CameraError
from terminal.app.build import build_gate
from terminal.common.clock_sync import ntp_synchronised
from terminal.common.errors import EXIT_FAILED
from terminal.common.notify import Notifier
from terminal.config import Config
from terminal.devices import DeviceError, DeviceFactory, MachineRefused
from terminal.rules.roster import RosterError, RosterFiles

log = logging.getLogger(__name__)
CLOCK_POLL_S = 1.0  # how often the boot's wait asks whether the clock is synchronised


def since_boot_s() -> float:
    """Seconds since the machine booted, suspend included (CLOCK_BOOTTIME)."""
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):  # not Linux
        return time.monotonic()


def wait_for_clock(
    synced: Callable[[], bool],
    wait_s: float,
    stop: threading.Event,
    notifier: Notifier,
    *,
    since_boot: Callable[[], float] = since_boot_s,
    ticks: Callable[[], float] = time.monotonic,
    poll_s: float = CLOCK_POLL_S,
) -> bool:
    """Wait until ``synced()``, at most until ``wait_s`` after boot (a service restarted later
    does not wait again), or until ``stop``. True: the clock is synchronised."""
    if synced():
        return True
    left = wait_s - since_boot()
    if left > 0:
        log.info("waiting up to %.0f s for the clock to be synchronised (gate.clock_wait_s)", left)
        notifier.status(f"waiting up to {left:.0f} s for the clock to be synchronised")
        deadline = ticks() + left
        while not stop.is_set() and ticks() < deadline:
            # the start's timeout is stretched a step at a time: a hung wait is still killed
            notifier.extend_timeout(poll_s + 30.0)
            notifier.watchdog()
            stop.wait(min(poll_s, max(0.0, deadline - ticks())))
            if synced():
                log.info("the clock is synchronised")
                return True
    if not stop.is_set():
        log.warning(
            "the clock is not synchronised: the gate starts in its unsynced mode "
            "(gate.require_synced_clock) and the retention purge waits for the clock"
        )
    return False


def run_service(
    config: Config,
    stop: threading.Event,
    factory: DeviceFactory,
    *,
    notifier: Notifier | None = None,
    clock_synced: Callable[[], bool] | None = None,
) -> int:
    if not faulthandler.is_enabled():
        # systemd's watchdog ends a hung gate with SIGABRT: the journal gets every thread's
        # traceback (where it hung; no data), and the unit keeps no core dump (LimitCORE=0)
        faulthandler.enable()
    notifier = Notifier.from_environment() if notifier is None else notifier
    if clock_synced is None:
        # a simulated gate keeps simulated time: only a Pi asks the system's clock
        clock_synced = ntp_synchronised if config.gate.hardware == "pi" else lambda: True
    try:
        # the inputs first: a broken roster is a config error, said at once, not after waiting
        # for the clock (build_gate reads it again, as it is then)
        RosterFiles(config)
    except RosterError as exc:
        print(f"gate-terminal: {exc}", file=sys.stderr)
        return 2
    synced = wait_for_clock(clock_synced, config.gate.clock_wait_s, stop, notifier)
    if stop.is_set():
        notifier.stopping()
        return 0
    notifier.status("opening the devices")
    try:
        # chores by the monotonic clock: a wall clock set by NTP must not skip one
        app = build_gate(config, factory, ticks=time.monotonic)
    except (RosterError, MachineRefused) as exc:
        # like a config error: one line, the file and line (or the machine) to fix, before the
        # gate starts (exit 2: systemd does not restart it, RestartPreventExitStatus=2)
        print(f"gate-terminal: {exc}", file=sys.stderr)
        return 2
    except (DeviceError, CameraError) as exc:
        # a device that does not answer may answer after a restart (a camera still enumerating)
        log.error("%s", exc)
        return EXIT_FAILED
    app.start()
    try:
        ready = False
        while not stop.is_set():
            app.step()
            if not ready:
                # a whole turn done: the camera gave a frame, the sensors were read
                clock = "synchronised" if synced else "not synchronised"
                notifier.ready(f"gate {config.gate.park}/{config.gate.id} running; clock {clock}")
                ready = True
            notifier.watchdog()  # from the loop itself: a turn that hangs stops the pings
        notifier.stopping()
    finally:
        app.stop()
        notifier.close()
    return 0
