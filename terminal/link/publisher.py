"""Sends the record's outbox to the MQTT broker, QoS 1, in ``seq`` order; takes the gate's commands
from it. The paho client is made and configured in terminal/link/transport.py.

A message is marked sent only when the broker acknowledges it (PUBACK). Until then it stays in the
outbox: paho resends it after a reconnect, and after a restart the outbox is read again. The
operations centre may therefore see a message twice, never zero times; ``event_id`` tells repeats
apart. A message that waited (written while the broker was away, or before this start) goes out
with ``replayed`` set. paho's callbacks run on its network thread, so they only hand things over
(acknowledged ids, commands) through queues; the record is written from the gate's thread.

Connection trouble is logged once when it starts and once when it ends, by kind (refused, unknown
host, TLS failure, not authorised), and the status says what the last trouble was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from terminal.common.safefile import UnreadableFile, read_regular_file
from terminal.common.version import software_version
from terminal.config import MAX_CONFIG_BYTES, MqttConfig
from terminal.link import contract
from terminal.link.mqtt_intake import SizeWall
from terminal.link.topics import GateTopics, metrics_payload, status_payload
from terminal.link.transport import (
    HANDED_OVER,
    MAX_IN_FLIGHT,
    Message,
    classify,
    new_gate_client,
)
from terminal.record.store import Record, RecordError
from terminal.state import ConnectionTrouble, GateState

log = logging.getLogger(__name__)

COMMAND_NAME = re.compile(contract.NAME)
# commands waiting for the gate's loop: a flood is dropped (and said once), never allowed to
# grow without end; the gate takes what waits between two camera frames
COMMAND_QUEUE_SIZE = 64


@dataclass(frozen=True)
class PeerMessage:
    """A zone peer's passage or status, for the gate's thread; acknowledged to the broker once
    the gate has applied it (``Publisher.peer_taken``)."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    connection: int  # an acknowledgement is only valid on the connection it came by


def config_hash(path: Path) -> str:
    try:
        config = read_regular_file(path, max_bytes=MAX_CONFIG_BYTES, what="config")
    except UnreadableFile:
        return "0" * 16
    return hashlib.sha256(config).hexdigest()[:16]


class Publisher:
    def __init__(
        self,
        record: Record,
        config: MqttConfig,
        topics: GateTopics,
        *,
        client_id: str,
        now: Callable[[], float] = time.time,
        state: GateState | None = None,
        boot_id: str = "0" * 32,
        config_file: Path | None = None,
        commands: bool = False,
        peer_passages: Collection[str] = (),
        peer_statuses: Collection[str] = (),
    ) -> None:
        self.record = record
        self.config = config
        self.topics = topics
        self.state = state or GateState(risk_tier="low")
        self.boot_id = boot_id
        self._version = software_version()
        self._config_hash = config_hash(config_file) if config_file else "0" * 16
        self._now = now
        self._acked: queue.SimpleQueue[int] = queue.SimpleQueue()
        # commands from the centre: (name, payload bytes), for the gate's thread to verify and run
        self.commands: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=COMMAND_QUEUE_SIZE)
        self.commands_dropped = 0
        self._take_commands = commands
        # the passage topics of the zone's other gates: (topic, payload) for the gate's thread
        self._peer_topics = frozenset(peer_passages)
        # and their status topics: a peer's last will says its passages may be missing
        self._peer_status_topics = frozenset(peer_statuses)
        # not bounded: each is acknowledged only once applied, and one dropped here would be
        # lost to the zone's count until a reconnection; the broker's queue bounds a burst (the
        # zone's passages while the gate was cut off), which the gate takes in over a few polls
        self.peer_passages: queue.SimpleQueue[PeerMessage] = queue.SimpleQueue()
        self.peer_passages_heard = 0  # since start: the zone link's traffic
        self.size_wall = SizeWall("", log)  # messages over the contract's size, refused unread
        self._in_flight: dict[int, int] = {}  # paho message id -> outbox row id
        self._early_acks: dict[int, int] = {}  # acked id -> collections it went unmatched
        self._acked_unrecorded: list[int] = []  # outbox rows acknowledged, not yet marked
        # the record's writes_added when the outbox was last read to its end; -1: never (a
        # restart may have left messages waiting)
        self._outbox_read_at = -1
        # rows up to this id were waiting when the connection came up: they are replayed
        self._backlog_upto = 0
        self._connections = 0  # connects seen by paho's thread
        self._connections_seen = 0  # connects the gate's thread has handled
        self._connected = threading.Event()
        self._stopping = False
        self._trouble_logged: str | None = None
        self.client = new_gate_client(
            config,
            client_id=client_id,
            keep_session=commands,
            size_wall=self.size_wall,
            will=(topics.status, self.status_payload("lost")),
        )
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message

    # --- status --------------------------------------------------------------------------------
    def status_payload(self, state: str) -> str:
        """The gate's status message now: ``online``, ``offline``, or ``lost`` (the last will)."""
        return status_payload(
            self.topics,
            state,
            self.state,
            boot_id=self.boot_id,
            software_version=self._version,
            config_hash=self._config_hash,
            now=self._now,
        )

    def publish_status(self) -> None:
        """Send the status now (after a change the centre must see: lockdown, a fault)."""
        if self.connected:
            self.client.publish(
                self.topics.status, self.status_payload("online"), qos=1, retain=True
            )

    def publish_metrics(self, sent_total: int, checks_since_boot: int, uptime_s: float) -> None:
        if not self.connected:
            return
        counts = {
            "backlog": self.state.backlog,
            "sent_total": sent_total,
            "checks_since_boot": checks_since_boot,
            "uptime_s": uptime_s,
            "refused_oversized": self.size_wall.refused,
        }
        payload = metrics_payload(self.topics, self.boot_id, self._now(), counts)
        self.client.publish(self.topics.metrics, payload, qos=0)

    # --- connection trouble: once when it starts, once when it ends ----------------------------
    def _trouble(self, kind: str, detail: str) -> None:
        if self._stopping:
            return
        where = f"{self.config.host}:{self.config.port}"
        if self._trouble_logged is None:
            log.error("broker %s: %s (%s); events wait in the record", where, detail, kind)
            self.state.connection = ConnectionTrouble(kind, time.time())
        elif self._trouble_logged != kind and self.state.connection is not None:
            # the same outage, seen differently (lost, then refused while the broker restarts):
            # the status follows, the log has said it once already
            log.debug("broker %s: %s (%s)", where, detail, kind)
            self.state.connection.kind = kind
        self._trouble_logged = kind

    def _trouble_over(self) -> None:
        trouble = self.state.connection
        if self._trouble_logged is not None and trouble is not None:
            trouble.ended_s = time.time()
            log.warning(
                "broker %s:%s reached again after %.0f s of %s",
                self.config.host,
                self.config.port,
                trouble.ended_s - trouble.since_s,
                trouble.kind,
            )
        self._trouble_logged = None

    # --- paho's thread ------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            name = str(reason_code).lower()
            kind = "not_authorised" if "authori" in name or "password" in name else "refused"
            self._trouble(kind, f"the broker refused the connection: {reason_code}")
            return
        self._trouble_over()
        log.info("connected to broker %s:%s", self.config.host, self.config.port)
        if self._take_commands:
            client.subscribe(self.topics.commands, qos=1)
        for topic in sorted(self._peer_topics | self._peer_status_topics):
            client.subscribe(topic, qos=1)
        client.publish(self.topics.status, self.status_payload("online"), qos=1, retain=True)
        self._connections += 1
        self._connected.set()

    def _on_connect_fail(self, client, userdata) -> None:
        self._trouble(*classify(self.client.last_connect_error))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set() and not self._stopping:
            self._trouble("lost", f"lost the connection ({reason_code})")
        self._connected.clear()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acked.put(mid)

    def _on_message(self, client, userdata, message: Message) -> None:
        if self.size_wall.refuses(client, message):
            return  # over the contract's largest message: acknowledged, never parsed
        passage = message.topic in self._peer_topics
        if passage or message.topic in self._peer_status_topics:
            peer = PeerMessage(
                message.topic, bytes(message.payload), message.mid, message.qos, self._connections
            )
            self.peer_passages.put(peer)
            if passage:
                self.peer_passages_heard += 1
            return
        client.ack(message.mid, message.qos)  # a command is in the gate's own queue from here
        name = self.topics.command_name(message.topic)
        if name is None or not COMMAND_NAME.match(name):
            log.warning("ignored a message on %s: not a command of this gate", message.topic)
            return
        try:
            self.commands.put_nowait((name, bytes(message.payload)))
        except queue.Full:
            if self.commands_dropped == 0:
                log.warning("commands arrive faster than the gate takes them: dropping the excess")
            self.commands_dropped += 1
            return
        self.commands_dropped = 0

    # --- the gate's thread --------------------------------------------------------------------
    def peer_taken(self, message: PeerMessage) -> None:
        """The gate has applied a zone peer's message: the broker may forget it. One that came
        by an earlier connection is not acknowledged (its id may be another's now): the broker
        sends it again, and the gate counts a passage once."""
        if message.qos > 0 and message.connection == self._connections:
            self.client.ack(message.mid, message.qos)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self.state.backlog = self.record.count_unsent()
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
        acked_rows += self._acked_unrecorded
        if acked_rows:
            try:
                self.record.mark_sent(acked_rows, time.time())
            except RecordError as exc:
                # a full disk: the broker has them; keep the ids, mark them when it can, and
                # do not send them again meanwhile
                if not self._acked_unrecorded:
                    log.error("cannot mark messages sent in the record: %s", type(exc).__name__)
                self._acked_unrecorded = acked_rows
                return
            self._acked_unrecorded = []
            self.state.backlog = max(0, self.state.backlog - len(acked_rows))

    def pump(self) -> None:
        """Mark what the broker acknowledged; hand it what is still unsent, in seq order."""
        self._collect_acks()
        if not self.connected:
            return
        if self._connections != self._connections_seen:
            # a (re)connection: what waits in the outbox now is the backlog, including what was
            # handed to paho but never acknowledged (sent again: a duplicate at worst, never a
            # loss; consumers deduplicate on event_id)
            self._connections_seen = self._connections
            self._collect_acks()
            self._in_flight.clear()
            self._early_acks.clear()
            self._backlog_upto = self.record.max_outbox_id()
            self.state.backlog = self.record.count_unsent()
            self._outbox_read_at = -1
        room = MAX_IN_FLIGHT - len(self._in_flight)
        added = self.record.writes_added
        if room <= 0 or added == self._outbox_read_at:
            return
        self.state.backlog = self.record.count_unsent()
        rows = self.record.unsent(
            room, exclude=[*self._in_flight.values(), *self._acked_unrecorded]
        )
        handed = 0
        for row in rows:
            payload = row.payload
            if row.id <= self._backlog_upto:
                payload = _replayed(payload)
            info = self.client.publish(row.topic, payload, qos=row.qos, retain=row.retain)
            if info.rc not in HANDED_OVER:
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
                self.topics.status, self.status_payload("offline"), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout=2.0)
            except (RuntimeError, ValueError):
                # the broker went between our last look and now: the last will says offline
                log.info("stopping: the broker is gone, its last will says the gate is offline")
            self._collect_acks()
        self.client.disconnect()
        self.client.loop_stop()


def _replayed(payload: str) -> str:
    data = json.loads(payload)
    if isinstance(data, dict) and "replayed" in data:
        data["replayed"] = True
    return json.dumps(data, separators=(",", ":"), sort_keys=True)
