"""Faults an installer must be told of: a record that cannot be written (a full disk), a backlog
past its limit, and a broker the gate cannot reach, each said once and shown in the status."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker, free_port
from simulator.subscriber import Subscriber
from terminal.app.housekeeping import Housekeeping
from terminal.config import MqttConfig
from terminal.link.publisher import Publisher
from terminal.record.store import OutboxMessage, Record, is_full
from tests.support.commands import Station, command_config
from tests.support.people import person
from tests.support.publishing import add_checks, topics
from tests.support.records import check
from tests.support.waiting import wait_for


def fill_up(station: Station) -> None:
    """The record's file may grow no more, and its pages are full: SQLite answers SQLITE_FULL,
    as on a full disk. Filled with small checks (``fill-...``), each smaller than a real one."""
    record = station.record
    pages = record.db.execute("PRAGMA page_count").fetchone()[0]
    record.db.execute(f"PRAGMA max_page_count = {pages + 1}")
    for index in range(100_000):
        try:
            record.add_check(check(f"fill-{index}", epoch_s=1.0), [OutboxMessage("f", "{}")])
        except sqlite3.OperationalError as exc:
            assert is_full(exc)
            return
    raise AssertionError("the record did not fill up")


def real_checks(station: Station) -> list[str]:
    return [
        c["person_id"] for c in station.record.checks() if not c["event_id"].startswith("fill-")
    ]


def test_a_full_record_keeps_the_gate_shut_says_so_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    people = [person("A", 0), person("B", 20), person("C", 40), person("D", 80)]
    station = Station(command_config(tmp_path), people, tmp_path)
    station.run_until(1)
    publisher = Publisher(
        station.record, MqttConfig(), station.messages.topics, client_id="t", state=station.state
    )
    fill_up(station)
    with caplog.at_level(logging.INFO):
        for _ in range(200_000):  # B and C come and go while the disk is full
            if len(station.rig.world.visits) >= 3 and station.rig.world.front is None:
                break
            station.gate.poll()
    visits = {v.person.person_id: v for v in station.rig.world.visits}
    assert visits["B"].relay_pulses == 0 and visits["C"].relay_pulses == 0  # shut for everyone
    assert station.relay_pulses() == 1  # A's only
    assert real_checks(station) == ["A"]
    assert station.state.shut and "record_full" in station.state.faults
    status = json.loads(publisher.status_payload("online"))
    assert status["health"]["record"] == "full" and status["faults"] == ["record_full"]
    said = [r for r in caplog.records if "record cannot be written" in r.getMessage()]
    assert len(said) == 1 and "disk full" in said[0].getMessage()  # once, not per person
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    # an open-once cannot be recorded either: refused, the relay stays
    assert station.send("open_once", {"reason": "x"}).outcome == "refused"
    assert station.relay_pulses() == 1

    station.record.db.execute("PRAGMA max_page_count = 1073741823")  # space again
    station.run_until(10**6)  # until D has been through
    assert real_checks(station) == ["A", "D"]
    assert station.record.checks()[-1]["reason"] == "admitted"
    assert not station.state.faults
    faults = [
        json.loads(m["payload"])["data"]
        for m in station.record.outbox()
        if m["topic"].endswith("event/fault")
    ]
    assert [(f["kind"], f["active"]) for f in faults] == [
        ("record_full", True),
        ("record_full", False),
    ]


def test_a_backlog_over_its_limit_is_a_fault_and_nothing_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = command_config(tmp_path, mqtt={"max_backlog": 10})
    station = Station(config, [], tmp_path)
    gate = topics("backlog")
    add_checks(station.record, gate, 12)
    publisher = Publisher(
        station.record, config.mqtt, station.messages.topics, client_id="t", state=station.state
    )
    chores = Housekeeping(
        config, station.record, publisher, station.messages, station.state, "boot-test-1"
    )
    station.record.start_boot("boot-test-1", 0.0)
    chores.run(1_000.0)
    chores.run(1_030.0)
    assert "backlog_over_limit" in station.state.faults
    assert station.record.count_unsent() == 13  # the twelve, and the fault telling of them
    [fault] = [json.loads(m["payload"]) for m in station.record.outbox() if "fault" in m["topic"]]
    assert fault["data"]["kind"] == "backlog_over_limit" and fault["data"]["active"]
    assert len([r for r in caplog.records if "over its limit" in r.getMessage()]) == 1
    assert json.loads(publisher.status_payload("online"))["faults"] == ["backlog_over_limit"]
    station.record.mark_sent([row.id for row in station.record.unsent(100)], 2_000.0)
    chores.run(2_000.0)
    assert not station.state.faults


@pytest.mark.parametrize(
    ("host", "kind"),
    [("127.0.0.1", "refused"), ("gate-broker.invalid", "unknown_host")],
)
def test_connection_trouble_is_said_once_when_it_starts_and_once_when_it_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, host: str, kind: str
) -> None:
    station = Station(command_config(tmp_path), [], tmp_path)
    port = free_port()
    gate = station.messages.topics
    publisher = Publisher(
        station.record,
        MqttConfig(host=host, port=port),
        gate,
        client_id="t-trouble",
        state=station.state,
    )
    with caplog.at_level(logging.INFO, logger="terminal.link.publisher"):
        publisher.start()
        try:
            assert not publisher.wait_connected(3.5)  # several attempts
            troubles = [r for r in caplog.records if f"({kind})" in r.getMessage()]
            assert len(troubles) == 1 and troubles[0].levelno == logging.ERROR
            assert station.state.connection is not None and station.state.connection.kind == kind
            if kind != "refused":
                return
            with PrivateBroker(port=port) as late:
                watcher = Subscriber(late.host, late.port, gate)
                assert publisher.wait_connected(15)
                assert wait_for(lambda: bool(watcher.received(gate.status)))
                status = watcher.received(gate.status)[-1]
                watcher.stop()
        finally:
            publisher.stop()
    back = [r for r in caplog.records if "reached again" in r.getMessage()]
    assert len(back) == 1
    assert status["connection_problem"]["kind"] == "refused"
    assert status["connection_problem"]["ended"] is not None


def test_acknowledged_messages_the_record_cannot_mark_are_not_sent_again(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    gate = topics("unwritable")
    subscriber = Subscriber(broker.host, broker.port, gate)
    record = Record(tmp_path / "r.sqlite")
    add_checks(record, gate, 5)
    record.db.execute("PRAGMA query_only = ON")  # the record takes no writes for now
    publisher = Publisher(
        record, MqttConfig(host=broker.host, port=broker.port), gate, client_id="t-unwritable"
    )
    publisher.start()
    try:
        assert publisher.wait_connected(10)
        for _ in range(60):  # the gate's loop turns; no exception comes out of it
            publisher.pump()
            time.sleep(0.02)
        assert wait_for(lambda: len(subscriber.received(gate.check)) == 5)
        assert record.count_unsent() == 5
        record.db.execute("PRAGMA query_only = OFF")
        assert publisher.flush(timeout_s=5)
        assert record.count_sent() == 5
        assert len(subscriber.received(gate.check)) == 5  # each once: kept, not sent again
    finally:
        publisher.stop()
        subscriber.stop()


def test_the_status_tells_a_failing_thermometer_and_camera(tmp_path: Path) -> None:
    people = [person("I", 0, sensor_fault="bad_pec"), person("A", 30)]
    station = Station(command_config(tmp_path), people, tmp_path)
    publisher = Publisher(
        station.record, MqttConfig(), station.messages.topics, client_id="t", state=station.state
    )
    station.run_until(1)
    health = json.loads(publisher.status_payload("online"))["health"]
    assert health == {"camera": "ok", "thermometer": "failing", "record": "ok"}
    station.run_until(2)
    assert json.loads(publisher.status_payload("online"))["health"]["thermometer"] == "ok"
    station.rig.capture.release()  # unplugged
    station.gate.poll()
    assert json.loads(publisher.status_payload("online"))["health"]["camera"] == "failing"
