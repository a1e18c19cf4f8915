"""Several thermometers on one bus: their EEPROM provisioning (erase before write, read back,
power cycle), calibration against a reference, and the screening that reads them all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.mlx90614 import EEPROM_EMISSIVITY, EEPROM_SMBUS_ADDRESS, MLX90614
from drivers.vl53l0x import VL53L0X
from firmware.mlx90614_eeprom import set_address, set_emissivity
from simulator.clock import SimClock
from simulator.mlx90614 import FakeSMBus, MLX90614Twin, Scene
from simulator.vl53l0x import VL53L0XTwin
from terminal.config import ConfigError, ScreeningConfig
from terminal.screening import Screener
from terminal.screening.calibration import load_offsets
from tests.conftest import make_config

REPO = Path(__file__).resolve().parent.parent


def bus_with(*twins: MLX90614Twin) -> FakeSMBus:
    return FakeSMBus(*twins)


def test_the_twin_refuses_a_write_without_an_erase_and_a_write_too_soon() -> None:
    clock = SimClock(0.0)
    twin = MLX90614Twin(clock.time)
    sensor = MLX90614(bus_with(twin))
    with pytest.raises(OSError):
        sensor.write_word(EEPROM_EMISSIVITY, 0xFAE0)  # the cell holds 0xFFFF: not erased
    assert twin.refused_writes == 1 and twin.eeprom[EEPROM_EMISSIVITY] == 0xFFFF
    sensor.write_word(EEPROM_EMISSIVITY, 0x0000)
    with pytest.raises(OSError):
        sensor.write_word(EEPROM_EMISSIVITY, 0xFAE0)  # within 5 ms of the erase: busy
    clock.sleep(0.005)
    sensor.write_word(EEPROM_EMISSIVITY, 0xFAE0)
    assert sensor.read_word(EEPROM_EMISSIVITY) == 0xFAE0


def test_set_address_then_a_power_cycle_puts_a_second_thermometer_on_the_bus() -> None:
    clock = SimClock(0.0)
    first = MLX90614Twin(clock.time)
    bus = bus_with(first)
    value = set_address(MLX90614(bus, 0x5A), 0x5B, clock.sleep)
    assert value == 0xBE5B and first.eeprom[EEPROM_SMBUS_ADDRESS] == 0xBE5B
    assert first.refused_writes == 0  # erased before writing, waited, read back
    assert MLX90614(bus, 0x5A).read_word(EEPROM_SMBUS_ADDRESS) == 0xBE5B  # not before power-on
    bus.power_cycle()
    clock.sleep(MLX90614Twin.POWER_UP_S)
    with pytest.raises(OSError):
        _ = MLX90614(bus, 0x5A).ambient_celsius
    assert MLX90614(bus, 0x5B).ambient_celsius == pytest.approx(22.0, abs=0.1)
    # now a factory-fresh sensor can join at 0x5A
    bus.attach(MLX90614Twin(clock.time))
    assert set(bus.devices) == {0x5A, 0x5B}


def test_set_emissivity_writes_the_cell_and_refuses_nonsense() -> None:
    clock = SimClock(0.0)
    twin = MLX90614Twin(clock.time)
    sensor = MLX90614(bus_with(twin))
    assert set_emissivity(sensor, 0.98, clock.sleep) == 0xFAE0
    assert sensor.emissivity == pytest.approx(0.98, abs=1e-4)
    with pytest.raises(ValueError):
        set_emissivity(sensor, 1.5, clock.sleep)


def two_heights(forehead_c: float = 34.0, lower_c: float = 31.0, offsets=None, fail_lower=False):  # type: ignore[no-untyped-def]
    clock = SimClock(100.0)
    upper = MLX90614Twin(clock.time, lambda _t: Scene(20.0, forehead_c), noise_c=0.1, seed=1)
    lower = MLX90614Twin(
        clock.time, lambda _t: Scene(20.0, lower_c), address=0x5B, noise_c=0.1, seed=2
    )
    ranger = VL53L0XTwin(clock.time, lambda _t: 15.0)
    bus = FakeSMBus(upper, lower, ranger)
    clock.sleep(MLX90614Twin.POWER_UP_S)
    if fail_lower:
        lower.inject("nack", count=1000)
    return Screener(
        [MLX90614(bus, 0x5A), MLX90614(bus, 0x5B)],
        ScreeningConfig(),
        clock.sleep,
        distance=VL53L0X(bus, sleep=clock.sleep, now=clock.time),
        now=clock.time,
        calibration_offsets_c=offsets,
    )


def test_the_warmest_of_two_heights_is_the_forehead() -> None:
    assert two_heights(34.0, 31.0).measure().object_c == pytest.approx(34.0, abs=0.15)
    assert two_heights(31.0, 34.5).measure().object_c == pytest.approx(34.5, abs=0.15)


def test_each_thermometer_has_its_own_calibration_offset() -> None:
    reading = two_heights(34.0, 33.0, offsets=[0.0, 1.5]).measure()
    assert reading.object_c == pytest.approx(34.5, abs=0.15)  # the lower one, corrected


def test_one_of_two_thermometers_failing_is_a_fault() -> None:
    reading = two_heights(fail_lower=True).measure()
    assert reading.fault == "OSError errno 121" and reading.final_c is None


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


@pytest.mark.slow  # starts a process
def test_calibrate_stores_the_offset_the_screening_then_uses(tmp_path: Path) -> None:
    config_path = tmp_path / "gate.toml"
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace('"../var/calibration.json"', f'"{tmp_path / "cal.json"}"')
    text = text.replace(
        'path = "roster.example.csv"', f'path = "{REPO / "config" / "roster.example.csv"}"'
    )
    config_path.write_text(text, encoding="utf-8")
    done = cli("sensor", "calibrate", "--config", str(config_path), "--reference", "37.0")
    assert done.returncode == 0, done.stderr
    stored = json.loads((tmp_path / "cal.json").read_text())
    # the simulated sensor reads 0.4 °C low against the blackbody
    assert stored["0x5a"]["offset_c"] == pytest.approx(0.4, abs=0.1)
    assert stored["0x5a"]["reference_c"] == 37.0
    config = make_config(tmp_path, thermometer={"calibration_path": str(tmp_path / "cal.json")})
    assert load_offsets(config)[0x5A] == pytest.approx(0.4, abs=0.1)


def test_a_broken_calibration_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "cal.json").write_text('{"0x5a": {"offset_c": 9.0}}', encoding="utf-8")
    config = make_config(tmp_path, thermometer={"calibration_path": str(tmp_path / "cal.json")})
    with pytest.raises(ConfigError, match=r"cal\.json: 0x5a\.offset_c: beyond"):
        load_offsets(config)


@pytest.mark.slow  # starts a process
def test_set_address_from_the_command_line(tmp_path: Path) -> None:
    done = cli(
        "sensor",
        "set-address",
        "--config",
        "config/simulator.toml",
        "--from",
        "0x5A",
        "--to",
        "0x5B",
    )
    assert done.returncode == 0, done.stderr
    assert "answers at 0x5b" in done.stdout
    bad = cli(
        "sensor",
        "set-address",
        "--config",
        "config/simulator.toml",
        "--from",
        "0x5A",
        "--to",
        "0x02",
    )
    assert bad.returncode == 1 and "0x08..0x77" in bad.stderr


def test_a_gate_with_two_thermometers_screens_with_the_upper_one(tmp_path: Path) -> None:
    from simulator.crowd import SimPerson
    from simulator.rig import build_rig
    from terminal.gate.lane import Gate
    from terminal.record.store import Record

    config = make_config(tmp_path, thermometer={"more_addresses": [0x5B]})
    people = [SimPerson(f"P{i}", i * 3.0, 36.6, 20.0, "green", object_c=34.0) for i in range(3)]
    rig = build_rig(config, people)
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    for _ in range(20_000):
        if rig.world.done:
            break
        gate.poll()
    checks = record.checks()
    assert [c["reason"] for c in checks] == ["admitted"] * 3
    # the lower sensor (chin and collar) read cooler: the forehead's reading was used
    assert all(c["object_c"] == pytest.approx(34.0, abs=0.15) for c in checks)
    assert rig.more_twins[0].reads  # and the second thermometer was read too


# --- the gate's provisioning: firmware/provision.py, exercised without touching this machine ----
PROVISION = REPO / "firmware" / "provision.py"


def provision(*args: str, language: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROVISION), "--language", language, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def fresh_root(tmp_path: Path) -> Path:
    """A stand-in for a fresh Raspberry Pi OS: its account files (video exists, as it does on
    Raspberry Pi OS; gpio and i2c are made) and its boot config."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\nvideo:x:44:\n")
    (root / "etc" / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc" / "gshadow").write_text("root:*::\nvideo:!::\n")
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "config.txt").write_text("dtparam=audio=on\n")
    return root


def snapshot(root: Path) -> dict[str, tuple[str, int, int, int, bytes | str]]:
    """Every path under root: its kind, mode, owner, group and content (a link's target)."""
    seen: dict[str, tuple[str, int, int, int, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        status = path.lstat()
        if path.is_symlink():
            content: bytes | str = str(path.readlink())
            kind = "link"
        elif path.is_dir():
            content, kind = b"", "dir"
        else:
            content, kind = path.read_bytes(), "file"
        rel = str(path.relative_to(root))
        seen[rel] = (kind, status.st_mode & 0o7777, status.st_uid, status.st_gid, content)
    return seen


def needs_root_tools() -> None:
    import os
    import shutil

    if os.geteuid() != 0:
        pytest.skip("provisioning a --root folder makes its users with useradd: needs root")
    for tool in ("useradd", "groupadd", "usermod", "systemctl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not on this machine")


def test_a_dry_run_says_what_it_would_do_and_installs_the_gate_runtime_alone(
    tmp_path: Path,
) -> None:
    root = fresh_root(tmp_path)
    before = snapshot(root)
    done = provision("--dry-run", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert snapshot(root) == before  # nothing changed
    out = done.stdout
    assert "[would do] user gate in gpio,i2c,video" in out
    assert "[would do] /etc/gate-terminal/gate.toml from config/gate.example.toml" in out
    assert "[would do] gate-terminal.service enabled (not started)" in out
    # the service waits for doctor: provisioning never starts it
    assert "systemctl start" not in out.replace("sudo systemctl start", "")
    assert "doctor --config /etc/gate-terminal/gate.toml" in out
    assert "NOT started" in out
    # on the Pi itself: the venv holds the gate's runtime alone
    here = provision("--dry-run", "--skip-apt")
    assert here.returncode == 0, here.stderr
    pip = next(line for line in here.stdout.splitlines() if "pip install" in line)
    assert pip.endswith(f"{REPO}[gate,pi]"), pip
    for absent in ("dev", "centre", "postgresql", "playwright", "pytest", "mosquitto"):
        assert absent not in pip
    assert "mosquitto" not in here.stdout and "chromium" not in here.stdout
    assert "postgresql" not in here.stdout


def test_provisioning_a_root_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    import pwd

    needs_root_tools()
    try:
        pwd.getpwnam("gate")
        gate_on_this_machine = True
    except KeyError:
        gate_on_this_machine = False
    root = fresh_root(tmp_path)
    first = provision("--root", str(root))
    assert first.returncode == 0, first.stderr + first.stdout
    assert "[done] user gate in gpio,i2c,video" in first.stdout
    users = (root / "etc" / "passwd").read_text()
    assert "gate:x:" in users and "/usr/sbin/nologin" in users
    groups = {
        line.split(":")[0]: line for line in (root / "etc" / "group").read_text().splitlines()
    }
    assert all(groups[g].endswith("gate") for g in ("gpio", "i2c", "video"))
    etc = root / "etc" / "gate-terminal"
    gate_toml = etc / "gate.toml"
    assert gate_toml.read_text() == (REPO / "config" / "gate.example.toml").read_text()
    assert gate_toml.stat().st_mode & 0o777 == 0o640
    assert (etc / "mqtt-credentials.toml").stat().st_mode & 0o777 == 0o600
    state = root / "var" / "lib" / "gate-terminal"
    assert state.stat().st_mode & 0o777 == 0o750
    # the roster's folder is made, empty: the example's workers never enter a live roster
    assert list((state / "roster").iterdir()) == []
    # and a roster root imports into it is the gate's group's, which the service reads it as
    assert (state / "roster").stat().st_mode & 0o7777 == 0o2750
    assert (state / "roster").stat().st_gid == int(groups["gate"].split(":")[2])
    unit = root / "etc" / "systemd" / "system" / "gate-terminal.service"
    assert unit.read_text() == (REPO / "systemd" / "gate-terminal.service").read_text()
    # the record's backup: installed, and left for the installer to enable once the share is
    # mounted (a timer running without it would only fail every night)
    for name in ("gate-record-backup.service", "gate-record-backup.timer"):
        installed = root / "etc" / "systemd" / "system" / name
        assert installed.read_text() == (REPO / "systemd" / name).read_text()
    assert not (root / "etc" / "systemd" / "system" / "timers.target.wants").exists()
    assert "systemctl enable --now gate-record-backup.timer" in first.stdout
    wants = (
        root / "etc" / "systemd" / "system" / "multi-user.target.wants" / "gate-terminal.service"
    )
    assert wants.is_symlink()  # enabled, not started
    journald = root / "etc" / "systemd" / "journald.conf.d" / "gate-terminal.conf"
    assert "SystemMaxUse=" in journald.read_text()
    # the hardware watchdog, fed by systemd itself
    watchdog = root / "etc" / "systemd" / "system.conf.d" / "gate-watchdog.conf"
    assert "RuntimeWatchdogSec=" in watchdog.read_text()
    boot = (root / "boot" / "firmware" / "config.txt").read_text()
    assert boot.startswith("dtparam=audio=on\n") and "dtparam=i2c_arm=on" in boot
    assert "The boot config changed: reboot" in first.stdout

    # the installer edits the config; provisioning again keeps it and changes nothing else
    gate_toml.write_text(gate_toml.read_text().replace('park = "CHANGE-ME"', 'park = "north"'))
    before = snapshot(root)
    second = provision("--root", str(root))
    assert second.returncode == 0, second.stderr
    assert "[done]" not in second.stdout and "[would do]" not in second.stdout, second.stdout
    assert snapshot(root) == before
    assert 'park = "north"' in gate_toml.read_text()
    assert boot.count("dtparam=i2c_arm=on") == 1
    # and this machine was not touched
    try:
        pwd.getpwnam("gate")
        assert gate_on_this_machine
    except KeyError:
        assert not gate_on_this_machine


def test_provisioning_mends_what_was_changed_by_hand(tmp_path: Path) -> None:
    needs_root_tools()
    root = fresh_root(tmp_path)
    assert provision("--root", str(root)).returncode == 0
    unit = root / "etc" / "systemd" / "system" / "gate-terminal.service"
    unit.write_text("[Service]\nExecStart=/bin/false\n")
    state = root / "var" / "lib" / "gate-terminal"
    state.chmod(0o755)
    boot = root / "boot" / "firmware" / "config.txt"
    boot.write_text(boot.read_text().replace("dtparam=i2c_arm=on", "dtparam=i2c_arm=off") + "x=1\n")
    again = provision("--root", str(root))
    assert again.returncode == 0, again.stderr
    assert unit.read_text() == (REPO / "systemd" / "gate-terminal.service").read_text()
    assert state.stat().st_mode & 0o777 == 0o750
    text = boot.read_text()
    # the block is put back as firmware/config.txt has it; the lines around it are the owner's
    assert "dtparam=i2c_arm=on" in text and "i2c_arm=off" not in text and text.endswith("x=1\n")


def test_the_installer_speaks_chinese_too(tmp_path: Path) -> None:
    done = provision("--dry-run", "--root", str(fresh_root(tmp_path)), language="zh")
    assert done.returncode == 0, done.stderr
    assert (
        "[将执行]" in done.stdout
        and "现在未启动" in done.stdout
        and "doctor --config" in done.stdout
    )


def test_make_install_service_provisions_and_says_the_service_waits_for_doctor() -> None:
    import shutil

    if shutil.which("make") is None:
        pytest.skip("make is not on this machine")
    plan = subprocess.run(
        ["make", "-n", "install-service"], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert plan.returncode == 0, plan.stderr
    assert "firmware/provision.py" in plan.stdout
    # no dev setup (broker, browser, database, test tools) and no start on the example config
    for absent in ("[dev]", "apt-get", "mosquitto", "chromium", "postgresql", "enable --now"):
        assert absent not in plan.stdout, absent
    assert "systemctl start" not in plan.stdout
