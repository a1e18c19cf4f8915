"""The centre's board in the tests: publishing as gates do, listening as a gate does, and the
park's local time."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker
from tests.support.centre_fixture import Publisher as GateLink
from tests.support.desk import (
    Centre,
)


def publish(broker: PrivateBroker, messages: list[tuple[str, bytes]]) -> None:
    """What gates publish, through the broker to the centre's collector."""
    link = GateLink(broker.port)
    try:
        link.publish(messages)
    finally:
        link.close()


def local_now(centre: Centre) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(centre.config.timezone))


class CommandTap:
    """A gate's command topic, listened to: what the centre sent it."""

    def __init__(self, port: int, topic: str) -> None:
        self.received: list[dict] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"tap-{uuid.uuid4().hex}")
        self.client.on_connect = lambda client, *_: client.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = lambda c, u, m: self.received.append(json.loads(m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(10), "the tap could not subscribe"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
