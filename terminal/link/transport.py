"""The gate's connection to the broker: paho's client, made and configured in one place.

The publisher speaks to the broker only through what is made here: a client that keeps the
reason a connection attempt failed (:class:`NoDelayClient`), configured from ``[mqtt]`` with its
TLS, login, last will and reconnection delays (:func:`new_gate_client`), and :func:`classify`,
which turns a failed attempt into the kind the gate's status reports.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from terminal.config import MqttConfig
from terminal.link.mqtt_intake import BoundedClient, SizeWall, log_in

# messages handed to paho and not yet acknowledged by the broker, at most
MAX_IN_FLIGHT = 200
# what publish() answers when paho has the message: NO_CONN still queues it inside paho, which
# sends it on reconnection
HANDED_OVER = (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN)
# a message as the broker delivers it
Message = mqtt.MQTTMessage


def classify(exc: BaseException | None) -> tuple[str, str]:
    """The kind of a failed connection attempt, and a short description without secrets."""
    if isinstance(exc, socket.gaierror):
        return "unknown_host", "the broker's host name does not resolve"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls_failure", f"TLS: {getattr(exc, 'reason', None) or type(exc).__name__}"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", "connection refused (nothing listens there, or a firewall)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "unreachable", "no answer from the broker"
    if exc is None:
        return "unreachable", "cannot connect"
    return "unreachable", type(exc).__name__


class NoDelayClient(BoundedClient):
    """paho's client, keeping the error of the last failed connection attempt: paho reports a
    failed attempt (``on_connect_fail``) without saying why, and an installer needs to know."""

    last_connect_error: BaseException | None = None

    def _create_socket(self) -> Any:
        try:
            sock = super()._create_socket()
        except BaseException as exc:
            self.last_connect_error = exc
            raise
        self.last_connect_error = None
        # small messages (an alert, a command's result) go at once, not after the peer's delayed
        # acknowledgement of the previous one (Nagle's algorithm would hold them ~40 ms)
        setsockopt = getattr(sock, "setsockopt", None)
        if setsockopt is not None:
            with contextlib.suppress(OSError):
                setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def new_gate_client(
    config: MqttConfig,
    *,
    client_id: str,
    keep_session: bool,
    size_wall: SizeWall,
    will: tuple[str, str],
) -> NoDelayClient:
    """A gate's client, configured and not yet connected. ``will``: the status topic and the
    payload the broker publishes (retained) when the gate is gone without saying so."""
    client = NoDelayClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        # a gate that takes commands keeps its session: the broker queues commands sent while
        # the gate is away, and each is then taken or refused (expired) when it is back
        clean_session=not keep_session,
        size_wall=size_wall,
    )
    # what the broker sends is acknowledged here by hand: a zone peer's passage only once
    # the gate has written it down (a gate that dies first hears it again), all else at once
    client.manual_ack_set(True)
    client.max_inflight_messages_set(MAX_IN_FLIGHT)
    will_topic, will_payload = will
    client.will_set(will_topic, will_payload, qos=1, retain=True)
    log_in(client, config)
    return client
