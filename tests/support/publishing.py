"""What a gate's publisher delivered to the broker, and checks to publish."""

from __future__ import annotations

from simulator.subscriber import Subscriber
from terminal.config import MqttConfig
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, Messages
from terminal.record.store import Record
from tests.support.records import check
from tests.support.waiting import wait_for


def topics(name: str) -> GateTopics:
    return GateTopics("test-park", name)


def messages_for(gate: GateTopics) -> Messages:
    return Messages(gate.park, gate.gate, boot_id="boot-0001", timezone="Asia/Shanghai")


def event_id(index: int) -> str:
    return f"check-{index:04d}"


def add_checks(record: Record, gate: GateTopics, count: int) -> None:
    build = messages_for(gate)
    for index in range(count):
        row = check(event_id(index), epoch_s=1_000.0 + index)
        record.add_check(row, [build.check(row)])


def assert_delivered(
    record: Record, config: MqttConfig, gate: GateTopics, subscriber: Subscriber, expected: int
) -> None:
    """A publisher on ``record`` sends it all, and ``subscriber`` receives every check."""
    publisher = Publisher(record, config, gate, client_id=f"t-{gate.gate}")
    publisher.start()
    try:
        assert publisher.flush(timeout_s=10)
        assert wait_for(lambda: len(subscriber.received(gate.check)) == expected)
    finally:
        publisher.stop()
        subscriber.stop()
