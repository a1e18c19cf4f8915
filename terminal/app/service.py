"""``gate-terminal run``: the gate service, built by the composition root from the config and
the device factory the command line chose, then stepped until asked to stop."""

from __future__ import annotations

import logging
import sys
import threading
import time

from drivers.camera import CameraError
from terminal.app.build import build_gate
from terminal.config import Config
from terminal.devices import DeviceError, DeviceFactory
from terminal.rules.roster import RosterError

log = logging.getLogger(__name__)


def run_service(config: Config, stop: threading.Event, factory: DeviceFactory) -> int:
    try:
        # chores by the monotonic clock: a wall clock set by NTP must not skip one
        app = build_gate(config, factory, ticks=time.monotonic)
    except RosterError as exc:
        # like a config error: one line, the file and line to fix, before the gate starts
        print(f"gate-terminal: {exc}", file=sys.stderr)
        return 2
    except (DeviceError, CameraError) as exc:
        log.error("%s", exc)
        return 2
    app.run_until(stop)
    return 0
