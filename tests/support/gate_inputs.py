"""The gate's wired inputs (passage sensor, fire alarm, button) and a gate linked to the centre."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.broker import PrivateBroker
from simulator.rig import Rig
from simulator.subscriber import Subscriber
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, Messages, new_event_id
from terminal.record.store import Record
from terminal.state import GateState

PASSAGE_PIN, ALARM_PIN, BUTTON_PIN = 5, 6, 13


def passage(window_s: float = 6.0) -> dict:
    return {"pin": PASSAGE_PIN, "window_s": window_s}


class Centre:
    """A gate with a publisher on the test broker, and the operations centre listening."""

    def __init__(self, config: Config, rig: Rig, broker: PrivateBroker, record: Record) -> None:
        self.topics = GateTopics(config.gate.park, config.gate.id)
        self.subscriber = Subscriber(broker.host, broker.port, self.topics)
        self.state = GateState(risk_tier="low")
        mqtt = config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
        boot_id = new_event_id()
        self.publisher = Publisher(
            record, mqtt, self.topics, client_id=f"gate-{boot_id[:8]}", state=self.state
        )
        self.publisher.start()
        assert self.publisher.wait_connected(10)
        messages = Messages(
            config.gate.park, config.gate.id, boot_id=boot_id, timezone=config.gate.timezone
        )
        self.gate = Gate(
            config=rig.config,
            devices=rig.devices(),
            record=record,
            roster=rig.roster,
            publisher=self.publisher,
            state=self.state,
            messages=messages,
        )

    def received(self, suffix: str) -> list[dict]:
        return self.subscriber.received(f"{self.topics.base}/{suffix}")

    def stop(self) -> None:
        self.publisher.flush(timeout_s=10)
        self.publisher.stop()
        self.subscriber.stop()


@pytest.fixture
def centres() -> Iterator[list[Centre]]:
    made: list[Centre] = []
    yield made
    for centre in made:
        centre.stop()
