"""Sends the record's outbox to the MQTT broker (paho-mqtt 2.x), QoS 1.

A message is marked sent only when the broker acknowledges it (PUBACK). Until then it stays in the
outbox: paho resends it after a reconnect, and after a restart the outbox is read again. The
operations centre may therefore see a message twice, never zero times; ``event_id`` tells repeats
apart. paho's callbacks run on its network thread, so they only hand message ids over; the record
is written from the gate's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from terminal.commands import CommandInbox
from terminal.config import MqttConfig
from terminal.record import Record
from terminal.topics import GateTopics

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 200


class Publisher:
    def __init__(
        self,
        record: Record,
        config: MqttConfig,
        topics: GateTopics,
        *,
        client_id: str,
        now: Callable[[], float] = time.time,
        inbox: CommandInbox | None = None,
    ) -> None:
        """With an ``inbox``, commands to this gate are subscribed to and queued there."""
        self.record = record
        self.inbox = inbox
        self.config = config
        self.topics = topics
        self._now = now
        self._acked: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._in_flight: dict[int, int] = {}  # paho message id -> outbox row id
        self._early_acks: dict[int, int] = {}
        # the record's checks_added when the outbox was last read to its end; -1: never (a
        # restart may have left messages waiting)
        self._outbox_read_at = -1  # acked id -> collections it went unmatched
        self._connected = threading.Event()
        self._stopping = False
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        self.client.max_inflight_messages_set(MAX_IN_FLIGHT)
        self.client.will_set(topics.status, topics.status_payload("offline"), qos=1, retain=True)
        if config.tls:
            self.client.tls_set(
                ca_certs=str(config.ca_file) if config.ca_file else None,
                certfile=str(config.cert_file) if config.cert_file else None,
                keyfile=str(config.key_file) if config.key_file else None,
            )
        if config.username:
            self.client.username_pw_set(config.username, config.password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message

    # --- paho's thread ------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        log.info("connected to broker %s:%s", self.config.host, self.config.port)
        client.publish(
            self.topics.status,
            self.topics.status_payload("online", self._now()),
            qos=1,
            retain=True,
        )
        if self.inbox is not None:
            client.subscribe(self.topics.commands, qos=1)
        self._connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("lost the broker (%s); events wait in the record", reason_code)
        self._connected.clear()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acked.put(mid)

    def _on_message(self, client, userdata, message) -> None:
        if self.inbox is not None:
            self.inbox.put(message.topic, message.payload)  # the gate loop parses and acts

    # --- the gate's thread --------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self.client.connect_async(self.config.host, self.config.port, self.config.keepalive_s)
        self.client.loop_start()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def _collect_acks(self) -> None:
        while True:
            try:
                self._early_acks.setdefault(self._acked.get_nowait(), 0)
            except queue.Empty:
                break
        acked_rows = []
        for mid, seen in list(self._early_acks.items()):
            row_id = self._in_flight.pop(mid, None)
            if row_id is not None:
                acked_rows.append(row_id)
                del self._early_acks[mid]
            elif seen >= 2:
                # an ack for a message not from the outbox (the status): nothing waits for it
                del self._early_acks[mid]
            else:
                # paho may ack before publish() has returned the id to us: match it next time
                self._early_acks[mid] = seen + 1
        self.record.mark_sent(acked_rows, self._now())

    def pump(self) -> None:
        """Mark what the broker acknowledged; hand it what is still unsent."""
        self._collect_acks()
        if not self.connected:
            return
        room = MAX_IN_FLIGHT - len(self._in_flight)
        added = self.record.checks_added
        if room <= 0 or added == self._outbox_read_at:
            return
        rows = self.record.unsent(room, exclude=self._in_flight.values())
        handed = 0
        for row in rows:
            info = self.client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
            # NO_CONN still queues the message inside paho, which sends it on reconnect
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                break
            self._in_flight[info.mid] = row.id
            handed += 1
        if handed == len(rows) < room:
            self._outbox_read_at = added  # all of it is with paho now
        self._collect_acks()

    def flush(self, timeout_s: float, sleep: Callable[[float], None] = time.sleep) -> bool:
        """Pump until the outbox is empty or ``timeout_s`` of real time has passed."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.pump()
            if self.record.count_unsent() == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            sleep(0.02)

    def stop(self) -> None:
        self._stopping = True
        if self.connected:
            info = self.client.publish(
                self.topics.status,
                self.topics.status_payload("offline", self._now()),
                qos=1,
                retain=True,
            )
            info.wait_for_publish(timeout=2.0)
            self._collect_acks()
        self.client.disconnect()
        self.client.loop_stop()
