"""A gate that serves both directions: the way in and the way out of one passage, each with its
own camera, relay channel and passage contact on the simulated entrance (the real drivers on the
GPIO twin), one real SQLite record between them; its configuration; and the Pi's device factory
building the way out on a GPIO twin standing in for RPi.GPIO."""

from __future__ import annotations

import sys
import threading
import time
import types
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from simulator.gpio import FakeGPIO
from simulator.mlx90614 import FakeSMBus
from terminal.app.devices import build_pi_devices
from terminal.app.service import run_service
from terminal.cli.hardware import device_factory
from terminal.codes.healthcode import public_key_text
from terminal.config import ConfigError, load
from terminal.gate.sides import entry_config, exit_config
from terminal.record.store import Record
from tests.conftest import (
    PARK_ISSUER_KEY,
    example_gate_config,
    example_gate_config_text,
    make_config,
)
from tests.support.both_ways import (
    EXIT_BUTTON_PIN,
    EXIT_PASSAGE_PIN,
    EXIT_RELAY_PIN,
    EXIT_SIDE,
    Terminal,
    both_config,
    leaving,
)
from tests.support.gate_inputs import ALARM_PIN, PASSAGE_PIN, passage
from tests.support.people import person
from tests.support.roster_gates import WORKERS_HEADER, count_checks


def test_in_at_one_side_out_at_the_other_one_record(tmp_path: Path) -> None:
    """P1 comes in, tries again without leaving (anti-passback), leaves by the way out, and comes
    back in: each side decides on what the other wrote."""
    config = both_config(tmp_path)
    crowd = [person("P1", 0), person("P1", 20), leaving("P1", 40), person("P1", 80)]
    terminal = Terminal(config, crowd)
    terminal.run()

    assert terminal.checks() == [
        ("P1", "admitted", "entry"),
        ("P1", "anti_passback", "entry"),
        ("P1", "admitted", "exit"),
        ("P1", "admitted", "entry"),
    ]
    first, refused, out, back = terminal.record.checks()
    assert refused["passback_of"] == first["event_id"]
    assert out["temperature_c"] is None  # nobody is screened on the way out
    passages = terminal.record.passages()
    assert [(p["direction"], p["outcome"]) for p in passages] == [
        ("entry", "passed"),
        ("exit", "passed"),
        ("entry", "passed"),
    ]
    assert [n for _, n in terminal.record.occupancy_over_time("hall")] == [1, 0, 1]
    # each side moved its own relay channel only: the way in for the two entries, the way out
    # for the exit, each held from its decision until the passage contact saw the person through
    entry_spans = terminal.held(config.outputs.relay_pin)
    exit_spans = terminal.held(EXIT_RELAY_PIN)
    assert len(entry_spans) == 2 and len(exit_spans) == 1
    (exit_from, exit_for) = exit_spans[0]
    assert out["epoch_s"] <= exit_from and exit_from + exit_for <= back["epoch_s"]
    assert all(not (exit_from <= start <= exit_from + exit_for) for start, _ in entry_spans)
    assert passages[1]["passed_s"] == pytest.approx(exit_from + exit_for, abs=0.2)
    # the people did what the pins told them
    assert terminal.outcomes() == (["passed", "turned_away", "passed"], ["passed"])


def test_the_way_out_lets_out_only_someone_inside(tmp_path: Path) -> None:
    config = both_config(tmp_path)
    crowd = [leaving("P9", 0), person("P1", 10), leaving("P1", 30), leaving("P1", 60)]
    terminal = Terminal(config, crowd)
    terminal.run()
    # P9 never came in; P1's code a second time after P1 left lets nobody out
    assert terminal.checks() == [
        ("P9", "not_inside", "exit"),
        ("P1", "admitted", "entry"),
        ("P1", "admitted", "exit"),
        ("P1", "not_inside", "exit"),
    ]
    _, _, first_exit, second = terminal.record.checks()
    assert second["passback_of"] == first_exit["event_id"]
    assert len(terminal.held(EXIT_RELAY_PIN)) == 1  # opened for the one exit it counted
    assert [n for _, n in terminal.record.occupancy_over_time("hall")] == [1, 0]
    # the way out has no lamp: the lamps stay the way in's (the entry's one green answer)
    assert terminal.held(config.outputs.red_lamp_pin) == []
    assert len(terminal.held(config.outputs.green_lamp_pin)) == 1
    # refused, they saw the turnstile stay shut and went to a guard
    assert terminal.outcomes()[1] == ["no_decision", "passed", "no_decision"]


def test_the_fire_alarm_frees_both_ways(tmp_path: Path) -> None:
    config = both_config(tmp_path, inputs={"fire_alarm": {"pin": ALARM_PIN}})
    terminal = Terminal(config, [person("P1", 0), leaving("P1", 100)])
    start = terminal.rig.world.start
    terminal.rig.world.sound_fire_alarm(start + 30, start + 60)
    terminal.run()
    for pin in (config.outputs.relay_pin, EXIT_RELAY_PIN):
        freed = [(s, n) for s, n in terminal.held(pin) if n > 20]
        assert len(freed) == 1, pin
        assert freed[0][0] == pytest.approx(start + 30, abs=0.5)
        assert freed[0][0] + freed[0][1] == pytest.approx(start + 60, abs=0.5)
    # screening resumed after it: P1 leaves by the way out as usual
    assert terminal.checks() == [("P1", "admitted", "entry"), ("P1", "admitted", "exit")]


def test_the_way_outs_staff_button_lets_one_out(tmp_path: Path) -> None:
    reason = "guard lets out a visitor whose code the gate does not believe"
    side = {**EXIT_SIDE, "staff_button": {"pin": EXIT_BUTTON_PIN, "reason": reason}}
    config = both_config(tmp_path, exit_side=side)
    terminal = Terminal(config, [leaving("V", 0, "forged")])
    gpio = terminal.rig.gpio
    pressed_at = terminal.rig.world.start + 12
    gpio.pulse_input(EXIT_BUTTON_PIN, 0, pressed_at, 0.3)
    terminal.run()
    assert terminal.checks() == [(None, "code_bad_signature", "exit")]
    (override,) = terminal.record.rows("overrides")
    assert override["reason"] == reason and override["source"] == "staff_button"
    (span,) = terminal.held(EXIT_RELAY_PIN)
    assert span[0] >= pressed_at
    assert terminal.held(config.outputs.relay_pin) == []
    (opened,) = terminal.record.passages()
    assert opened["direction"] == "exit" and opened["outcome"] == "passed"
    assert terminal.outcomes() == ([], ["passed"])  # let out by the guard


@pytest.mark.slow  # a whole shift
def test_the_service_runs_both_ways(tmp_path: Path, broker: PrivateBroker) -> None:
    """``run`` on a config that serves both ways, on simulated hardware in real time: the way
    in checks the roster's people while the way out watches its own camera; it stops cleanly."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    window = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    config = both_config(
        tmp_path,
        mqtt={"port": broker.port},
        shifts={"groups": {"day": {"windows": [window]}}},
        simulator={"workers": 2, "arrival_window_s": 3.0},
    )
    tested = f"{now - timedelta(hours=2):%Y-%m-%d %H:%M}"
    (tmp_path / "workers.csv").write_text(
        WORKERS_HEADER + "".join(f"{i},Name,Dept,day,{tested},negative\n" for i in ("P1", "P2")),
        encoding="utf-8",
    )
    stop = threading.Event()
    returned: list[int] = []
    service = threading.Thread(
        target=lambda: returned.append(run_service(config, stop, device_factory(config)))
    )
    service.start()
    record_path = config.resolved(config.record.path)
    try:
        deadline = time.monotonic() + 60
        while len(count_checks(record_path)) < 2:
            assert time.monotonic() < deadline and service.is_alive()
            time.sleep(0.05)
    finally:
        stop.set()
        service.join(timeout=30)
    assert returned == [0]
    record = Record(record_path)
    assert [c["direction"] for c in record.checks()] == ["entry", "entry"]
    record.close()


def test_the_way_outs_camera_failing_is_a_fault_not_the_way_ins(tmp_path: Path) -> None:
    """The worker's display and the status's camera go by the way in's camera: people coming in
    are not told the camera failed when the one facing the people leaving did."""
    terminal = Terminal(both_config(tmp_path), [person("P1", 0), leaving("P1", 30)])
    exit_capture = terminal.rig.exit_capture
    assert exit_capture is not None
    exit_capture.released = True  # unplugged
    for _ in range(5):
        terminal.gate.poll()
    assert terminal.state.camera_ok and "camera_fault" in terminal.state.faults
    exit_capture.released = False  # plugged in again
    terminal.run()
    assert terminal.state.camera_ok and "camera_fault" not in terminal.state.faults
    assert terminal.checks() == [("P1", "admitted", "entry"), ("P1", "admitted", "exit")]


# --- configuration ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"exit_side": None}, r'exit_side: required with gate\.direction = "both"'),
        (
            {"exit_side": {"relay": {"pin": 27}}},
            r"exit_side\.relay\.pin: 27 is outputs\.green_lamp_pin already",
        ),
        (
            {"exit_side": {"passage": {"pin": PASSAGE_PIN}}},
            rf"exit_side\.passage\.pin: {PASSAGE_PIN} is inputs\.passage\.pin already",
        ),
        (
            {"exit_side": {"passage": {"pin": EXIT_RELAY_PIN}}},
            rf"exit_side\.passage\.pin: {EXIT_RELAY_PIN} is exit_side\.relay\.pin already",
        ),
        (
            {"exit_side": {"passage": {"pin": 2}}},
            r"exit_side\.passage\.pin: 2 is the thermometer's I2C bus \(SDA\) already",
        ),
        (
            {"exit_side": {"camera": {"device": 0}}},
            r"exit_side\.camera\.device: 0 is the entry side's camera \(camera\.device\)",
        ),
        ({"gate": {"direction": "exit"}}, r'exit_side: only for gate\.direction = "both"'),
        ({"exit_side": {"relay": {"pin": 24, "pulse_s": 0}}}, r"exit_side\.relay\.pulse_s"),
    ],
)
def test_a_bad_exit_side_is_one_line_naming_the_key(
    tmp_path: Path, sections: dict, message: str
) -> None:
    data: dict = {
        "gate": {"direction": "both"},
        "inputs": {"passage": passage()},
        "exit_side": {"camera": {"device": 1}, "relay": {"pin": EXIT_RELAY_PIN}},
    }
    for name, values in sections.items():
        data[name] = None if values is None else {**data[name], **values}
    given = {name: values for name, values in data.items() if values is not None}
    with pytest.raises(ConfigError, match=message) as raised:
        make_config(tmp_path, **given)
    assert "\n" not in str(raised.value) and str(raised.value).startswith(str(tmp_path))


# --- the Pi's device factory --------------------------------------------------------------------
class Capture:
    """cv2.VideoCapture's part the factory uses, for a camera that is plugged in."""

    opened: ClassVar[list[int | str]] = []

    def __init__(self, device: int | str, api: int = 0) -> None:
        self.device = device
        Capture.opened.append(device)
        self.released = False

    def isOpened(self) -> bool:
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def read(self) -> tuple[bool, None]:
        return False, None

    def release(self) -> None:
        self.released = True


def test_the_pi_factory_builds_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    park_issuer = {
        "key_id": "park-2026",
        "public_key": public_key_text(PARK_ISSUER_KEY.public_key()),
    }
    config = both_config(
        tmp_path,
        gate={"hardware": "pi"},
        healthcode={"issuers": [park_issuer]},
        mqtt={"tls": True},
    )
    gpio = FakeGPIO(lambda: 0.0)
    rpi = types.ModuleType("RPi")
    rpi.GPIO = gpio  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "RPi", rpi)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", gpio)  # type: ignore[arg-type]
    import cv2
    import smbus2

    monkeypatch.setattr(cv2, "VideoCapture", Capture)
    monkeypatch.setattr(smbus2, "SMBus", lambda bus: FakeSMBus())
    monkeypatch.setattr(Capture, "opened", [])
    devices = build_pi_devices(config, gpio)
    side = devices.exit_side
    assert side is not None
    assert Capture.opened == [0, 1]  # the way in's camera and the way out's
    assert side.relay.pin == EXIT_RELAY_PIN and side.inputs.passage is not None
    assert side.inputs.passage.pin == EXIT_PASSAGE_PIN and side.inputs.fire_alarm is None
    # the way out's relay channel idles shut, and pulses on its own pin only
    assert gpio.directions[EXIT_RELAY_PIN] == gpio.OUT and gpio.levels[EXIT_RELAY_PIN] == 0
    assert gpio.directions[EXIT_PASSAGE_PIN] == gpio.IN
    assert gpio.pulls[EXIT_PASSAGE_PIN] == gpio.PUD_UP
    side.relay.set(True)
    side.relay.set(False)
    assert [c.pin for c in gpio.changes if c.level == 1 and c.pin in (17, EXIT_RELAY_PIN)] == [
        EXIT_RELAY_PIN
    ]
    devices.close()
    source = getattr(side.camera.capture, "source", None)  # under the grey frames
    assert isinstance(source, Capture) and source.released


def example_both_ways(tmp_path: Path) -> Path:
    """The example config as an installer makes it serve both ways: the commented [exit_side]."""
    text = example_gate_config_text().replace('direction = "entry"', 'direction = "both"', 1)
    lines = text.splitlines()
    start = lines.index("# [exit_side.camera]")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("#"))
    block = [line.removeprefix("# ") for line in lines[start:end]]
    return example_gate_config(tmp_path, "\n".join([*lines[:start], *block, *lines[end:]]))


def test_the_examples_exit_side_is_a_valid_config(tmp_path: Path) -> None:
    config = load(example_both_ways(tmp_path))
    assert config.gate.direction == "both" and config.exit_side is not None
    camera = config.exit_side.camera
    assert (
        str(camera.device).startswith("/dev/v4l/by-id/") and camera.device != config.camera.device
    )
    assert config.exit_side.relay.pin == EXIT_RELAY_PIN
    assert config.exit_side.passage is not None and config.exit_side.staff_button is not None


def test_a_vehicle_gate_enters_vehicles_on_the_way_in_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"vehicles\.enabled: .*exit gate"):
        make_config(tmp_path, gate={"direction": "exit"}, vehicles={"enabled": True})
    config = both_config(tmp_path, vehicles={"enabled": True})
    assert exit_config(config).vehicles.enabled is False
    assert entry_config(config).vehicles.enabled is True
