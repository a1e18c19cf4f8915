"""The files that go onto the Pi agree with the application."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from terminal.cli.main import build_parser
from terminal.config import load
from tests.conftest import example_gate_config

REPO = Path(__file__).resolve().parent.parent


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(REPO / "systemd" / "gate-terminal.service")
    return parser


def test_service_starts_the_console_command_with_a_config_it_can_parse(tmp_path: Path) -> None:
    service = unit()["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/.venv/bin/gate-terminal")
    assert command[1:3] == ["run", "--config"] and command[3].endswith(".toml")
    # the same arguments, with a config file that exists here
    parsed = build_parser().parse_args([*command[1:3], str(REPO / "config" / "gate.example.toml")])
    assert parsed.command == "run"
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    # the record's folder is the only place it may write, and the example config puts it there
    example = load(example_gate_config(tmp_path))
    assert str(example.record.path).startswith(service["ReadWritePaths"])
    assert set(service["SupplementaryGroups"].split()) >= {"gpio", "i2c", "video"}


def test_firmware_enables_the_thermometer_bus_at_an_mlx90614_speed(tmp_path: Path) -> None:
    settings = dict(
        line.split("=", 1)[1].split("=", 1)
        for line in (REPO / "firmware" / "config.txt").read_text().splitlines()
        if line.startswith("dtparam=")
    )
    assert settings["i2c_arm"] == "on"
    assert 10_000 <= int(settings["i2c_arm_baudrate"]) <= 100_000  # SMBus range of the chip
    assert load(example_gate_config(tmp_path)).thermometer.i2c_bus == 1  # i2c_arm


def test_firmware_holds_every_output_inactive_from_power_on(tmp_path: Path) -> None:
    lines = (REPO / "firmware" / "config.txt").read_text().splitlines()
    (held,) = [line.split("=", 1)[1] for line in lines if line.startswith("gpio=")]
    pins, mode = held.split("=")
    outputs = load(example_gate_config(tmp_path)).outputs
    assert {int(p) for p in pins.split(",")} == {
        outputs.relay_pin,
        outputs.green_lamp_pin,
        outputs.red_lamp_pin,
        outputs.buzzer_pin,
    }
    # output, driven to the inactive level of the example's active-high relay and lamps
    assert mode == "op,dl" and outputs.relay_active_high and outputs.lamps_active_high
    assert outputs.buzzer_active_high


def test_provisioning_makes_the_roster_folder_the_example_config_looks_in_and_leaves_it_empty(
    tmp_path: Path,
) -> None:
    # the example's workers never enter a live roster: the park's is imported
    provision = (REPO / "firmware" / "provision.py").read_text()
    assert "workers.example.csv" not in provision and "visitors.example.csv" not in provision
    assert "workers.example.csv" not in (REPO / "Makefile").read_text()
    example = load(example_gate_config(tmp_path))
    for configured in (example.roster.workers, example.roster.visitors):
        assert configured is not None
        assert str(Path(configured).parent) == "/var/lib/gate-terminal/roster"
    assert 'STATE_DIR / "roster"' in provision


def test_the_kiosk_opens_the_page_the_example_gate_serves(tmp_path: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(REPO / "systemd" / "gate-display.service")
    service = parser["Service"]
    display = load(example_gate_config(tmp_path)).display
    page = f"http://{display.host}:{display.port}/"
    command = shlex.split(service["ExecStart"])
    assert command[0] == "/usr/bin/chromium" and "--kiosk" in command
    assert command[-1] == page and display.enabled
    assert f"{page}screen" in service["ExecStartPre"]  # it waits for the gate's page
    assert "install-display" in (REPO / "Makefile").read_text()


def test_the_roster_lives_where_the_service_may_write_a_pushed_one(tmp_path: Path) -> None:
    # under ProtectSystem=strict the service writes only its ReadWritePaths: a roster pushed by
    # the centre is installed next to the configured one, so that folder must be among them
    writable = unit()["Service"]["ReadWritePaths"].split()
    roster = load(example_gate_config(tmp_path)).roster
    for path in (roster.workers, roster.visitors):
        assert path is not None
        assert any(str(path).startswith(folder + "/") for folder in writable), path


def test_the_centres_unit_runs_the_example_centre_where_it_may_write(tmp_path: Path) -> None:
    from terminal.centre.config import parse_centre
    from terminal.centre.database import sqlite_path

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(REPO / "systemd" / "gate-centre.service")
    service = parser["Service"]
    command = shlex.split(service["ExecStart"])
    parsed = build_parser().parse_args(
        [*command[1:3], str(REPO / "config" / "centre.example.toml")]
    )
    assert parsed.command == "centre" and not parsed.collector_only
    assert service["Restart"] == "always" and service["KillSignal"] == "SIGTERM"
    # the example's SQLite database lies where the unit lets the centre write
    import tomllib

    data = tomllib.loads((REPO / "config" / "centre.example.toml").read_text(encoding="utf-8"))
    data["park"], data["mqtt"]["host"] = "north-park", "broker.park.internal"
    data.pop("commands")  # its key file is made at installation
    config = parse_centre(data, Path("/etc/gate-terminal/centre.toml"))
    database = sqlite_path(config.database_url())
    assert database is not None
    assert str(database).startswith(service["ReadWritePaths"] + "/")
