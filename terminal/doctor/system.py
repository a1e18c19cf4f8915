"""What the gate needs of the machine: the config and its roster, the clock, free disk for the
record, and the record itself (read only: a running gate may be writing it)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from terminal.common.errors import GateError
from terminal.config import Config, load
from terminal.devices import Clock, SystemClock
from terminal.doctor import Row, failed, passed
from terminal.doctor.text import say
from terminal.record.schema import SCHEMA_VERSION, inspect_read_only
from terminal.rules.roster import Roster, load_roster

SERVICE = "gate-terminal.service"
# the record of a few months of a busy gate, its write-ahead log and a backup made at an upgrade
MIN_FREE_MB = 200
# the system's, looked up here so that a test can stand a full disk in for it
disk_usage = shutil.disk_usage


def system_clock() -> Clock:
    """The machine's clock, and what systemd says of its synchronisation: the clock a gate runs
    by, when its devices (and their clock) are not opened here."""
    return SystemClock()


def gate_running() -> bool:
    """Does systemd say the gate's service is running here? (No systemd: it is not.)"""
    try:
        answer = subprocess.run(
            ["systemctl", "is-active", "--quiet", SERVICE], capture_output=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.returncode == 0


def config_row(path: Path) -> tuple[Row, Config | None, Roster | None]:
    """The config and its roster, as ``run`` reads them."""
    try:
        config = load(path)
    except GateError as exc:
        return failed("config", say("config.bad", error=str(exc)), say("config.fix")), None, None
    try:
        roster = load_roster(config)
    except GateError as exc:
        fix = say("config.roster_fix", config=path)
        return failed("config", say("config.bad", error=str(exc)), fix), config, None
    gate = config.gate.broker_username
    return passed("config", say("config.ok", gate=gate, roster=roster.describe())), config, roster


def clock_row(config: Config, clock: Clock) -> Row:
    zone = config.gate.timezone
    try:
        local = datetime.fromtimestamp(clock.time(), ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return failed("clock", say("clock.zone", zone=zone), say("clock.zone_fix"))
    shown = {"zone": zone, "local": f"{local:%Y-%m-%d %H:%M}"}
    if not clock.synchronised():
        return failed("clock", say("clock.unsynced", **shown), say("clock.fix"))
    return passed("clock", say("clock.ok", **shown))


def _existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def disk_row(config: Config) -> Row:
    folder = _existing(config.resolved(config.record.path).parent)
    try:
        free_mb = disk_usage(folder).free // (1024 * 1024)
    except OSError as exc:
        error = exc.strerror or type(exc).__name__
        return failed("disk", say("disk.bad", folder=folder, error=error), say("disk.fix"))
    if free_mb < MIN_FREE_MB:
        low = say("disk.low", free=free_mb, folder=folder, need=MIN_FREE_MB)
        return failed("disk", low, say("disk.fix"))
    return passed("disk", say("disk.ok", free=free_mb, folder=folder))


def record_row(config: Config) -> Row:
    """SQLite's integrity check and the schema's version, read only."""
    path = config.resolved(config.record.path)
    if not path.exists():
        return passed("record", say("record.none", path=path))
    if not path.is_file():  # a FIFO or a device would hang or feed the reader for ever
        not_a_file = say("record.bad", path=path, problem="not a regular file")
        return failed("record", not_a_file, say("record.fix"))
    version, problems = inspect_read_only(path)
    if version is None or problems != ["ok"]:
        problem = "; ".join(problems)[:300]
        return failed("record", say("record.bad", path=path, problem=problem), say("record.fix"))
    if version > SCHEMA_VERSION:
        newer = say("record.newer", path=path, version=version, known=SCHEMA_VERSION)
        return failed("record", newer, say("record.newer_fix"))
    return passed("record", say("record.ok", path=path, version=version))
