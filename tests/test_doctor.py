"""``gate-terminal doctor``: each fault a gate can have, injected into the simulator's twins or
its surroundings, fails the one row that names it, with its fix, and the exit code says so; a
gate without faults passes every row. The broker is the park's (config/mosquitto/) with TLS,
passwords and its ACL, and doctor must not disturb the gate's own connection or session."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.clock import SimClock
from simulator.faulty import Faults, FaultyDevices
from terminal.cli import hardware
from terminal.cli.main import main
from terminal.doctor import CHECKS, passed
from terminal.doctor import broker as doctor_broker
from terminal.doctor import devices as doctor_devices
from terminal.doctor import system as doctor_system
from terminal.doctor.text import say
from terminal.record.store import Record
from tests.conftest import REPO, SIMULATOR_ISSUER, example_gate_config
from tests.support.cli import gate_terminal
from tests.support.parkbroker import SHIPPED, USERS, ParkBroker
from tests.support.waiting import wait_for

GATE = "example-park/north-1"
PASSWORD = USERS[GATE]
# a code held up to the camera: its text is a person's, and never printed
CODE_TEXT = "HC2|sim|W0001|green|0|1|a-code-doctor-must-not-print"


@pytest.fixture(scope="module")
def park_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParkBroker]:
    broker = ParkBroker(tmp_path_factory.mktemp("doctor-broker")).start()
    try:
        yield broker
    finally:
        broker.stop()


def gate_toml(
    folder: Path, broker: ParkBroker | None = None, *, language: str = "en", **lines: str
) -> Path:
    """A simulated gate's config, wired as a real one: TLS to the park's broker with the gate's
    login, a passage contact and a fire alarm."""
    if broker is None:  # a broker that is not under test
        credentials = folder / "gate.credentials.toml"
        credentials.write_text(f'username = "{GATE}"\npassword = "{PASSWORD}"\n')
        credentials.chmod(0o600)
    values = {
        "host": broker.host if broker else "127.0.0.1",
        "port": str(broker.port if broker else 8883),
        "ca": str(broker.ca if broker else REPO / "config" / "mosquitto" / "acl"),
        "credentials": str(broker.credentials_file(GATE) if broker else credentials),
        "record": str(folder / "record.sqlite"),
        **lines,
    }
    path = folder / "gate.toml"
    path.write_text(
        f"""
[gate]
park = "example-park"
id = "north-1"
hardware = "simulated"
[record]
path = "{values["record"]}"
[mqtt]
host = "{values["host"]}"
port = {values["port"]}
tls = true
ca_file = "{values["ca"]}"
credentials_file = "{values["credentials"]}"
[[healthcode.issuers]]
key_id = "{SIMULATOR_ISSUER["key_id"]}"
public_key = "{SIMULATOR_ISSUER["public_key"]}"
[roster]
workers = "{REPO / "config" / "workers.example.csv"}"
[shifts.groups]
day = {{ windows = ["*"] }}
late = {{ windows = ["*"] }}
night = {{ windows = ["*"] }}
all-day = {{ windows = ["*"] }}
[display]
language = "{language}"
[inputs.passage]
pin = 5
active_high = false
pull = "up"
[inputs.fire_alarm]
pin = 6
active_high = true
pull = "up"
""",
        encoding="utf-8",
    )
    return path


@dataclass
class Bench:
    """Doctor's device factory: the simulator's twins at rest, with the faults a test sets."""

    faults: Faults = field(default_factory=lambda: Faults(code=CODE_TEXT))
    made: list[FaultyDevices] = field(default_factory=list)

    def factory(self, _config: Any) -> FaultyDevices:
        self.made.append(FaultyDevices(self.faults))
        return self.made[-1]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Bench:
    bench = Bench()
    monkeypatch.setattr(hardware, "factory_for_tests", bench.factory)
    monkeypatch.setattr(doctor_system, "gate_running", lambda: False)
    return bench


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker is not what these tests are about: its row is left out (a pass)."""
    row = passed("broker", say("config.bad", error="not under test"))
    monkeypatch.setattr(doctor_broker, "broker_row", lambda _config, _running: row)


def doctor(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = main(["doctor", "--config", str(config), *args])
    return code, capsys.readouterr().out


def rows(output: str) -> dict[str, list[str]]:
    """Each check's row(s) as printed: its status and detail."""
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        name, _, rest = line.partition(" ")
        if name in CHECKS:
            found.setdefault(name, []).append(rest.strip())
    return found


def failing(output: str) -> list[str]:
    return [
        name for name, lines in rows(output).items() if any(x.startswith("FAIL") for x in lines)
    ]


@pytest.mark.slow  # the park's broker, in a process
def test_a_gate_without_faults_passes_every_check(
    tmp_path: Path, park_broker: ParkBroker, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys, gate_toml(tmp_path, park_broker))
    assert code == 0, out
    found = rows(out)
    assert list(found) == list(CHECKS)
    assert all(line.startswith("pass") for lines in found.values() for line in lines), out
    assert "a QR code read" in found["camera"][0]
    assert "not actuated" in found["relay"][0]
    assert "passage (pin 5): at rest; fire_alarm (pin 6): at rest" in found["inputs"][0]
    assert "refuses another gate's" in found["broker"][0]
    assert "All 11 checks passed." in out
    # what doctor prints is no one's code and no password
    assert CODE_TEXT not in out and "a-code-doctor" not in out
    assert PASSWORD not in out


FAULTS = [
    pytest.param(Faults(thermometer="nack"), "thermometer", "no answer", id="thermometer-nack"),
    pytest.param(Faults(thermometer="bad_pec"), "thermometer", "PEC mismatch", id="bad-pec"),
    pytest.param(Faults(thermometer="stuck"), "thermometer", "does not move", id="stuck"),
    pytest.param(Faults(thermometer="error_flag"), "thermometer", "error flag", id="error-flag"),
    pytest.param(Faults(no_distance=True), "distance", "no device acknowledges", id="distance"),
    pytest.param(Faults(camera=True), "camera", "no frame", id="camera"),
    pytest.param(Faults(unsynced_clock=True), "clock", "not synchronised", id="clock"),
    pytest.param(Faults(fire_alarm_cut=True), "inputs", "reads the alarm", id="fire-alarm-cut"),
]


@pytest.mark.parametrize(("injected", "check", "said"), FAULTS)
def test_each_device_fault_fails_its_own_row_with_its_fix(
    tmp_path: Path,
    no_broker: None,
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
    injected: Faults,
    check: str,
    said: str,
) -> None:
    bench.faults = injected
    code, out = doctor(capsys, gate_toml(tmp_path))
    assert code == 1
    assert failing(out) == [check], out
    row = next(line for line in rows(out)[check] if line.startswith("FAIL"))
    assert said in row
    fix = out.splitlines()[
        out.splitlines().index(next(x for x in out.splitlines() if row in x)) + 1
    ]
    assert fix.strip().startswith("fix: ")
    assert "1 of 11 checks failed" in out


def test_a_hung_camera_fails_its_row_and_doctor_goes_on(
    tmp_path: Path,
    bench: Bench,
    no_broker: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(doctor_devices, "CAMERA_TIMEOUT_S", 0.3)
    bench.faults = Faults(camera_hangs=True)
    code, out = doctor(capsys, gate_toml(tmp_path))
    assert code == 1 and failing(out) == ["camera"], out
    assert "no frame: no answer in time: the read hangs" in rows(out)["camera"][0]


@pytest.mark.skipif(Path("/dev/i2c-1").exists(), reason="this machine has an I2C bus")
def test_off_a_pi_the_pis_factory_fails_the_bus_and_says_what_was_not_checked(
    tmp_path: Path, no_broker: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """gate.hardware = "pi" where there is no Pi: rows, not a traceback."""
    config = example_gate_config(tmp_path)
    code, out = doctor(capsys, config, "--language", "en")
    assert code == 1
    found = rows(out)
    assert found["i2c"][0].startswith("FAIL") and "/dev/i2c-1 does not open" in found["i2c"][0]
    assert "enable I2C (dtparam=i2c_arm=on" in out
    for name in ("thermometer", "distance", "camera", "relay", "inputs"):
        assert found[name][0].startswith("not checked"), out


def test_a_full_disk_fails_the_disk_row(
    tmp_path: Path,
    no_broker: None,
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a stand-in for the disk the record is on, 12 MB free of 16 GB
    monkeypatch.setattr(
        doctor_system,
        "disk_usage",
        lambda _p: shutil._ntuple_diskusage(16 << 30, 16 << 30, 12 << 20),
    )
    code, out = doctor(capsys, gate_toml(tmp_path))
    assert code == 1 and failing(out) == ["disk"], out
    assert "12 MB free" in rows(out)["disk"][0]


def corrupt(path: Path) -> None:
    """A record with pages overwritten in the middle, as a power cut on a bad card leaves it."""
    record = Record(path)
    record.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page + 100 : 3 * page] = b"\xa5" * (2 * page - 100)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["pages", "not-a-database", "newer"])
def test_a_damaged_record_fails_the_record_row(
    tmp_path: Path,
    no_broker: None,
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
    damage: str,
) -> None:
    path = tmp_path / "record.sqlite"
    if damage == "pages":
        corrupt(path)
    elif damage == "not-a-database":
        path.write_bytes(b"\x00garbage" * 1000)
    else:
        Record(path).close()
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("PRAGMA user_version = 99")
        db.close()
    code, out = doctor(capsys, gate_toml(tmp_path))
    assert code == 1 and failing(out) == ["record"], out
    assert {"newer": "newer than this software's"}.get(damage, str(path)) in rows(out)["record"][0]


def test_a_record_that_is_sound_passes_with_its_schema(
    tmp_path: Path, no_broker: None, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    Record(tmp_path / "record.sqlite").close()
    code, out = doctor(capsys, gate_toml(tmp_path))
    assert code == 0, out
    assert "integrity ok, schema" in rows(out)["record"][0]


def test_the_examples_placeholders_fail_the_config_and_nothing_else_is_tried(
    tmp_path: Path, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    example = tmp_path / "gate.toml"
    example.write_text((REPO / "config" / "gate.example.toml").read_text(), encoding="utf-8")
    code, out = doctor(capsys, example)
    assert code == 1
    assert failing(out) == ["config"]
    assert "still the example's placeholder" in rows(out)["config"][0]
    assert all(rows(out)[name][0].startswith("not checked") for name in CHECKS[1:])


def test_a_config_without_its_roster_says_how_to_install_one(
    tmp_path: Path, bench: Bench, no_broker: None, capsys: pytest.CaptureFixture[str]
) -> None:
    text = example_gate_config_text_without_roster(tmp_path)
    code, out = doctor(capsys, text, "--language", "en")
    assert code == 1 and failing(out)[0] == "config", out
    assert "gate-terminal roster import FILE --config" in out


def example_gate_config_text_without_roster(folder: Path) -> Path:
    """The example filled in, on a simulated gate, whose roster folder is empty."""
    path = example_gate_config(folder)
    text = path.read_text().replace('hardware = "pi"', 'hardware = "simulated"')
    text = text.replace("/var/lib/gate-terminal/roster", str(folder / "roster"))
    path.write_text(text.replace("tls = true", "tls = false"), encoding="utf-8")
    return path


# --- the broker -------------------------------------------------------------------------------
@pytest.mark.slow  # the park's broker, in a process
def test_a_wrong_password_fails_the_login(
    tmp_path: Path, park_broker: ParkBroker, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(f'username = "{GATE}"\npassword = "not-the-password-9f3k"\n')
    wrong.chmod(0o600)
    code, out = doctor(capsys, gate_toml(tmp_path, park_broker, credentials=str(wrong)))
    assert code == 1 and failing(out) == ["broker"], out
    assert "login refused" in rows(out)["broker"][0]
    assert "not-the-password-9f3k" not in out


@pytest.mark.slow  # the park's broker, in a process
def test_nothing_listening_fails_the_broker_with_what_to_check(
    tmp_path: Path, park_broker: ParkBroker, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    from simulator.broker import free_port

    code, out = doctor(capsys, gate_toml(tmp_path, park_broker, port=str(free_port())))
    assert code == 1 and failing(out) == ["broker"], out
    assert "connection refused" in rows(out)["broker"][0]
    assert "check mqtt.port" in out


@pytest.fixture(scope="module")
def acl_without_gates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParkBroker]:
    """A park's broker whose ACL lost the gates' pattern lines: it refuses every gate's publish."""
    folder = tmp_path_factory.mktemp("acl-broker")
    acl = folder / "acl"
    shipped = (SHIPPED / "acl").read_text(encoding="utf-8")
    acl.write_text("\n".join(x for x in shipped.splitlines() if not x.startswith("pattern ")))
    broker = ParkBroker(folder)
    broker.conf.write_text(broker.conf.read_text().replace(str(SHIPPED / "acl"), str(acl)))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.mark.slow  # the park's broker, in a process
def test_an_acl_that_refuses_the_gate_is_told_by_the_mqtt5_reason_code(
    tmp_path: Path,
    acl_without_gates: ParkBroker,
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = doctor(capsys, gate_toml(tmp_path, acl_without_gates))
    assert code == 1 and failing(out) == ["broker"], out
    row = rows(out)["broker"][0]
    assert "publish on gate/v1/example-park/north-1/event/doctor refused: Not authorized" in row
    assert "pattern lines of config/mosquitto/acl" in out


class Gate:
    """The gate's own MQTT client, as the publisher makes it: 3.1.1, its username as client id,
    a session kept across connections, its commands subscribed."""

    def __init__(self, broker: ParkBroker) -> None:
        self.broker = broker
        self.received: list[bytes] = []
        self.connected = threading.Event()
        self.disconnects = 0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=GATE, protocol=mqtt.MQTTv311, clean_session=False
        )
        self.client.tls_set(ca_certs=str(broker.ca))
        self.client.username_pw_set(GATE, PASSWORD)
        self.client.on_connect = lambda *a: self.connected.set()
        self.client.on_disconnect = self._gone
        self.client.on_message = lambda _c, _u, m: self.received.append(bytes(m.payload))

    def _gone(self, *args: Any) -> None:
        self.disconnects += 1

    def connect(self) -> Gate:
        self.connected.clear()
        self.client.connect(self.broker.host, self.broker.port)
        self.client.loop_start()
        assert self.connected.wait(10)
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def centre(broker: ParkBroker, seen: list[str]) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="centre-test")
    client.tls_set(ca_certs=str(broker.ca))
    client.username_pw_set("centre", USERS["centre"])
    ready = threading.Event()
    client.on_connect = lambda *a: ready.set()
    client.on_message = lambda _c, _u, m: seen.append(m.topic)
    client.connect(broker.host, broker.port)
    client.loop_start()
    assert ready.wait(10)
    client.subscribe("gate/v1/#", qos=1)
    return client


@pytest.mark.slow  # the park's broker, in a process
def test_doctor_keeps_a_stopped_gates_session_and_its_queued_commands(
    tmp_path: Path, park_broker: ParkBroker, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    """The broker takes the username as the client id: doctor's login is the gate's session.
    A command queued while the gate was stopped is still there for it after doctor; no status
    appears, nothing but doctor's own probe."""
    gate = Gate(park_broker).connect()
    gate.client.subscribe("gate/v1/example-park/north-1/cmd/+", qos=1)
    wait_for(lambda: False, 0.3)
    gate.stop()
    seen: list[str] = []
    desk = centre(park_broker, seen)
    try:
        desk.publish(
            "gate/v1/example-park/north-1/cmd/open_once", b"queued", qos=1
        ).wait_for_publish(5)
        code, out = doctor(capsys, gate_toml(tmp_path, park_broker))
        assert code == 0, out
        gate.connect()
        assert wait_for(lambda: b"queued" in gate.received), "doctor took the gate's command"
        wait_for(lambda: "gate/v1/example-park/north-1/event/doctor" in seen)
        assert not any(topic.endswith("/status") for topic in seen), seen
        assert set(seen) <= {
            "gate/v1/example-park/north-1/event/doctor",
            "gate/v1/example-park/north-1/cmd/open_once",
        }, seen
    finally:
        gate.stop()
        desk.disconnect()
        desk.loop_stop()


@pytest.mark.slow  # the park's broker, in a process
def test_doctor_does_not_log_in_beside_a_running_gate(
    tmp_path: Path,
    park_broker: ParkBroker,
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate(park_broker).connect()
    monkeypatch.setattr(doctor_system, "gate_running", lambda: True)
    monkeypatch.setattr(doctor_system, "system_clock", lambda: SimClock(time.time()))
    try:
        code, out = doctor(capsys, gate_toml(tmp_path, park_broker))
        assert code == 0, out
        assert "the gate is running, so its login and ACL were not tried" in rows(out)["broker"][0]
        assert not wait_for(lambda: gate.disconnects > 0, 1.0), "doctor knocked the gate off"
        # nor are its devices touched: not a pin set up, not a register written
        assert bench.made == []
        for name in ("i2c", "thermometer", "distance", "camera", "relay", "inputs"):
            assert rows(out)[name][0].startswith("not checked"), out
        assert "the gate is running and holds its devices" in out
        assert "5 of 11 checks passed; 6 not checked" in out
    finally:
        gate.stop()


@pytest.mark.slow  # the park's broker, in a process
def test_a_running_gates_broker_with_a_wrong_ca_still_fails(
    tmp_path: Path,
    park_broker: ParkBroker,
    bench: Bench,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(doctor_system, "gate_running", lambda: True)
    monkeypatch.setattr(doctor_system, "system_clock", lambda: SimClock(time.time()))
    other_ca = tmp_path / "other-ca.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=other", "-keyout", str(tmp_path / "k"), "-out", str(other_ca)],
        check=True, capture_output=True,
    )  # fmt: skip
    config = gate_toml(tmp_path, park_broker)
    config.write_text(config.read_text().replace(str(park_broker.ca), str(other_ca)))
    code, out = doctor(capsys, config)
    assert code == 1 and failing(out) == ["broker"], out
    assert "TLS" in rows(out)["broker"][0]


# --- the relay, the language ------------------------------------------------------------------
def test_the_relay_clicks_only_when_asked(
    tmp_path: Path, no_broker: None, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    config = gate_toml(tmp_path)
    doctor(capsys, config)
    assert bench.made[-1].gpio.pulses(17) == []
    code, out = doctor(capsys, config, "--actuate")
    assert code == 0, out
    pulses = bench.made[-1].gpio.pulses(17)
    assert len(pulses) == 1 and pulses[0][1] == pytest.approx(0.5)
    assert "pin 17 pulsed 0.5 s" in rows(out)["relay"][0]


def test_doctor_speaks_the_displays_language_or_the_one_asked_for(
    tmp_path: Path, no_broker: None, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.faults = Faults(no_distance=True)
    config = gate_toml(tmp_path, language="zh")
    code, out = doctor(capsys, config)
    assert code == 1
    assert re.search(r"^distance 测距传感器 +失败 +0x29", out, re.MULTILINE), out
    assert "处理：检查 VL53L0X 接线" in out  # noqa: RUF001
    assert "11 项检查中有 1 项失败" in out
    _, english = doctor(capsys, config, "--language", "en")
    assert "1 of 11 checks failed" in english and "失败" not in english


@pytest.mark.slow  # starts a process
def test_doctor_on_the_simulated_gate_as_the_command_line_runs_it(
    tmp_path: Path, park_broker: ParkBroker
) -> None:
    """The simulator's own factory (gate.hardware = "simulated"), no test hook: the devices of
    a simulated gate all answer."""
    config = gate_toml(tmp_path, park_broker)
    done = subprocess.run(
        [*gate_terminal(), "doctor", "--config", str(config)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    found = rows(done.stdout)
    for name in ("config", "i2c", "thermometer", "distance", "camera", "relay", "inputs"):
        assert found[name][0].startswith("pass"), done.stdout
    assert done.returncode == (1 if failing(done.stdout) else 0)


def test_a_ca_file_that_is_no_certificate_fails_the_broker_row(
    tmp_path: Path, bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(capsys, gate_toml(tmp_path))  # its ca_file is the broker's ACL file
    assert code == 1 and failing(out) == ["broker"], out
    assert "check mqtt.ca_file" in out
