"""The publisher against a real Mosquitto: what a subscriber at the operations centre sees."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker, free_port
from simulator.subscriber import Subscriber
from terminal.config import MqttConfig
from terminal.link.publisher import Publisher
from terminal.record.store import Record
from tests.support.publishing import add_checks, assert_delivered, event_id, messages_for, topics
from tests.support.records import check
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parent.parent


def test_checks_reach_a_subscriber_and_are_marked_sent(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    gate = topics("deliver")
    subscriber = Subscriber(broker.host, broker.port, gate)
    record = Record(tmp_path / "r.sqlite")
    add_checks(record, gate, 25)
    publisher = Publisher(
        record, MqttConfig(host=broker.host, port=broker.port), gate, client_id="t-deliver"
    )
    publisher.start()
    try:
        assert publisher.flush(timeout_s=10)
        assert wait_for(lambda: len(subscriber.received(gate.check)) >= 25)
        received = subscriber.received(gate.check)
        assert [m["event_id"] for m in received] == [event_id(i) for i in range(25)]
        assert [m["seq"] for m in received] == list(range(1, 26))
        first = received[0]["data"]
        assert first["decision"] == "admit" and first["person_id"] == "W1"
        assert record.count_unsent() == 0 and record.count_sent() == 25
        assert wait_for(
            lambda: any(s["state"] == "online" for s in subscriber.received(gate.status))
        )
        online = subscriber.received(gate.status)[-1]
        assert online["boot_id"] and online["backlog"] >= 0 and online["health"]["record"] == "ok"
    finally:
        publisher.stop()
    assert wait_for(lambda: subscriber.received(gate.status)[-1]["state"] == "offline")
    subscriber.stop()


def test_without_a_broker_events_wait_in_the_record_then_go(tmp_path: Path) -> None:
    gate = topics("outage")
    port = free_port()
    record = Record(tmp_path / "r.sqlite")
    add_checks(record, gate, 5)
    publisher = Publisher(
        record, MqttConfig(host="127.0.0.1", port=port), gate, client_id="t-outage"
    )
    publisher.start()
    try:
        assert not publisher.flush(timeout_s=1.0)
        assert record.count_unsent() == 5  # nothing was acknowledged, nothing vanished
        with PrivateBroker(port=port) as late:
            subscriber = Subscriber(late.host, late.port, gate)
            assert publisher.wait_connected(15)
            assert publisher.flush(timeout_s=10)
            assert wait_for(
                lambda: len({m["event_id"] for m in subscriber.received(gate.check)}) == 5
            )
            # they waited through the outage: sent late, and marked so
            assert all(m["replayed"] for m in subscriber.received(gate.check))
            subscriber.stop()
    finally:
        publisher.stop()


def test_unsent_events_go_after_a_restart(tmp_path: Path, broker: PrivateBroker) -> None:
    gate = topics("restart")
    path = tmp_path / "r.sqlite"
    add_checks(Record(path), gate, 3)  # written by a terminal that died before sending
    subscriber = Subscriber(broker.host, broker.port, gate)
    config = MqttConfig(host=broker.host, port=broker.port)
    assert_delivered(Record(path), config, gate, subscriber, expected=3)


@pytest.mark.slow  # starts a process
def test_the_broker_announces_offline_when_the_terminal_dies(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    gate = topics("will")
    subscriber = Subscriber(broker.host, broker.port, gate)
    program = textwrap.dedent(
        f"""
        import os, sys
        from pathlib import Path
        sys.path.insert(0, {str(REPO)!r})
        from terminal.config import MqttConfig
        from terminal.link.publisher import Publisher
        from terminal.record.store import Record
        from terminal.link.topics import GateTopics
        p = Publisher(Record(Path({str(tmp_path / "w.sqlite")!r})),
                      MqttConfig(host={broker.host!r}, port={broker.port}),
                      GateTopics("test-park", "will"), client_id="t-will")
        p.start()
        assert p.wait_connected(10)
        print("up", flush=True)
        sys.stdin.read()
        """
    )
    terminal = subprocess.Popen(
        [sys.executable, "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert terminal.stdout is not None and terminal.stdout.readline().strip() == "up"
        assert wait_for(
            lambda: [s["state"] for s in subscriber.received(gate.status)] == ["online"]
        )
        terminal.kill()  # no DISCONNECT: the broker must publish the last will
        terminal.wait()
        assert wait_for(lambda: subscriber.received(gate.status)[-1]["state"] == "lost")
        will = subscriber.received(gate.status)[-1]
        assert will["gate"] == "will" and will["occurred_at"] is None
    finally:
        if terminal.poll() is None:
            terminal.kill()
        subscriber.stop()


def test_payloads_are_the_documented_json(tmp_path: Path) -> None:
    gate = topics("json")
    screened = {
        "estimate_mode": "crowd",
        "reference_c": 33.96,
        "distance_cm": 18.04,
        "object_c": 34.123,
        "ambient_c": 21.04,
        "screening": "pass",
        "screening_stage": "first",
        "threshold_c": 34.9,
        "reference_basis": "crowd",
        "why": "screened 34.12 against 34.90 (the crowd at 21 °C)",
    }
    signed = {"code_issuer": "park-2026", "code_fingerprint": "ab" * 32}
    message = messages_for(gate).check(
        check("check-0009", temperature_c=36.64, **screened, **signed)
    )
    assert message.topic == "gate/v1/test-park/json/event/check"
    assert json.loads(message.payload) == {
        "schema": "gate.check/1",
        "event_id": "check-0009",
        "park": "test-park",
        "gate": "json",
        "seq": 0,  # the record writes the real one when it stores the message
        "boot_id": "boot-0001",
        "occurred_at": "1970-01-01T08:16:40+08:00",
        "clock_synced": True,
        "replayed": False,
        "data": {
            "person_id": "W1",
            "code": "green",
            "temperature_c": 36.6,
            "decision": "admit",
            "reason": "admitted",
            "route": "through",
            "check_s": 0.6,
            # the code's issuer and SHA-256 (never the code), the screening's estimator
            "code_issuer": "park-2026",
            "code_fingerprint": "ab" * 32,
            "replay_of": None,
            "estimate_mode": "crowd",
            "reference_c": 34.0,
            "distance_cm": 18.0,
            "next_window": None,  # a shift refusal's: when the worker may come in
            "direction": "entry",  # into the gate's zone (an exit gate: "exit")
            "passback_of": None,  # anti-passback: the admission by which they are inside
            # the screened reading (to a hundredth), the air, the screening's word and why
            "object_c": 34.12,
            "ambient_c": 21.0,
            "screening": "pass",
            "threshold_c": 34.9,
            "reference_basis": "crowd",
            "why": "screened 34.12 against 34.90 (the crowd at 21 °C)",
            "rest_until": None,  # told to rest: when they may scan again
        },
    }
    record = Record(tmp_path / "r.sqlite")
    record.add_check(check("check-0009"), [message])
    assert json.loads(record.outbox()[0]["payload"])["seq"] == 1
