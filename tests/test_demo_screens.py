"""``simulate --screens`` (what ``make demo`` runs): the shift beside the worker's display and the
centre, whose record ends up agreeing with the gate's; a flag resolved by a person at the desk
is theirs, and the simulated guard does not walk over to it as well."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker, free_port
from simulator.crowd import SimPerson
from simulator.guard import signed_resolution
from simulator.runner import run_simulation
from simulator.screens import ScreensOptions
from terminal.centre.store import CheckQuery, open_store
from terminal.config import Config
from terminal.link.topics import GateTopics
from terminal.record.store import Record

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

REPO = Path(__file__).resolve().parent.parent

# three people flagged for a fever-like reading (core temperatures the guard would find), one
# admitted at once; the first flag is resolved at the desk by a person, the others by the guard
CROWD = [
    SimPerson("D1", arrival_s=0.0, core_c=38.6, ambient_c=24.0, code="green"),
    SimPerson("D2", arrival_s=8.0, core_c=36.8, ambient_c=24.0, code="green"),
    SimPerson("D3", arrival_s=16.0, core_c=38.9, ambient_c=24.0, code="green"),
]
DESK_GUARD = "desk-person-1"


class PersonAtTheDesk(threading.Thread):
    """Hears the first secondary-check flag and resolves it as the desk does: a signed
    ``resolve_secondary`` command (a reading of 36.6, so the gate decides again)."""

    def __init__(self, broker: PrivateBroker, topics: GateTopics) -> None:
        super().__init__(daemon=True)
        self.topics = topics
        self.flag_id: str | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="desk-person")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(topics.alert("secondary_check"), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if self.flag_id is not None:
            return
        alert = json.loads(message.payload)
        self.flag_id = alert["data"]["check_event_id"]
        command = signed_resolution(
            self.topics,
            self.flag_id,
            result="normal",
            clinical_c=36.6,
            guard=DESK_GUARD,
            issued_by="desk-person",
            now_s=time.time(),
        )
        client.publish(self.topics.command("resolve_secondary"), json.dumps(command), qos=1)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.mark.soak  # the demo's shift in a browser: make soak
def test_the_shift_beside_the_screens(
    config: Config, broker: PrivateBroker, tmp_path: Path
) -> None:
    display_port = free_port()
    config = config.model_copy(
        update={"display": config.display.model_copy(update={"port": display_port})}
    )
    topics = GateTopics(config.gate.park, config.gate.id)
    desk = PersonAtTheDesk(broker, topics)
    centre_db = tmp_path / "centre.sqlite"
    pages: dict[str, int] = {}

    def look_at_the_display() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "display" not in pages:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{display_port}/", timeout=2) as r:
                    pages["display"] = r.status
            except OSError:
                time.sleep(0.1)

    looker = threading.Thread(target=look_at_the_display, daemon=True)
    looker.start()
    try:
        shift = run_simulation(
            config,
            people=CROWD,
            broker=(broker.host, broker.port),
            record_path=tmp_path / "shift.sqlite",
            screens=ScreensOptions(centre_port=0, centre_database=centre_db, desk_first_s=10.0),
        )
    finally:
        desk.stop()
    looker.join(5)
    assert pages.get("display") == 200  # the worker's display was up during the shift
    assert shift.summary.problems == []
    assert desk.flag_id is not None

    record = Record(tmp_path / "shift.sqlite")
    steps = record.rows("secondary_steps")
    by_flag: dict[str, list[tuple[str, str]]] = {}
    for step in steps:
        by_flag.setdefault(step["flag_id"], []).append((step["step"], step["by"]))
    # the desk's reading decided the first flag; nobody else measured that person
    assert ("clinical_reading", DESK_GUARD) in by_flag[desk.flag_id]
    assert ("clinical_reading", "guard-sim-1") not in by_flag[desk.flag_id]
    others = [flag for flag in by_flag if flag != desk.flag_id]
    assert others and all(("clinical_reading", "guard-sim-1") in by_flag[f] for f in others)

    # the centre's record, read after the shift from its own database, agrees with the gate's
    store = open_store(f"sqlite:///{centre_db}")
    try:
        centre_checks = {c.event_id: c for c in store.checks(CheckQuery())}
        gate_checks = {c["event_id"]: c for c in record.checks()}
        assert set(centre_checks) == set(gate_checks)
        for event_id, check in gate_checks.items():
            assert centre_checks[event_id].reason == check["reason"]
        [desk_flag] = [f for f in store.flags() if f.flag_id == desk.flag_id]
        assert desk_flag.guard == DESK_GUARD
        assert desk_flag.state in ("admitted", "refused")
        assert [user.name for user in store.list_users()] == ["guard", "officer"]
    finally:
        store.close()


def _demo_config(tmp_path: Path, display_port: int) -> Path:
    """The demo's config with its display on a free port, each forehead judged on its own (one
    person, no flag) and the roster's files where they are."""
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace("port = 8088", f"port = {display_port}")
    text = text.replace('estimator = "relative"', 'estimator = "absolute"')
    for roster in ("workers.example.csv", "visitors.example.csv"):
        text = text.replace(f'"{roster}"', f'"{REPO / "config" / roster}"')
    config = tmp_path / "simulator.toml"
    config.write_text(text, encoding="utf-8")
    return config


def _display_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.soak  # two demo shifts in a browser: make soak
def test_the_screens_stay_up_after_the_shift_only_when_asked(tmp_path: Path) -> None:
    """Run in the background (no terminal), the demo ends by itself unless --stay is given;
    with it, the screens are still up once the summary is out, until the run is stopped."""
    display_port = free_port()
    scenario = tmp_path / "one.csv"
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,object_c\nS1,0,36.5,20.0,green,33.9\n",
        encoding="utf-8",
    )
    simulate = [
        sys.executable, "-m", "terminal.cli.main", "simulate",
        "--config", str(_demo_config(tmp_path, display_port)), "--scenario", str(scenario),
        "--record", str(tmp_path / "shift.sqlite"), "--screens", "--centre-port", "0",
    ]  # fmt: skip
    done = subprocess.run(
        simulate, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=REPO, timeout=180
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Shift summary (1 people" in done.stdout
    assert "stay up" not in done.stderr and not _display_answers(display_port)
    # the demo's centre keeps its database beside the simulated record
    assert (tmp_path / "centre-demo.sqlite").exists()

    staying = subprocess.Popen(
        [*simulate, "--stay"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    said: list[str] = []
    over = threading.Event()

    def listen() -> None:
        assert staying.stderr is not None
        for line in staying.stderr:
            said.append(line)
            if line.startswith("The shift is over; the screens stay up until Ctrl-C"):
                over.set()
        over.set()  # the run ended

    threading.Thread(target=listen, daemon=True).start()
    try:
        assert over.wait(180) and staying.poll() is None, "".join(said)
        time.sleep(2)  # the run does not end after the shift: the screens are still there
        assert staying.poll() is None and _display_answers(display_port)
        staying.send_signal(signal.SIGTERM)  # how a run in the background is stopped
        assert staying.wait(30) == 0
    finally:
        if staying.poll() is None:
            staying.kill()
            staying.wait()
    assert not _display_answers(display_port)
