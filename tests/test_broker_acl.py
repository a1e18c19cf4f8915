"""The shipped broker configuration (config/mosquitto/), run by a real Mosquitto with TLS,
passwords and the ACL: who may publish and read what, and signed commands end to end."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.subscriber import Subscriber
from terminal.config import RESERVED_GATE_IDS, MqttConfig
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics
from tests.support.commands import STRANGER_KEY, Station, command_config
from tests.support.parkbroker import SHIPPED, USERS, ParkBroker
from tests.support.people import person
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

PARK = "example-park"
# the gates log in as park/id (config/mosquitto/acl)
NORTH1, NORTH2 = f"{PARK}/north-1", f"{PARK}/north-2"
ALL = "gate/v1/#"


@pytest.fixture(scope="module")
def park_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParkBroker]:
    broker = ParkBroker(tmp_path_factory.mktemp("park-broker")).start()
    try:
        yield broker
    finally:
        broker.stop()


class Client:
    """A plain MQTT client logging in as one of the broker's users."""

    def __init__(
        self,
        broker: ParkBroker,
        user: str,
        password: str | None = None,
        client_id: str = "",
        anonymous: bool = False,
    ) -> None:
        self.connack: list[str] = []
        self.disconnects = 0
        self.connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or user)
        self.client.tls_set(ca_certs=str(broker.ca))
        if not anonymous:
            self.client.username_pw_set(user, USERS.get(user) if password is None else password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connack.append(str(reason_code))
        if not reason_code.is_failure:
            self.connected.set()

    def _on_disconnect(self, *args: Any) -> None:
        self.disconnects += 1

    def publish(self, topic: str, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topic, data, qos=1).wait_for_publish(timeout=5)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def centre_subscriber(broker: ParkBroker, gate: GateTopics, user: str = "centre") -> Subscriber:
    subscription = ALL if user == "centre" else f"{gate.base}/cmd/+/result"
    return Subscriber(
        broker.host,
        broker.port,
        gate,
        ca_file=broker.ca,
        login=(user, USERS[user]),
        subscription=subscription,
    )


def test_a_gate_cannot_publish_as_another_gate(park_broker: ParkBroker) -> None:
    north1, north2 = GateTopics(PARK, "north-1"), GateTopics(PARK, "north-2")
    centre = centre_subscriber(park_broker, north1)
    gate = Client(park_broker, NORTH1)
    try:
        assert gate.connected.wait(5)
        gate.publish(north2.check, {"forged": "as north-2"})
        gate.publish(north2.alert("fever"), {"forged": "alert"})
        gate.publish(north1.command("lockdown"), {"forged": "a command to itself"})
        gate.publish(north1.check, {"own": True})
        assert wait_for(lambda: centre.received(north1.check) == [{"own": True}])
        time.sleep(0.3)  # the broker keeps order per client: anything forged came first
        assert [t for t, _ in centre.messages] == [north1.check]
    finally:
        gate.stop()
        centre.stop()


def test_a_persons_data_reaches_the_centre_and_no_dashboard(park_broker: ParkBroker) -> None:
    north1 = GateTopics(PARK, "north-1")
    centre = centre_subscriber(park_broker, north1)
    dashboard = Subscriber(
        park_broker.host, park_broker.port, north1, ca_file=park_broker.ca,
        login=("dashboard", USERS["dashboard"]), subscription=ALL,
    )  # fmt: skip
    gate = Client(park_broker, NORTH1)
    try:
        assert gate.connected.wait(5)
        time.sleep(0.3)  # the subscriptions are in place
        gate.publish(north1.person_data, {"page": 1})
        gate.publish(north1.check, {"own": True})
        assert wait_for(lambda: centre.received(north1.person_data) == [{"page": 1}])
        assert wait_for(lambda: dashboard.received(north1.check) == [{"own": True}])
        # the broker keeps order per client: the page came first, and was not given
        assert [t for t, _ in dashboard.messages] == [north1.check]
    finally:
        gate.stop()
        dashboard.stop()
        centre.stop()


def test_the_acls_users_that_are_not_gates_are_the_ids_no_gate_may_take() -> None:
    lines = (SHIPPED / "acl").read_text(encoding="utf-8").splitlines()
    users = [line.split(None, 1)[1] for line in lines if line.startswith("user ")]
    # a gate's user is park/id; every other user is one of the centre's and reserved
    assert sorted(u for u in users if "/" not in u) == sorted(RESERVED_GATE_IDS)
    patterns = [line.split() for line in lines if line.startswith("pattern ")]
    # every pattern pins the park with the username: no "+" stands for a gate's park
    assert patterns and all(topic.startswith("gate/v1/%u/") for _, _, topic in patterns)


def test_a_gate_can_neither_write_nor_read_under_another_park(park_broker: ParkBroker) -> None:
    ours, theirs = GateTopics(PARK, "north-1"), GateTopics("other-park", "north-1")
    centre = centre_subscriber(park_broker, ours)
    # the same gate id in another park: its login there is another user
    foreign = Client(park_broker, "other-park/north-1")
    listening = Subscriber(
        park_broker.host,
        park_broker.port,
        theirs,
        ca_file=park_broker.ca,
        login=(NORTH1, USERS[NORTH1]),
        subscription="gate/v1/other-park/#",
    )
    gate = Client(park_broker, NORTH1)
    try:
        assert gate.connected.wait(5) and foreign.connected.wait(5)
        time.sleep(0.3)  # the subscriptions are in place
        gate.publish(theirs.check, {"forged": "under the other park"})
        gate.publish(theirs.status, {"forged": "status there"})
        foreign.publish(ours.check, {"forged": "from the other park"})
        foreign.publish(theirs.check, {"own": "other park"})
        gate.publish(ours.check, {"own": True})
        assert wait_for(lambda: centre.received(ours.check) == [{"own": True}])
        assert wait_for(lambda: centre.received(theirs.check) == [{"own": "other park"}])
        time.sleep(0.5)  # the broker keeps order per client: anything forged came first
        assert sorted(t for t, _ in centre.messages) == sorted([ours.check, theirs.check])
        # our gate, subscribed to all of the other park, was given none of it
        assert listening.messages == []
    finally:
        gate.stop()
        foreign.stop()
        listening.stop()
        centre.stop()


def test_a_gate_reads_its_zone_peers_passages_and_nothing_else_of_theirs(
    park_broker: ParkBroker,
) -> None:
    north2 = GateTopics(PARK, "north-2")
    # north-1 asks for everything of north-2's: the broker gives it the passages and status only
    listening = Subscriber(
        park_broker.host,
        park_broker.port,
        north2,
        ca_file=park_broker.ca,
        login=(NORTH1, USERS[NORTH1]),
        subscription=f"{north2.base}/#",
    )
    peer = Client(park_broker, NORTH2)
    try:
        assert peer.connected.wait(5)
        peer.publish(north2.check, {"check": "not for the peers"})
        peer.publish(north2.command_result("lockdown"), {"result": "not for the peers"})
        peer.publish(north2.passage, {"passage": 1})
        peer.publish(north2.status, {"state": "online"})
        assert wait_for(lambda: listening.received(north2.status) == [{"state": "online"}])
        time.sleep(0.3)  # the broker keeps order per client: anything else came first
        assert [t for t, _ in listening.messages] == [north2.passage, north2.status]
    finally:
        peer.stop()
        listening.stop()


def test_nobody_takes_a_gates_identity(park_broker: ParkBroker) -> None:
    real = Client(park_broker, NORTH1)
    try:
        assert real.connected.wait(5)
        anonymous = Client(park_broker, NORTH1, anonymous=True)
        wrong = Client(park_broker, NORTH1, password="guessed", client_id=NORTH1)
        other = Client(park_broker, NORTH2, client_id=NORTH1)  # its own login, our id
        assert other.connected.wait(5)
        assert wait_for(lambda: bool(wrong.connack) and bool(anonymous.connack))
        for refused in (wrong, anonymous):
            assert refused.connack[0] in ("Not authorized", "Bad user name or password")
        time.sleep(0.5)
        assert real.disconnects == 0  # the real gate was never knocked off
        for client in (wrong, other, anonymous):
            client.stop()
    finally:
        real.stop()


def test_a_dashboard_cannot_send_commands_and_the_desk_only_its_own(
    park_broker: ParkBroker, tmp_path: Path
) -> None:
    station = gate_station(park_broker, tmp_path)
    publisher = station_publisher(park_broker, station)
    desk_user = Client(park_broker, "security-desk")
    dashboard = Client(park_broker, "dashboard")
    centre = Client(park_broker, "centre")
    try:
        assert publisher.wait_connected(5) and dashboard.connected.wait(5)
        assert desk_user.connected.wait(5) and centre.connected.wait(5)
        time.sleep(0.3)  # the gate's subscription is in place
        topics = station.messages.topics
        lockdown = station.command("lockdown", {"on": True, "reason": "from a dashboard"})
        dashboard.publish(topics.command("lockdown"), lockdown)
        from_desk = station.command("lockdown", {"on": True, "reason": "desk"})
        desk_user.publish(topics.command("lockdown"), from_desk)
        resolve = {"flag_id": "f-1", "reading_c": 36.9, "outcome": "normal", "by": "guard-1"}
        answer = station.command("resolve_secondary", resolve)
        desk_user.publish(topics.command("resolve_secondary"), answer)
        centre.publish(topics.command("open_once"), station.command("open_once", {"reason": "x"}))
        arrived: list[str] = []
        assert wait_for(lambda: _drain(publisher, arrived) and len(arrived) >= 2, timeout_s=5)
        time.sleep(0.3)
        _drain(publisher, arrived)
        assert sorted(arrived) == ["open_once", "resolve_secondary"]
        assert not station.state.lockdown
    finally:
        for client in (desk_user, dashboard, centre):
            client.stop()
        publisher.stop()


def _drain(publisher: Publisher, into: list[str]) -> bool:
    while not publisher.commands.empty():
        into.append(publisher.commands.get_nowait()[0])
    return True


def gate_station(broker: ParkBroker, tmp_path: Path) -> Station:
    config = command_config(tmp_path, gate={"id": "north-1", "park": PARK})
    return Station(config, [person("A", 0)], tmp_path)


def station_publisher(broker: ParkBroker, station: Station, user: str = NORTH1) -> Publisher:
    mqtt_config = MqttConfig(
        host=broker.host,
        port=broker.port,
        tls=True,
        ca_file=broker.ca,
        credentials_file=broker.credentials_file(user),
    )
    publisher = Publisher(
        station.record,
        mqtt_config,
        station.messages.topics,
        client_id=station.config.gate.id,
        state=station.state,
        commands=True,
    )
    publisher.start()
    return publisher


def test_signed_commands_through_the_broker_refused_when_replayed_expired_or_forged(
    park_broker: ParkBroker, tmp_path: Path
) -> None:
    station = gate_station(park_broker, tmp_path)
    topics = station.messages.topics
    # a dashboard watches the results (one login is one client: the centre sends)
    centre_view = centre_subscriber(park_broker, topics, user="dashboard")
    publisher = station_publisher(park_broker, station)
    centre = Client(park_broker, "centre")
    try:
        assert publisher.wait_connected(5) and centre.connected.wait(5)
        time.sleep(0.3)
        good = station.command("lockdown", {"on": True, "reason": "red card"})
        for command in (
            good,
            good,  # the same again: a replay
            station.command("lockdown", {"on": False, "reason": "x"}, lifetime_s=-5.0),
            station.command("lockdown", {"on": False, "reason": "x"}, key=STRANGER_KEY),
        ):
            centre.publish(topics.command("lockdown"), command)
        result_topic = topics.command_result("lockdown")

        def all_answered() -> bool:
            station.desk.run_pending(publisher.commands)
            publisher.pump()
            return len(centre_view.received(result_topic)) >= 4

        assert wait_for(all_answered)
        results = [m["data"] for m in centre_view.received(result_topic)]
        assert [r["outcome"] for r in results] == ["done", "refused", "refused", "refused"]
        assert "a replay" in results[1]["detail"]
        assert "expired" in results[2]["detail"]
        assert "does not verify" in results[3]["detail"]
        assert station.state.lockdown  # only the good one ran
    finally:
        centre.stop()
        publisher.stop()
        centre_view.stop()


def test_a_gate_with_the_wrong_password_says_not_authorised_once(
    park_broker: ParkBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    station = gate_station(park_broker, tmp_path)
    login = tmp_path / "wrong.toml"
    login.write_text(f'username = "{NORTH1}"\npassword = "old-password"\n', encoding="utf-8")
    login.chmod(0o600)
    mqtt_config = MqttConfig(
        host=park_broker.host,
        port=park_broker.port,
        tls=True,
        ca_file=park_broker.ca,
        credentials_file=login,
    )
    publisher = Publisher(
        station.record, mqtt_config, station.messages.topics, client_id="north-1",
        state=station.state,
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="terminal.link.publisher"):
        publisher.start()
        try:
            assert not publisher.wait_connected(3.5)  # several attempts, one second apart
        finally:
            publisher.stop()
    refusals = [r for r in caplog.records if "not_authorised" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.ERROR
    assert "old-password" not in caplog.text
    assert station.state.connection is not None
    assert station.state.connection.kind == "not_authorised"


def test_a_broker_certificate_from_elsewhere_is_a_tls_failure_said_once(
    park_broker: ParkBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.tls import make_ca

    station = gate_station(park_broker, tmp_path)
    stranger_ca, _ = make_ca(tmp_path, "someone-else")
    mqtt_config = MqttConfig(
        host=park_broker.host,
        port=park_broker.port,
        tls=True,
        ca_file=stranger_ca,
        credentials_file=park_broker.credentials_file(NORTH1),
    )
    publisher = Publisher(
        station.record, mqtt_config, station.messages.topics, client_id="north-1",
        state=station.state,
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="terminal.link.publisher"):
        publisher.start()
        try:
            assert not publisher.wait_connected(3.5)
        finally:
            publisher.stop()
    failures = [r for r in caplog.records if "(tls_failure)" in r.getMessage()]
    assert len(failures) == 1 and "CERTIFICATE_VERIFY_FAILED" in failures[0].getMessage()
