"""Store-and-forward, as the operations centre's collector sees it: with the broker stopped and
restarted mid-shift, and with the terminal killed (SIGKILL) mid-shift and started again, every
check arrives, exactly once after deduplication by event_id, in seq order per gate."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import CrowdMix, random_crowd
from simulator.runner import run_simulation
from simulator.subscriber import Subscriber
from terminal.config import Config
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.support.cli import REPO, count_checks_read_only, gate_terminal
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts


def collector(broker: PrivateBroker, gate: GateTopics, name: str) -> Subscriber:
    """The centre's collector: a persistent session, so the broker keeps what it took for it."""
    return Subscriber(broker.host, broker.port, gate, client_id=name, persistent=True)


def first_arrivals(watcher: Subscriber, gate: GateTopics) -> list[dict]:
    """Checks as the collector stores them: the first copy of each event_id, in arrival order."""
    seen: dict[str, dict] = {}
    for message in watcher.received(gate.check):
        seen.setdefault(message["event_id"], message)
    return list(seen.values())


def assert_exactly_once_in_seq_order(
    record_path: Path, watcher: Subscriber, gate: GateTopics
) -> None:
    record = Record(record_path)
    expected = {c["event_id"] for c in record.checks()}
    record.close()
    assert wait_for(lambda: {m["event_id"] for m in first_arrivals(watcher, gate)} >= expected, 30)
    arrived = first_arrivals(watcher, gate)
    assert [m["event_id"] for m in arrived if m["event_id"] not in expected] == []
    assert len(arrived) == len(expected)
    seqs = [m["seq"] for m in arrived]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "not in seq order"


@pytest.mark.soak  # a whole shift around a broker restart: make soak
def test_a_broker_restart_mid_shift_loses_nothing(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "broker-data"
    data.mkdir()
    broker = PrivateBroker(persistence_dir=data).start()
    gate = GateTopics(config.gate.park, config.gate.id)
    watcher = collector(broker, gate, "collector-restart")
    restarted = threading.Event()

    def outage() -> None:
        nonlocal broker
        if not wait_for(lambda: len(first_arrivals(watcher, gate)) >= 15, 60):
            return
        broker.stop()  # a clean stop: Mosquitto saves what it holds
        time.sleep(1.5)  # the gate keeps checking people meanwhile
        broker = PrivateBroker(port=broker.port, persistence_dir=data).start()
        restarted.set()

    people = random_crowd(60, 7, CrowdMix(arrival_window_s=240))
    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="terminal.link.publisher"):
            shift = run_simulation(
                config,
                people=people,
                broker=(broker.host, broker.port),
                record_path=tmp_path / "shift.sqlite",
                drain_timeout_s=30,
            )
        thread.join(30)
        # the outage is said once when it starts and once when it ends
        said = [
            r for r in caplog.records if r.name == "terminal.link.publisher" and r.levelno >= 30
        ]
        assert [r.levelname for r in said] == ["ERROR", "WARNING"], [r.getMessage() for r in said]
        assert "reached again" in said[1].getMessage()
        assert restarted.is_set(), "the broker was not restarted during the shift"
        assert shift.summary.drain.startswith("outbox drained"), shift.summary.drain
        assert shift.summary.events_unsent == 0
        assert_exactly_once_in_seq_order(shift.record_path, watcher, gate)
    finally:
        watcher.stop()
        broker.stop()


def service_config(tmp_path: Path, broker: PrivateBroker) -> Path:
    text = (REPO / "config" / "simulator.toml").read_text()
    text = text.replace(
        'path = "../var/simulator-record.sqlite"', f'path = "{tmp_path / "svc.sqlite"}"'
    )
    text = text.replace("port = 1883", f"port = {broker.port}").replace(
        "workers = 200", "workers = 3"
    )
    text = text.replace("arrival_window_s = 900", "arrival_window_s = 3")  # real time
    text = text.replace('id = "gate-1"', 'id = "gate-kill"')
    for kind in ("workers", "visitors"):  # the simulated crowd comes from the configured roster
        example = f"{kind}.example.csv"
        text = text.replace(f'"{example}"', f'"{REPO / "config" / example}"')
    config = tmp_path / "svc.toml"
    config.write_text(text, encoding="utf-8")
    return config


def unsent_read_only(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
        return int(reader.execute("SELECT count(*) FROM outbox WHERE sent_s IS NULL").fetchone()[0])


@pytest.mark.parametrize("broker_up", [True, False], ids=["broker-up", "broker-down-until-kill"])
@pytest.mark.soak  # a shift killed and run again: make soak
def test_a_terminal_killed_mid_shift_loses_nothing(
    tmp_path: Path, broker: PrivateBroker, broker_up: bool
) -> None:
    # with the broker down while the first gate runs, everything it checked is still in its
    # outbox when it is killed: the restarted gate must send it
    late = None if broker_up else PrivateBroker()
    target = broker if late is None else late
    config = service_config(tmp_path, target)
    record_path = tmp_path / "svc.sqlite"
    gate = GateTopics("demo-park", "gate-kill")
    watcher = collector(broker, gate, "collector-kill") if late is None else None

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*gate_terminal(), "run", "--config", str(config)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_checks(count: int) -> None:
        assert wait_for(
            lambda: record_path.exists() and count_checks_read_only(record_path) >= count, 60
        )

    first = start()
    try:
        wait_checks(2)
        first.send_signal(signal.SIGKILL)  # no flush, no goodbye: the broker sends the will
        first.wait()
        killed_at = count_checks_read_only(record_path)
        if late is not None:
            assert unsent_read_only(record_path) >= killed_at  # all of it waits in the record
            late.start()
            watcher = collector(late, gate, "collector-kill-late")
        second = start()
        wait_checks(killed_at + 3)  # the restarted gate's own crowd
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=30)
        assert second.returncode == 0, stderr
        assert watcher is not None
        assert_exactly_once_in_seq_order(record_path, watcher, gate)
    finally:
        if first.poll() is None:
            first.kill()
        if watcher is not None:
            watcher.stop()
        if late is not None:
            late.stop()
    arrived = first_arrivals(watcher, gate)
    boots = list(dict.fromkeys(m["boot_id"] for m in arrived))
    assert len(boots) == 2  # seq ran on across the restart, under a new boot id
    if late is not None:  # what the killed gate left was sent late, and says so
        assert all(m["replayed"] for m in arrived if m["boot_id"] == boots[0])
    # the restart brought a crowd of its own, not the same one again, at wall-clock time (both
    # drawn from the configured roster of five: the same worker may come in each)
    crowds = [
        [m["data"]["person_id"] for m in arrived if m["boot_id"] == boot and m["data"]["person_id"]]
        for boot in boots
    ]
    assert all(len(crowd) == len(set(crowd)) for crowd in crowds)
    assert crowds[0] != crowds[1][: len(crowds[0])]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert {m["occurred_at"][:10] for m in arrived} == {today}  # not the config's sample date


def test_a_broker_gone_for_good_ends_the_run_at_the_drain_timeout(
    config: Config, tmp_path: Path
) -> None:
    broker = PrivateBroker().start()
    gate = GateTopics(config.gate.park, config.gate.id)
    watcher = collector(broker, gate, "collector-gone")

    def outage() -> None:
        if wait_for(lambda: len(first_arrivals(watcher, gate)) >= 5, 60):
            broker.stop()

    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        shift = run_simulation(
            config,
            people=random_crowd(30, 3, CrowdMix(arrival_window_s=120)),
            broker=(broker.host, broker.port),
            record_path=tmp_path / "gone.sqlite",
            drain_timeout_s=1.0,
        )
        assert time.monotonic() - started < 60
        unsent = shift.summary.events_unsent
        assert unsent > 0
        assert (
            shift.summary.drain
            == f"drain timeout after 1 s: {unsent} events stay unsent in the record"
        )
    finally:
        watcher.stop()
        broker.stop()


def test_the_gate_service_takes_a_signed_command_and_reports_it(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    import json

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from terminal.codes.healthcode import public_key_text
    from terminal.link.commands import sign_command
    from tests.support.commands import CENTRE_KEY, CENTRE_KEY_ID

    config = service_config(tmp_path, broker)
    public = public_key_text(CENTRE_KEY.public_key())
    with config.open("a", encoding="utf-8") as toml:
        toml.write(f'\n[[commands.keys]]\nkey_id = "{CENTRE_KEY_ID}"\npublic_key = "{public}"\n')
    gate = GateTopics("demo-park", "gate-kill")
    watcher = Subscriber(broker.host, broker.port, gate)
    service = subprocess.Popen(
        [*gate_terminal(), "run", "--config", str(config)], cwd=REPO, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: bool(watcher.received(gate.status)), 30)
        command = sign_command(
            CENTRE_KEY, CENTRE_KEY_ID, name="lockdown", park="demo-park", gate="gate-kill",
            payload={"on": True, "reason": "cease operation"}, issued_by="duty-officer",
            now_s=time.time(),
        )  # fmt: skip
        centre = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="centre-svc")
        centre.connect(broker.host, broker.port)
        centre.loop_start()
        centre.publish(gate.command("lockdown"), json.dumps(command), qos=1).wait_for_publish(5)
        result_topic = gate.command_result("lockdown")
        assert wait_for(lambda: bool(watcher.received(result_topic)), 15)
        assert watcher.received(result_topic)[0]["data"]["outcome"] == "done"
        assert wait_for(lambda: watcher.received(gate.status)[-1]["lockdown"] is True, 10)
        centre.loop_stop()
    finally:
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=30)
        watcher.stop()
    assert service.returncode == 0, stderr
    assert "LOCKDOWN by duty-officer" in stderr
    # checks after the lockdown were refused for it, and said so
    record = Record(tmp_path / "svc.sqlite")
    assert "admitted" not in {
        c["reason"] for c in record.checks() if c["epoch_s"] > time.time() - 1
    }
    assert record.commands()[0]["issued_by"] == "duty-officer"


def test_commands_sent_while_the_gate_is_away_wait_and_the_stale_one_is_refused(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    import json

    from terminal.link.publisher import Publisher
    from tests.support.commands import Station, command_config
    from tests.support.people import person

    config = command_config(tmp_path, gate={"id": "gate-away"})
    station = Station(config, [person("A", 0)], tmp_path)
    topics = station.messages.topics

    def connect() -> Publisher:
        mqtt_config = config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
        publisher = Publisher(
            station.record, mqtt_config, topics, client_id="gate-away", state=station.state,
            commands=True,
        )  # fmt: skip
        publisher.start()
        assert publisher.wait_connected(10)
        time.sleep(0.3)  # subscribed
        return publisher

    connect().stop()  # the gate was here once, then went away (its session stays)
    watcher = Subscriber(broker.host, broker.port, topics)
    centre = Subscriber(broker.host, broker.port, topics, subscription="nothing/here")
    short = station.command("open_once", {"reason": "a delivery"}, lifetime_s=0.5)
    lasting = station.command("lockdown", {"on": True, "reason": "red card"}, lifetime_s=120)
    for name, command in (("open_once", short), ("lockdown", lasting)):
        centre.client.publish(topics.command(name), json.dumps(command), qos=1).wait_for_publish(5)
    # the gate comes back after the open's expiry (its clock, the rig's, moved on meanwhile)
    station.rig.clock.sleep(2.0)
    publisher = connect()
    try:
        assert wait_for(lambda: publisher.commands.qsize() == 2)
        station.desk.run_pending(publisher.commands)
    finally:
        publisher.stop()
        centre.stop()
        watcher.stop()
    outcomes = {r["data"]["name"]: r["data"] for r in station.results()}
    assert outcomes["open_once"]["outcome"] == "refused"
    assert "expired" in outcomes["open_once"]["detail"]
    assert outcomes["lockdown"]["outcome"] == "done" and station.state.lockdown
    assert station.relay_pulses() == 0  # the queued 'open' never fired late
