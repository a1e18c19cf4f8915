"""Commands from the centre to a gate: checked against the contract, signed with the centre's
key, published (QoS 1) to ``gate/v1/{park}/{gate}/cmd/{name}``, recorded with who sent them.
The gate's answer (done, refused and why, failed) comes back through the collector."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from terminal.centre.broker import centre_client
from terminal.centre.collector import Collector
from terminal.centre.config import CentreConfig, CentreMqttConfig
from terminal.centre.errors import CentreError
from terminal.centre.store import Store, command_summary
from terminal.link import contract
from terminal.link.command_signing import sign_command

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_S = 5.0


class CommandNotSent(CentreError):
    """One line for the person who tried: what was wrong, or why the broker did not take it."""


class Link(Protocol):
    """Publishes one message and waits until the broker has it (QoS 1)."""

    def publish(self, topic: str, payload: bytes, timeout_s: float) -> None: ...
    def close(self) -> None: ...


def _publish_confirmed(
    client: mqtt.Client, connected: bool, where: str, topic: str, payload: bytes, timeout_s: float
) -> None:
    if not connected:
        raise CommandNotSent(f"not connected to the broker at {where}: not sent")
    info = client.publish(topic, payload, qos=1)
    if info.rc != mqtt.MQTT_ERR_SUCCESS:
        raise CommandNotSent(f"the broker at {where} refused it: {info.rc}")
    info.wait_for_publish(timeout_s)
    if not info.is_published():
        raise CommandNotSent(
            f"the broker at {where} did not confirm it in {timeout_s:.0f} s: "
            "it may or may not reach the gate; see the command's result"
        )


class CollectorLink:
    """Commands over the collector's own connection. The park's broker takes a login's user name
    as its client id (``use_username_as_clientid``): a second connection of the ``centre`` user
    would push the collector off the broker, so the centre keeps to one."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self._where = f"{collector.config.host}:{collector.config.port}"

    def publish(self, topic: str, payload: bytes, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.collector.client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        _publish_confirmed(
            self.collector.client, self.collector.client.is_connected(), self._where, topic,
            payload, max(0.1, deadline - time.monotonic()),
        )  # fmt: skip

    def close(self) -> None:
        """The collector's connection is the collector's to close."""


class MqttLink:
    """A connection of its own (a sender without a collector: a script, a test)."""

    def __init__(self, config: CentreMqttConfig, client_id: str) -> None:
        self._connected = threading.Event()
        self.client = centre_client(config, client_id)
        self.client.on_connect = lambda c, u, f, reason, p: (
            self._connected.set() if not reason.is_failure else None
        )
        self.client.on_disconnect = lambda c, u, f, reason, p: self._connected.clear()
        self.client.connect_async(config.host, config.port, keepalive=config.keepalive_s)
        self.client.loop_start()
        self._where = f"{config.host}:{config.port}"

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def publish(self, topic: str, payload: bytes, timeout_s: float) -> None:
        connected = self._connected.wait(timeout_s)
        _publish_confirmed(self.client, connected, self._where, topic, payload, timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _wire(command: dict[str, Any]) -> bytes:
    return json.dumps(command, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class CommandSender:
    def __init__(
        self,
        store: Store,
        key: Ed25519PrivateKey,
        key_id: str,
        link: Link,
        *,
        lifetime_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._key = key
        self.key_id = key_id
        self.link = link
        self.lifetime_s = lifetime_s
        self._clock = clock

    @classmethod
    def connect(
        cls,
        config: CentreConfig,
        store: Store,
        client_id: str | None = None,
        collector: Collector | None = None,
    ) -> CommandSender:
        """A sender signing with the key of ``[commands]``: over the collector's connection
        when there is one, else over a connection of its own."""
        if config.commands is None:
            raise CommandNotSent("no [commands] in the centre's config: the centre cannot sign")
        link: Link
        if collector is not None:
            link = CollectorLink(collector)
        else:
            link = MqttLink(config.mqtt, client_id or f"centre-{config.park}-sender-{id(store):x}")
        return cls(
            store,
            config.commands.private_key(),
            config.commands.key_id,
            link,
            lifetime_s=config.commands.lifetime_s,
        )

    def send(self, name: str, park: str, gate: str, payload: Mapping[str, Any], user: str) -> str:
        """Sign and publish one command; its id. Recorded (``sent``) and audited under ``user``
        before it leaves, so that even a command the broker never took is on the record."""
        model = contract.COMMAND_PAYLOADS.get(name)
        if model is None:
            raise CommandNotSent(
                f"{name!r}: not a command ({', '.join(contract.COMMAND_PAYLOADS)})"
            )
        try:
            model.model_validate(dict(payload))
        except ValidationError as exc:
            raise CommandNotSent(contract.first_problem(exc, "payload: ")) from None
        command = sign_command(
            self._key, self.key_id, name=name, park=park, gate=gate, payload=payload,
            issued_by=user, now_s=self._clock(), lifetime_s=self.lifetime_s,
        )  # fmt: skip
        try:
            contract.SignedCommand.model_validate(command)
        except ValidationError as exc:
            raise CommandNotSent(contract.first_problem(exc)) from None
        wire = _wire(command)
        if contract.oversized(wire):
            # the broker would refuse it (and drop the connection), a gate would refuse it unread
            raise CommandNotSent(
                f"{name}: {len(wire)} bytes, over the largest message a gate takes "
                f"({contract.MAX_MESSAGE_BYTES})"
            )
        topic = contract.GateTopics(park, gate).command(name)
        self.store.record_command(command, user)
        self.store.audit(
            user, "command", f"{name} to {park}/{gate}: {command_summary(name, payload)}"
        )
        try:
            self.link.publish(topic, wire, PUBLISH_TIMEOUT_S)
        except CommandNotSent as exc:
            self.store.command_failed(command["command_id"], f"not sent: {exc}")
            raise
        log.info("command %s sent to %s/%s by %s", name, park, gate, user)
        return str(command["command_id"])

    def close(self) -> None:
        self.link.close()
