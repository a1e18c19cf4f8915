"""A zone's gate hears its peers' status as well as their passages: a peer whose link dies (its
last will, ``lost``) may go on letting people through while its passages cannot reach the zone,
so the gate says so in its status, one log line and the record, until the peer is heard again."""

from __future__ import annotations

import json
import queue
import sqlite3
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker
from terminal.config import Config
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, new_event_id
from terminal.link.zonelink import ZoneLink, peer_passage_topics, peer_status_topics
from terminal.record.store import Record
from terminal.state import GateState
from tests.support.waiting import wait_for
from tests.support.zone_peers import peer_passages, zone_gate


def publisher_for(
    config: Config, record: Record, broker: PrivateBroker, state: GateState
) -> Publisher:
    mqtt = config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
    return Publisher(
        record,
        mqtt,
        GateTopics(config.gate.park, config.gate.id),
        client_id=f"{config.gate.id}-{new_event_id()[:6]}",
        state=state,
        peer_passages=peer_passage_topics(config),
        peer_statuses=peer_status_topics(config),
    )


def hear(publisher: Publisher, link: ZoneLink) -> None:
    """What the gate's loop does with what its peers sent."""
    while True:
        try:
            message = publisher.peer_passages.get_nowait()
        except queue.Empty:
            return
        link.apply(message.topic, message.payload)
        publisher.peer_taken(message)


def hearing(
    publisher: Publisher, link: ZoneLink, condition: Callable[[], bool]
) -> Callable[[], bool]:
    def heard() -> bool:
        hear(publisher, link)
        return condition()

    return heard


def zone_events(config: Config) -> list[tuple[str, str]]:
    with sqlite3.connect(config.resolved(config.record.path)) as db:
        return db.execute("SELECT kind, detail FROM zone_events ORDER BY at_s").fetchall()


def test_a_peer_that_loses_its_link_is_named_until_it_is_back(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    own, peer = zone_gate(tmp_path, "hall-in"), zone_gate(tmp_path, "hall-out")
    state = GateState(risk_tier="low")
    record = Record(own.resolved(own.record.path))
    link = ZoneLink(own, record, state, lambda: None)
    listening = publisher_for(own, record, broker, state)
    peer_record = Record(peer.resolved(peer.record.path))
    peer_publisher = publisher_for(peer, peer_record, broker, GateState(risk_tier="low"))
    try:
        listening.start()
        peer_publisher.start()
        assert listening.wait_connected(10) and peer_publisher.wait_connected(10)
        # the peer's "online" is heard: nothing is assumed
        assert wait_for(hearing(listening, link, lambda: listening.peer_passages.empty()))
        assert state.zone_assumption is None and link.lost_peers == {}
        # the peer's connection dies without a goodbye: the broker sends its last will
        peer_publisher.client.socket().close()
        assert wait_for(hearing(listening, link, lambda: "hall-out" in link.lost_peers))
        assumption = state.zone_assumption
        assert assumption is not None and "gate hall-out unheard since" in assumption
        assert "occupancy may be under-counted" in assumption
        # it reconnects by itself and says it is online: the assumption is gone
        assert wait_for(hearing(listening, link, lambda: link.lost_peers == {}), 30)
        assert state.zone_assumption is None
        kinds = [kind for kind, _ in zone_events(own)]
        assert kinds == ["peer_lost", "peer_back"]
    finally:
        peer_publisher.stop()
        listening.stop()
        record.close()
        peer_record.close()


def test_a_peer_stopped_cleanly_or_an_impostor_changes_nothing(tmp_path: Path) -> None:
    own = zone_gate(tmp_path, "hall-in")
    state = GateState(risk_tier="low")
    record = Record(own.resolved(own.record.path))
    link = ZoneLink(own, record, state, lambda: None)
    status_topic = GateTopics("test-park", "hall-out").status

    def status(gate: str, state_name: str) -> bytes:
        fields = {
            "schema": "gate.status/1",
            "park": "test-park",
            "gate": gate,
            "state": state_name,
            "boot_id": "b",
            "software_version": "1",
            "config_hash": "0",
            "occurred_at": None,
        }
        return json.dumps(fields).encode()

    assert not link.apply(status_topic, status("hall-out", "offline"))
    assert not link.apply(status_topic, status("yard-1", "lost"))  # another gate's, on this topic
    assert not link.apply(status_topic, b"{not json")
    assert not link.apply(status_topic, b"")  # a retained status cleared
    assert state.zone_assumption is None and link.lost_peers == {}
    # a status on a gate's topic outside the zone is not even looked at
    assert not link.apply(GateTopics("test-park", "yard-1").status, status("yard-1", "lost"))
    assert link.apply(status_topic, status("hall-out", "lost"))
    assert not link.apply(status_topic, status("hall-out", "lost"))  # heard again: once
    ((kind, detail),) = zone_events(own)
    assert kind == "peer_lost" and detail.startswith("gate hall-out lost its link at ")
    record.close()


def send_all(broker: PrivateBroker, messages: list[tuple[str, str]]) -> None:
    sender = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hall-out-burst")
    sender.max_inflight_messages_set(200)
    sender.connect(broker.host, broker.port)
    sender.loop_start()
    try:
        for topic, payload in messages:
            info = sender.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=30)
    finally:
        sender.loop_stop()
        sender.disconnect()


def test_a_burst_of_peer_passages_is_counted_whole(tmp_path: Path, broker: PrivateBroker) -> None:
    """A gate back from a cut-off is sent its peers' passages in a burst (the broker kept them):
    each is counted, none dropped, however many come at once."""
    own = zone_gate(tmp_path, "hall-in")
    state = GateState(risk_tier="low")
    record = Record(own.resolved(own.record.path))
    link = ZoneLink(own, record, state, lambda: None)
    listening = publisher_for(own, record, broker, state)
    burst = 1500
    try:
        listening.start()
        assert listening.wait_connected(10)
        send_all(broker, peer_passages(burst))
        assert wait_for(hearing(listening, link, lambda: record.occupancy("hall") == burst), 60)
    finally:
        listening.stop()
        record.close()


def test_a_peer_passage_heard_but_not_yet_written_down_is_heard_again(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    """The gate dies between hearing its peers' passages and writing them down: they were not
    acknowledged, so the broker sends them again to the gate started anew (its session kept),
    and the zone's count misses none."""
    own = zone_gate(tmp_path, "hall-in")
    state = GateState(risk_tier="low")
    record = Record(own.resolved(own.record.path))
    link = ZoneLink(own, record, state, lambda: None)
    mqtt_config = own.mqtt.model_copy(update={"host": broker.host, "port": broker.port})

    def gate_publisher() -> Publisher:
        return Publisher(
            record,
            mqtt_config,
            GateTopics(own.gate.park, own.gate.id),
            client_id="hall-in-kept-session",
            state=state,
            commands=True,  # a gate keeps its session
            peer_passages=peer_passage_topics(own),
        )

    first = gate_publisher()
    first.start()
    assert first.wait_connected(10)
    send_all(broker, peer_passages(5))
    assert wait_for(lambda: first.peer_passages_heard == 5)
    first.client.socket().close()  # the gate dies: nothing of it written down, nothing acknowledged
    first.client.loop_stop()
    again = gate_publisher()
    try:
        again.start()
        assert again.wait_connected(10)
        assert wait_for(hearing(again, link, lambda: record.occupancy("hall") == 5), 30)
    finally:
        again.stop()
        record.close()
