"""The centre as the tests run it: a real config (parse_centre), a real broker, a real database,
the collector subscribed before the test publishes."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion

from terminal.centre.config import CentreConfig, parse_centre
from terminal.centre.running import RunningCentre, start_centre
from terminal.codes.healthcode import (
    SIMULATOR_COMMAND_KEY_ID,
    private_key_pem,
    simulator_command_key,
)
from tests.support.centre_messages import PARK


def write_command_key(folder: Path, key: Ed25519PrivateKey | None = None) -> Path:
    """The centre's signing key in a 0600 file (the simulator's published key by default)."""
    path = folder / f"centre-key-{uuid.uuid4().hex[:8]}.pem"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(key or simulator_command_key()))
    return path


def centre_config(
    tmp_path: Path,
    broker_port: int,
    *,
    database_url: str | None = None,
    key: Ed25519PrivateKey | None = None,
    key_id: str = SIMULATOR_COMMAND_KEY_ID,
    commands: bool = True,
    park: str = PARK,
    **sections: Any,
) -> CentreConfig:
    """A centre for park ``p1`` on the tests' broker; SQLite in ``tmp_path`` unless told."""
    data: dict[str, Any] = {
        "park": park,
        "timezone": "Asia/Shanghai",
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "session_expiry_s": 300},
        "database": {"url": database_url or f"sqlite:///{tmp_path}/centre.sqlite"},
        "web": {"host": "127.0.0.1", "port": 8100},
    }
    if commands:
        data["commands"] = {"key_id": key_id, "key_file": str(write_command_key(tmp_path, key))}
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values} if isinstance(values, dict) else values
    return parse_centre(data, tmp_path / "centre.toml")


@contextmanager
def running_centre(
    config: CentreConfig, *, web: bool = False, client_id: str | None = None
) -> Iterator[RunningCentre]:
    """The centre started (collector subscribed; the web application on a free port when
    ``web``), stopped at the end."""
    centre = start_centre(
        config,
        client_id=client_id or f"test-centre-{uuid.uuid4().hex[:8]}",
        web=web,
        web_port=0,
    )
    try:
        wait_until(lambda: centre.collector.connected, 10, "the collector subscribed")
        yield centre
    finally:
        centre.stop()


class Publisher:
    """A gate's side of the broker, for the tests: publishes QoS 1 and waits for the PUBACK."""

    def __init__(self, port: int, client_id: str | None = None) -> None:
        self._connected = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"test-gate-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        self.client.on_connect = lambda *args: self._connected.set()
        self.client.max_inflight_messages_set(100)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self._connected.wait(10):
            raise AssertionError("the test publisher could not connect")

    def publish(
        self, messages: Iterable[tuple[str, bytes]], retain: bool = False, qos: int = 1
    ) -> None:
        infos = [self.client.publish(t, p, qos=qos, retain=retain) for t, p in messages]
        for info in infos:
            info.wait_for_publish(10)
            assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(predicate: Callable[[], bool], timeout_s: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what}")
