"""The operations centre's side of a simulated shift: a subscriber that keeps everything
under a gate's topics, as received."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import BrokerUnavailable
from terminal.link.topics import GateTopics


class Subscriber:
    """The operations centre's side: everything under the gate's topics, as received.

    With a ``client_id`` and ``persistent=True`` it keeps its session on the broker (clean
    session off): what the broker took while this subscriber was away, or across a broker restart
    with persistence, is delivered when it is back."""

    def __init__(
        self,
        host: str,
        port: int,
        topics: GateTopics,
        ca_file: Path | None = None,
        *,
        client_id: str | None = None,
        persistent: bool = False,
        login: tuple[str, str] | None = None,
        subscription: str | None = None,
    ) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.raw: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"ops-{time.monotonic_ns()}",
            clean_session=not persistent,
        )
        wanted = subscription or f"{topics.base}/#"
        self.client.on_connect = lambda c, *_: c.subscribe(wanted, qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        if login is not None:
            self.client.username_pw_set(*login)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        try:
            self.client.connect(host, port)
        except OSError as exc:
            raise BrokerUnavailable(f"cannot reach {host}:{port}: {exc}") from None
        self.client.loop_start()
        if not self._ready.wait(10):
            self.stop()
            raise BrokerUnavailable(f"could not subscribe at {host}:{port}")

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.raw.append((message.topic, bytes(message.payload)))
            with contextlib.suppress(ValueError):  # not JSON: kept in raw, for the tests
                self.messages.append((message.topic, json.loads(message.payload)))

    def received(self, topic: str) -> list[dict]:
        with self._lock:
            return [payload for t, payload in self.messages if t == topic]

    def received_under(self, prefix: str) -> list[dict]:
        with self._lock:
            return [payload for t, payload in self.messages if t.startswith(prefix)]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
