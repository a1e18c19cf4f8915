"""The screens beside a simulated shift (``simulate --screens``, what ``make demo`` runs): the
worker's display of the simulated gate, and the park's centre (collector, security desk and
board) on the shift's broker, with two members of staff to log in as.

The shift then starts now and runs in real time: the gate's clock, the centre's and the
browser's agree, so a flag shows how long it has been open, the board's "today" is today, and a
command the desk signs is neither early nor stale at the gate. The simulated guard leaves each
flag to the security desk for a while before walking over to it."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cryptography.hazmat.primitives import serialization

from terminal.centre.config import CentreConfig, parse_centre
from terminal.centre.running import RunningCentre, add_user, start_centre
from terminal.codes.healthcode import SIMULATOR_COMMAND_KEY_ID, simulator_command_key
from terminal.common.clock_sync import always_synchronised
from terminal.config import Config
from terminal.display.server import DisplayServer
from terminal.display.state import DisplayState
from terminal.state import GateState

log = logging.getLogger(__name__)

# who the demo's staff are: a guard resolves flags, the health officer may also send commands
DEMO_STAFF = (("guard", "guard"), ("officer", "health_officer"))


DEMO_DATABASE_NAME = "centre-demo.sqlite"


@dataclass(frozen=True)
class ScreensOptions:
    centre_port: int = 8100  # 0: any free port
    centre_database: Path | None = None  # default: beside the simulated record; each run anew
    desk_first_s: float = 90.0  # simulated seconds the guard leaves a flag to the desk
    # once the shift is over, keep the screens up until Ctrl-C (for a person watching them)
    linger: bool = False


@dataclass
class DemoScreens:
    display: DisplayState
    display_server: DisplayServer | None
    centre: RunningCentre
    staff: dict[str, str]  # user -> password, printed for the person at the keyboard
    _key_folder: tempfile.TemporaryDirectory[str] = field(repr=False)

    def describe(self) -> str:
        lines = []
        if self.display_server is not None:
            lines.append(f"  the worker's display:  {self.display_server.address}")
        lines.append(f"  the security desk:     {self.centre.web_url}desk")
        lines.append(f"  the centre's board:    {self.centre.web_url}board")
        lines.append(
            "  log in as "
            + " or ".join(f"{user} / {password}" for user, password in self.staff.items())
            + " (new passwords each run)"
        )
        return "\n".join(lines)

    def stop(self) -> None:
        if self.display_server is not None:
            self.display_server.stop()
        self.centre.stop()
        self._key_folder.cleanup()


def _write_command_key(folder: Path) -> Path:
    """The simulator's command key (from a published seed: a real gate refuses it) in a file of
    its own, mode 0600, as the centre wants its signing key."""
    pem = simulator_command_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = folder / "centre-command-key.pem"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    return path


def demo_database(config: Config, options: ScreensOptions) -> Path:
    """The demo centre's database: beside the simulated record (the record's path taken from the
    config's folder, as the record's own is), never beside wherever the command was typed."""
    beside_the_record = config.resolved(config.record.path).parent / DEMO_DATABASE_NAME
    return (options.centre_database or beside_the_record).resolve()


def centre_config(
    config: Config, broker: tuple[str, int], options: ScreensOptions, key_file: Path
) -> CentreConfig:
    database = demo_database(config, options)
    return parse_centre(
        {
            "park": config.gate.park,
            "timezone": config.gate.timezone,
            "gates": [config.gate.id],
            "mqtt": {"host": broker[0], "port": broker[1], "client_id": "centre-demo"},
            "database": {"url": f"sqlite:///{database}"},
            "web": {"host": "127.0.0.1", "language": "en"},
            "secondary": {"clinical_fever_c": config.secondary.clinical_fever_c},
            "commands": {"key_id": SIMULATOR_COMMAND_KEY_ID, "key_file": str(key_file)},
        },
        Path("<simulate --screens>"),
    )


def start_screens(
    config: Config,
    broker: tuple[str, int],
    options: ScreensOptions,
    state: GateState,
    out: TextIO,
    make_password: Callable[[], str] = lambda: secrets.token_urlsafe(9),
) -> DemoScreens:
    display = DisplayState(
        language=config.display.language,
        answer_s=config.display.answer_s,
        isolation_room=config.secondary.isolation_room,
        isolation_location=config.secondary.isolation_location,
        conditions=state,
        rest_area=config.screening.rest_area,
        rest_min=config.screening.rest_min,
        timezone=config.gate.timezone,
    )
    display_server: DisplayServer | None = DisplayServer(
        display, config.display.host, config.display.port
    )
    if not display_server.start():  # type: ignore[union-attr]
        out.write(f"The worker's display cannot listen on port {config.display.port}.\n")
        display_server = None
    key_folder = tempfile.TemporaryDirectory(prefix="gate-demo-")
    try:
        key_file = _write_command_key(Path(key_folder.name))
        database = demo_database(config, options)
        database.parent.mkdir(parents=True, exist_ok=True)
        for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            stale.unlink(missing_ok=True)  # the demo's centre starts each run afresh
        centre = start_centre(
            centre_config(config, broker, options, key_file),
            web_port=options.centre_port,
            # the demo's centre keeps the simulation's time: no NTP banner on its board
            clock_synchronised=always_synchronised,
        )
        staff = {}
        for user, role in DEMO_STAFF:
            staff[user] = make_password()
            add_user(centre.store, user, role, staff[user])
    except BaseException:
        if display_server is not None:
            display_server.stop()
        key_folder.cleanup()
        raise
    return DemoScreens(display, display_server, centre, staff, key_folder)


def stay_until_stopped() -> None:
    """After the shift, with ``--stay``: until Ctrl-C, or until the run is stopped with a
    SIGTERM (a run in the background, where Ctrl-C does not reach it); either way the screens,
    the centre and the broker are then closed in order."""
    stopped = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set()) if in_main else None
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while not stopped.wait(0.5):
                pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
