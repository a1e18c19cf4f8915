"""The systemd units as systemd itself reads them: each verifies (with its install paths
rewritten to ones that exist here), and each is rated by ``systemd-analyze security``: the gate's
and the centre's at most 2.5, the kiosk's no worse than its header says. Without
``systemd-analyze`` these skip, saying so; the checks of what the units say run everywhere."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from terminal.common.errors import EXIT_REFUSED
from terminal.config import ConfigError

REPO = Path(__file__).resolve().parent.parent
SYSTEMD = REPO / "systemd"
GATE_EXE = "/opt/gate-terminal/.venv/bin/gate-terminal"
CHROMIUM = "/usr/bin/chromium"
UNITS = {  # unit: (a user unit?, the highest exposure the test lets it have)
    "gate-terminal.service": (False, 2.5),
    "gate-centre.service": (False, 2.5),
    "gate-display.service": (True, 3.4),
    "gate-record-backup.service": (False, 2.5),
    "gate-centre-backup.service": (False, 2.5),
}
# timers: verified as systemd reads them, beside the services they start
TIMERS = ("gate-record-backup.timer", "gate-centre-backup.timer")
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed here: the units are not verified"
)


def settings(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with every value it is given (DeviceAllow= repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(name: str) -> dict[str, list[str]]:
    return settings(SYSTEMD / name)["Service"]


def one(section: dict[str, list[str]], key: str) -> str:
    return section[key][-1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The units as installed, with the executables they start replaced by stubs that exist."""
    folder = tmp_path_factory.mktemp("units")
    stubs = folder / "bin"
    stubs.mkdir()
    for name in ("gate-terminal", "chromium"):
        stub = stubs / name
        stub.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        stub.chmod(0o755)
    for unit in UNITS:
        text = (SYSTEMD / unit).read_text(encoding="utf-8")
        assert GATE_EXE in text or CHROMIUM in text, unit
        text = text.replace(GATE_EXE, str(stubs / "gate-terminal"))
        text = text.replace(CHROMIUM, str(stubs / "chromium"))
        (folder / unit).write_text(text, encoding="utf-8")
    for timer in TIMERS:
        shutil.copy(SYSTEMD / timer, folder / timer)
    runtime = folder / "runtime"  # the user manager's $XDG_RUNTIME_DIR, for --user
    runtime.mkdir(mode=0o700)
    return folder


def analyze(folder: Path, unit: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    user = ["--user"] if UNITS.get(unit, (False,))[0] else []
    env = {**os.environ, "XDG_RUNTIME_DIR": str(folder / "runtime"), "SYSTEMD_PAGER": "cat"}
    return subprocess.run(
        [ANALYZE, *args, *user, str(folder / unit)],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=120,
    )


@needs_analyze
@pytest.mark.parametrize("unit", list(UNITS))
def test_each_unit_verifies_as_systemd_reads_it(installed: Path, unit: str) -> None:
    done = analyze(installed, unit, "verify")
    # an unknown or misspelt key is only a warning: any word from verify is a failure here
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stdout + done.stderr
    )


@needs_analyze
@pytest.mark.parametrize("timer", TIMERS)
def test_each_timer_verifies_as_systemd_reads_it(installed: Path, timer: str) -> None:
    done = analyze(installed, timer, "verify")
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stdout + done.stderr
    )


def daily_backup(name: str, user: str) -> dict[str, dict[str, list[str]]]:
    """The sections of the backup service ``name``, once it is seen to be what each backup is:
    started daily by its timer (a day missed while the machine was off: at the next start), a
    one-shot run as ``user``, its copies readable by that user alone, no core dump."""
    timer = settings(SYSTEMD / f"{name}.timer")["Timer"]
    assert one(timer, "OnCalendar") and one(timer, "Persistent") == "true"
    unit = settings(SYSTEMD / f"{name}.service")
    backup = unit["Service"]
    assert one(backup, "Type") == "oneshot" and one(backup, "User") == user
    assert one(backup, "UMask") == "0077" and one(backup, "LimitCORE") == "0"
    return unit


def test_the_record_backup_runs_daily_into_the_mounted_share_as_the_gate() -> None:
    unit = daily_backup("gate-record-backup", "gate")
    backup = unit["Service"]
    assert " record backup --config /etc/gate-terminal/gate.toml" in one(backup, "ExecStart")
    # the folder the example config backs up into is the share the unit waits for and may write
    example = tomllib.loads((REPO / "config" / "gate.example.toml").read_text(encoding="utf-8"))
    share = example["backup"]["dir"]
    assert one(unit["Unit"], "RequiresMountsFor") == share
    assert one(backup, "ReadWritePaths").split() == ["/var/lib/gate-terminal", share]


def test_the_centre_backup_runs_daily_into_its_mounted_share_as_the_centre() -> None:
    unit = daily_backup("gate-centre-backup", "gate-centre")
    backup = unit["Service"]
    share = one(unit["Unit"], "RequiresMountsFor")
    assert one(backup, "ExecStart").endswith(
        " centre backup --config /etc/gate-terminal/centre.toml --to " + share
    )
    assert one(backup, "ReadWritePaths").split() == ["/var/lib/gate-centre", share]


@needs_analyze
@pytest.mark.parametrize("unit", list(UNITS))
def test_each_unit_is_rated_no_worse_than_allowed_and_than_it_says(
    installed: Path, unit: str
) -> None:
    done = analyze(installed, unit, "security", "--offline=true", "--no-pager")
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert found, done.stdout + done.stderr
    exposure = float(found.group(1))
    assert exposure <= UNITS[unit][1], done.stdout
    # the header of each unit states its rating: it must be the one systemd gives
    stated = re.search(r"rates it (\d+\.\d)", (SYSTEMD / unit).read_text(encoding="utf-8"))
    assert stated and float(stated.group(1)) == exposure, (unit, exposure)


def test_the_gate_tells_systemd_it_is_ready_and_alive() -> None:
    gate = service("gate-terminal.service")
    assert one(gate, "Type") == "notify" and one(gate, "NotifyAccess") == "main"
    watchdog_s = float(one(gate, "WatchdogSec").removesuffix("s"))
    # longer than a whole check (code wait, measuring, the relay's pulse), short for a dead gate
    assert 15 <= watchdog_s <= 60
    assert one(gate, "Restart") == "always"
    centre = service("gate-centre.service")
    assert one(centre, "Type") == "notify" and "WatchdogSec" in centre


def test_a_config_error_is_not_restarted_forever() -> None:
    # the exit code the command line gives a config error is the one systemd leaves stopped
    assert ConfigError("x").exit_code == EXIT_REFUSED == 2
    for unit in ("gate-terminal.service", "gate-centre.service"):
        assert one(service(unit), "RestartPreventExitStatus").split() == [str(EXIT_REFUSED)]


def test_the_gate_reaches_only_its_own_devices_with_no_privilege() -> None:
    gate = service("gate-terminal.service")
    assert one(gate, "DevicePolicy") == "closed"
    allowed = {entry.split()[0] for entry in gate["DeviceAllow"]}
    assert {"char-i2c", "char-gpiochip", "char-video4linux"} <= allowed
    assert {"/dev/gpiomem", "/dev/gpiomem0"} <= allowed  # the Pi 4's and the Pi 5's
    assert one(gate, "CapabilityBoundingSet") == "" and one(gate, "AmbientCapabilities") == ""
    assert gate["SystemCallFilter"][0] == "@system-service"
    assert set(one(gate, "RestrictAddressFamilies").split()) <= {
        "AF_UNIX",
        "AF_INET",
        "AF_INET6",
        "AF_NETLINK",
    }
    assert one(gate, "ProtectSystem") == "strict"
    assert one(gate, "StateDirectory") == "gate-terminal"
    assert one(gate, "ReadWritePaths") == "/var/lib/gate-terminal"
    assert one(gate, "WorkingDirectory") == "/var/lib/gate-terminal"  # lgpio's pipes
    assert one(gate, "LimitCORE") == "0"  # no core dump of health data
    # the device groups that open them, and nothing more
    assert set(one(gate, "SupplementaryGroups").split()) == {"gpio", "i2c", "video"}


def test_the_hardware_watchdog_is_on_and_fed_by_systemd() -> None:
    firmware = (REPO / "firmware" / "config.txt").read_text(encoding="utf-8").splitlines()
    assert "dtparam=watchdog=on" in firmware
    dropin = settings(SYSTEMD / "system.conf.d" / "gate-watchdog.conf")["Manager"]
    runtime_s = float(one(dropin, "RuntimeWatchdogSec").removesuffix("s"))
    assert 0 < runtime_s <= 15  # the BCM2835/BCM2712 watchdog counts at most about 15 s
    assert "RebootWatchdogSec" in dropin
    # the provisioning installs it where systemd reads it (tests/test_provisioning.py)
