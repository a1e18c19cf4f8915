"""What a gate and the centre take in from the broker: no message over the contract's largest
(``contract.MAX_MESSAGE_BYTES``), whatever the broker lets through.

The park's broker, configured as shipped, refuses such a packet at its header. Behind a broker
configured otherwise, a message of hundreds of megabytes would take a gate's memory twice over:
paho reads a whole packet into memory (and copies it while decoding it) before it hands the
message over, and parsed JSON takes many times its size. So the client here reads the packet's
head (its topic and packet id) and drops the rest as it arrives, then acknowledges it
(unacknowledged, the broker would send it again at every reconnection, and to a gate restarted
after running out of memory) and says so in one line, by topic and size. A message over the
limit in a packet within it (the packet's own cap leaves room for the topic) is refused the same
way by the owner's message callback (:meth:`SizeWall.refuses`), before anything parses it.

The reading is paho's own (``_sock_recv``, ``_handle_publish`` of paho-mqtt 2.x); only an
oversized PUBLISH takes another way through them.
"""

from __future__ import annotations

import logging
import struct
from typing import Any

import paho.mqtt.client as mqtt

from terminal.common.safetext import printable
from terminal.config import BrokerLogin
from terminal.link import contract

# a PUBLISH's head: topic length, the topic (65535 bytes at most), packet id
_HEAD_BYTES = 2 + 65535 + 2
_CHUNK_BYTES = 64 * 1024
_PUBLISH = 0x30

log = logging.getLogger(__name__)


class SizeWall:
    """Counts and logs the messages refused for their size, for one receiver (``who``)."""

    def __init__(self, who: str, logger: logging.Logger) -> None:
        self.who = who
        self._log = logger
        self.refused = 0  # since start

    def refuses(self, client: mqtt.Client, message: mqtt.MQTTMessage) -> bool:
        """A received message over the limit: acknowledged, logged, counted; True. What the
        owner's ``on_message`` asks first."""
        if not contract.oversized(message.payload):
            return False
        client.ack(message.mid, message.qos)
        self.refuse(message.topic, len(message.payload))
        return True

    def refuse(self, topic: str, size: int) -> None:
        self.refused += 1
        self._log.warning(
            "%srefused a message on %s: %d bytes, over the contract's %d",
            f"{self.who}: " if self.who else "", printable(topic), size,
            contract.MAX_MESSAGE_BYTES,
        )  # fmt: skip


class BoundedClient(mqtt.Client):
    """paho's client, dropping an incoming PUBLISH over the contract's largest packet as it
    reads it: its memory is the packet's head, whatever the packet's size."""

    def __init__(self, *args: Any, size_wall: SizeWall | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.size_wall = size_wall or SizeWall(str(kwargs.get("client_id") or ""), log)

    def _oversized_publish(self) -> bool:
        packet = self._in_packet
        return (
            bool(packet["have_remaining"])
            and packet["command"] & 0xF0 == _PUBLISH
            and packet["remaining_length"] > contract.MAX_PACKET_BYTES
        )

    def _sock_recv(self, bufsize: int) -> bytes:
        if not self._oversized_publish():
            return super()._sock_recv(bufsize)
        packet = self._in_packet
        kept = len(packet["packet"])
        if kept < _HEAD_BYTES:
            return super()._sock_recv(min(bufsize, _HEAD_BYTES - kept))
        data = super()._sock_recv(min(bufsize, _CHUNK_BYTES))
        if len(data) <= 1:
            return data
        # paho counts what it is given against the packet's length: the dropped bytes are
        # counted here, one byte is handed over (an empty read would mean a closed connection)
        packet["to_process"] -= len(data) - 1
        return data[-1:]

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        if not self._oversized_publish():
            return super()._handle_publish()
        size = self._in_packet["remaining_length"]
        header, head = self._in_packet["command"], bytes(self._in_packet["packet"])
        qos = (header & 0x06) >> 1
        try:
            (length,) = struct.unpack_from("!H", head)
            topic = head[2 : 2 + length].decode("utf-8", errors="replace")
            (mid,) = struct.unpack_from("!H", head, 2 + length) if qos else (0,)
        except struct.error:
            return mqtt.MQTTErrorCode.MQTT_ERR_PROTOCOL
        self.size_wall.refuse(topic, size)
        if qos == 1:
            return self._send_puback(mid)
        if qos == 2:
            return self._send_pubrec(mid)
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS


def log_in(client: mqtt.Client, config: BrokerLogin) -> None:
    """The broker login a gate and the centre alike take from their config: TLS with the park's
    CA (and a client certificate where given), the username and password from the credentials
    file, and reconnection from one second up to half a minute."""
    if config.tls:
        client.tls_set(
            ca_certs=str(config.ca_file) if config.ca_file else None,
            certfile=str(config.cert_file) if config.cert_file else None,
            keyfile=str(config.key_file) if config.key_file else None,
        )
    username, password = config.credentials()
    if username:
        client.username_pw_set(username, password)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
