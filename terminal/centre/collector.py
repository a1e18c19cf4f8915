"""The collector: every message of the park's gates, from the broker into the centre's store.

Nothing is lost, nothing is stored twice:

- MQTT v5, QoS 1, **manual acknowledgement**: a message is acknowledged (PUBACK) only after the
  transaction that stored it committed. A collector that dies before that leaves the message
  unacknowledged, and the broker sends it again; the store drops the second copy by its
  ``event_id``.
- A **persistent session** (``clean_start`` false, a session expiry): while a collector is away
  (restarted, upgraded, crashed), the broker keeps its subscriptions and queues its messages,
  and sends them when it is back under the same client id.
- Several collectors in one **shared subscription** (``$share/{group}/gate/v1/{park}/+/#``) share
  the load: each message goes to one of them. Stopped on purpose, a collector unsubscribes first
  and stores what it already took before it disconnects, so the others take the rest.
- Retained messages are not sent to shared subscriptions (MQTT v5, 4.8.2), so each collector
  also subscribes to the gates' status on its own: a gate's last status is known at start.

paho's network thread only puts messages on a queue; a worker thread stores them in batches (one
transaction each) and then acknowledges them. A database that fails is retried, the messages
unacknowledged meanwhile (the broker stops sending when its in-flight window is full).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from terminal.centre.broker import centre_client
from terminal.centre.config import CentreMqttConfig
from terminal.centre.errors import CentreError
from terminal.centre.store import Store
from terminal.link.mqtt_intake import SizeWall

log = logging.getLogger(__name__)

# the broker sends at most this many unacknowledged messages at a time (MQTT v5 Receive Maximum)
RECEIVE_MAXIMUM = 1000


class CollectorError(CentreError):
    pass


@dataclass(frozen=True)
class _Received:
    topic: str
    payload: bytes
    received_at: datetime
    retained: bool
    mid: int
    qos: int
    connection: int  # which connection it came on: an ack is only valid on that one


def default_client_id(park: str) -> str:
    """Stable across restarts (the broker keeps the session under it), distinct per host."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-_.")[:30]
    return f"centre-{park}-{host or 'host'}"[:64]


class Collector:
    """``start()`` connects and subscribes; ``stop()`` hands the share to the other collectors
    and disconnects; ``kill()`` drops the connection as a crash would."""

    def __init__(
        self,
        store: Store,
        mqtt_config: CentreMqttConfig,
        park: str,
        *,
        share_group: str = "centre",
        client_id: str | None = None,
        batch_max: int = 200,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = mqtt_config
        self.park = park
        self.client_id = client_id or mqtt_config.client_id or default_client_id(park)
        self.shared_filter = f"$share/{share_group}/gate/v1/{park}/+/#"
        self.status_filter = f"gate/v1/{park}/+/status"
        self.batch_max = batch_max
        self._clock = clock
        self._queue: queue.Queue[_Received] = queue.Queue()
        self._connection = 0
        self._subscribed = threading.Event()
        self._unsubscribed = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._pending_acks = 0
        self._trouble_logged = False  # a broker away is said once, not at every retry
        self._subscribe_mid: int | None = None
        self._unsubscribe_mid: int | None = None
        self._worker = threading.Thread(target=self._work, name="collector", daemon=True)
        # counts, for the log and the benchmark
        self.stored = 0
        self.duplicates = 0
        self.failures = 0
        # messages over the contract's largest, refused unread (acknowledged, never stored)
        self.size_wall = SizeWall(f"collector {self.client_id}", log)
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = centre_client(
            self.config, self.client_id, manual_ack=True, size_wall=self.size_wall
        )
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_acknowledged
        client.on_unsubscribe = self._on_acknowledged
        client.on_message = self._on_message
        return client

    # --- life ----------------------------------------------------------------------------------
    def start(self, timeout_s: float = 15.0, *, required: bool = True) -> Collector:
        """Connect and subscribe, waiting up to ``timeout_s``. ``required`` false: a broker that
        is not there yet is waited for in the background (said once in the log), so that the
        centre's pages serve what is stored meanwhile."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.config.session_expiry_s
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self._worker.start()
        try:
            self.client.connect_async(
                self.config.host,
                self.config.port,
                keepalive=self.config.keepalive_s,
                clean_start=False,
                properties=properties,
            )
        except (OSError, ValueError) as exc:
            raise CollectorError(
                f"broker {self.config.host}:{self.config.port}: {type(exc).__name__}"
            ) from None
        self.client.loop_start()
        if not self._subscribed.wait(timeout_s):
            if not required:
                log.warning(
                    "collector %s: the broker %s:%d is not answering yet; trying on",
                    self.client_id, self.config.host, self.config.port,
                )  # fmt: skip
                return self
            self._stopping.set()
            self.client.loop_stop()
            raise CollectorError(
                f"broker {self.config.host}:{self.config.port}: not connected and subscribed "
                f"in {timeout_s:.0f} s (is it running, and may the centre's user read "
                f"gate/v1/{self.park}/#?)"
            )
        log.info("collector %s: subscribed to %s", self.client_id, self.shared_filter)
        return self

    def stop(self, drain_s: float = 10.0) -> None:
        """Unsubscribe (the broker sends the group's next messages to the other collectors),
        store and acknowledge what was already taken, then disconnect. The session stays: what
        the broker still had queued for this collector comes when it is back."""
        if self._stopping.is_set():
            return
        if self.client.is_connected():
            self._unsubscribed.clear()
            # the status too: a session left behind would queue every gate's status for nothing
            # under the lock: the acknowledgement may come back before the mid is known here
            with self._lock:
                result, mid = self.client.unsubscribe([self.shared_filter, self.status_filter])
                self._unsubscribe_mid = mid
            if result == mqtt.MQTT_ERR_SUCCESS:
                self._unsubscribed.wait(5.0)
            self._drain(drain_s)
        self._stopping.set()
        self._worker.join(drain_s)
        self.client.disconnect()
        self.client.loop_stop()
        log.info(
            "collector %s stopped: %d stored, %d duplicates, %d refused as oversized",
            self.client_id, self.stored, self.duplicates, self.size_wall.refused,
        )  # fmt: skip

    def kill(self) -> None:
        """Stop at once, as a crash would: the connection drops without a DISCONNECT and
        nothing more is acknowledged, so the broker sends again what this collector had taken
        (what a test of the failover needs)."""
        self._stopping.set()
        self.client.loop_stop()
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _drain(self, timeout_s: float) -> None:
        """Until the queue stays empty for a moment: messages already in flight to this
        collector arrive just after the unsubscription."""
        deadline = time.monotonic() + timeout_s
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            busy = not self._queue.empty() or self._pending_acks > 0
            if busy:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.5:
                return
            time.sleep(0.02)

    @property
    def connected(self) -> bool:
        return self.client.is_connected() and self._subscribed.is_set()

    # --- paho's thread -------------------------------------------------------------------------
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            if not self._trouble_logged:
                log.error("collector %s: the broker refused: %s", self.client_id, reason)
                self._trouble_logged = True
            return
        self._trouble_logged = False
        with self._lock:
            self._connection += 1
        if self._stopping.is_set():
            return
        with self._lock:
            result, mid = client.subscribe([(self.shared_filter, 1), (self.status_filter, 1)])
            self._subscribe_mid = mid
        if result != mqtt.MQTT_ERR_SUCCESS:
            log.error("collector %s: cannot subscribe: %s", self.client_id, result)
        log.info(
            "collector %s connected (session %s)",
            self.client_id,
            "resumed" if flags.session_present else "new",
        )

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        if not self._trouble_logged:
            log.error(
                "collector %s: cannot reach the broker %s:%d; trying on",
                self.client_id, self.config.host, self.config.port,
            )  # fmt: skip
            self._trouble_logged = True

    def _on_acknowledged(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        """The broker's answer to a subscribe or an unsubscribe: each releases its own wait."""
        with self._lock:
            if mid == self._subscribe_mid:
                failed = [r for r in reasons if r.is_failure]
                if failed:
                    log.error("collector %s: subscription refused: %s", self.client_id, failed[0])
                    return
                self._subscribed.set()
            elif mid == self._unsubscribe_mid:
                self._unsubscribed.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._subscribed.clear()
        if not self._stopping.is_set():
            log.warning("collector %s: connection lost (%s); reconnecting", self.client_id, reason)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        if self.size_wall.refuses(client, message):
            return  # over the contract's largest message: acknowledged, never parsed nor stored
        self._queue.put(
            _Received(
                message.topic,
                bytes(message.payload),
                self._clock(),
                bool(message.retain),
                message.mid,
                message.qos,
                self._connection,
            )
        )

    # --- the worker ----------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                if self._stopping.is_set():
                    return
                continue
            self._store(batch)

    def _take_batch(self) -> list[_Received]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < self.batch_max:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        with self._lock:
            self._pending_acks += len(batch)
        return batch

    def _store(self, batch: list[_Received]) -> None:
        delay_s = 0.5
        while True:
            try:
                results = self.store.ingest_many(
                    [(m.topic, m.payload, m.received_at, m.retained) for m in batch]
                )
                break
            except Exception as exc:  # the database: retried; the messages stay unacknowledged
                self.failures += 1
                log.error(
                    "collector %s: cannot store %d messages: %s; retrying",
                    self.client_id,
                    len(batch),
                    type(exc).__name__,
                )
                if self._stopping.wait(delay_s):
                    with self._lock:
                        self._pending_acks -= len(batch)
                    return  # unacknowledged: the broker sends them again, here or elsewhere
                delay_s = min(delay_s * 2, 10.0)
        self.stored += sum(results)
        self.duplicates += len(results) - sum(results)
        self._acknowledge(batch)

    def _acknowledge(self, batch: list[_Received]) -> None:
        with self._lock:
            connection = self._connection
            self._pending_acks -= len(batch)
        for message in batch:
            # after a reconnection the message ids are the new connection's: acknowledging an
            # old one could acknowledge another message; the broker sends the old ones again
            if message.qos > 0 and message.connection == connection:
                self.client.ack(message.mid, message.qos)
