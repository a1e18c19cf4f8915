"""The collector and the sender against a real Mosquitto: what the gates publish ends up in the
centre's database once, also when a collector stops or crashes in the middle of the flow; and a
command the centre sends is one a gate takes."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker
from simulator.postgres import PrivatePostgres
from terminal.centre.collector import Collector
from terminal.centre.config import CentreConfig
from terminal.centre.flags import flag_ref
from terminal.centre.sender import CommandNotSent, CommandSender, MqttLink
from terminal.centre.store import CheckQuery, Store, open_store
from terminal.centre.web.desk import needs_alarm
from tests.support.centre_fixture import Publisher, centre_config, running_centre, wait_until
from tests.support.centre_messages import FakeGate, at
from tests.support.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

MORNING = at("2026-06-01T08:00:00+08:00")


def count_checks(store: Store) -> int:
    return len(store.checks(CheckQuery(), limit=100_000))


def test_the_collector_stores_what_the_gates_publish(broker: PrivateBroker, tmp_path: Path) -> None:
    gate = FakeGate("g1")
    publisher = Publisher(broker.port)
    try:
        # published before the centre starts: the broker keeps the gate's status (retained)
        publisher.publish([gate.status("online", MORNING, lockdown=True)], retain=True)
        config = centre_config(tmp_path, broker.port, gates=["g1"])
        with running_centre(config) as centre:
            row, flagged = gate.flagged(MORNING)
            publisher.publish([gate.check(MORNING), *flagged])
            publisher.publish([(gate.topics.check, b"{garbage")])  # nothing stops the collector
            publisher.publish([gate.check(MORNING)])
            wait_until(lambda: count_checks(centre.store) == 3, what="three checks stored")
            wait_until(lambda: centre.store.bad_payloads == 1, what="the garbage counted")
            [flag] = centre.store.flags(open_only=True)
            assert flag.flag_id == row.event_id
            [view] = centre.store.gates(MORNING)
            assert view.lockdown is True and view.state == "online"
    finally:
        publisher.publish([(gate.topics.status, b"")], retain=True)  # the broker forgets it
        publisher.close()


def test_a_gate_cannot_close_another_gates_flag_through_the_collector(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    """north-2 publishes, on its own topics, an outcome and a fever naming north-1's flag, and a
    north-1 outcome on a north-2 topic: north-1's flag stays open with its alarm on the desk,
    and the forged one is in the audit log."""
    north_1, north_2 = FakeGate("north-1"), FakeGate("north-2")
    publisher = Publisher(broker.port)
    try:
        config = centre_config(tmp_path, broker.port, gates=["north-1", "north-2"])
        with running_centre(config) as centre:
            store = centre.store
            row, flagged = north_1.flagged(MORNING)
            publisher.publish(flagged)
            wait_until(lambda: len(store.flags()) == 1, what="north-1's flag")
            later = MORNING + timedelta(minutes=2)
            topic, payload = north_1.resolved(row.event_id, later, "admitted")
            publisher.publish(
                [
                    north_2.resolved(row.event_id, later, "admitted"),
                    north_2.fever(row.event_id, later),
                    (topic.replace("/north-1/", "/north-2/"), payload),
                ]
            )
            wait_until(lambda: store.bad_payloads == 1, what="the forged outcome refused")
            wait_until(lambda: len(store.flags()) == 2, what="north-2's own flag")
            alarms = [(f.gate, f.flag_id) for f in store.flags() if needs_alarm(f)]
            assert alarms == [("north-1", row.event_id)]
            mine = store.flag(flag_ref("p1", "north-1", row.event_id))
            assert mine is not None and (mine.state, mine.guard) == ("open", None)
            [refusal] = store.audit_log()
            assert (refusal.user, refusal.action) == ("gate p1/north-2", "refused")
            assert "names p1/north-1" in refusal.detail
    finally:
        publisher.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_gate_sending_another_gates_event_id_first_does_not_drop_the_real_event(
    broker: PrivateBroker, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    """north-2 learnt the id of north-1's next check and publishes a check of its own under it,
    before north-1 does: both are stored, each under its gate, and north-1's is the real one."""
    north_1, north_2 = FakeGate("north-1"), FakeGate("north-2")
    real = north_1.check(MORNING, person_id="W0001")
    event_id = json.loads(real[1])["event_id"]
    forged = north_2.check(MORNING, person_id="W6666", decision="deny", reason="code_red",
                           event_id=event_id)  # fmt: skip
    publisher = Publisher(broker.port)
    try:
        config = centre_config(
            tmp_path, broker.port, gates=["north-1", "north-2"],
            database_url=database_url(request, kind),
        )  # fmt: skip
        with running_centre(config) as centre:
            store = centre.store
            publisher.publish([forged])
            wait_until(lambda: count_checks(store) == 1, what="north-2's check")
            publisher.publish([real])
            wait_until(lambda: count_checks(store) == 2, what="north-1's check, not a duplicate")
            [mine] = store.checks(CheckQuery(gate="north-1"))
            assert (mine.event_id, mine.person_id, mine.decision) == (event_id, "W0001", "admit")
            assert store.bad_payloads == 0
    finally:
        publisher.close()


def flow(publisher: Publisher, gates: list[FakeGate], total: int, sent: list[str]) -> None:
    """Gates publishing checks at a steady pace, each remembered by its event id."""
    for index in range(total):
        gate = gates[index % len(gates)]
        topic, payload = gate.check(MORNING, person_id=f"W{index:05d}")
        sent.append(json.loads(payload)["event_id"])
        publisher.publish([(topic, payload)])
        if index % 20 == 0:
            time.sleep(0.01)


def collector(config: CentreConfig, name: str) -> Collector:
    store = open_store(config.database_url(), config.board_settings())
    return Collector(store, config.mqtt, config.park, client_id=name, batch_max=20).start()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_collectors_share_the_flow_and_lose_nothing_when_one_crashes_or_stops(
    broker: PrivateBroker, tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    config = centre_config(tmp_path, broker.port, database_url=database_url(request, kind))
    a, b = collector(config, "centre-a"), collector(config, "centre-b")
    gates = [FakeGate(f"g{n}") for n in range(1, 5)]
    publisher = Publisher(broker.port)
    sent: list[str] = []
    total = 900
    pump = threading.Thread(target=flow, args=(publisher, gates, total, sent))
    pump.start()
    restarted: Collector | None = None
    c: Collector | None = None
    try:
        wait_until(lambda: len(sent) >= total // 3, what="a third of the flow")
        a.kill()  # a crash: what it took and had not stored is not acknowledged
        stored_by_a = a.stored
        wait_until(lambda: len(sent) >= total // 2, what="half of the flow")
        # back under the same client id: the broker hands over what it queued meanwhile
        restarted = collector(config, "centre-a")
        wait_until(lambda: len(sent) >= 2 * total // 3, what="two thirds of the flow")
        c = collector(config, "centre-c")
        b.stop()  # stopped on purpose: its share goes to the others
        pump.join(60)
        store = restarted.store
        wait_until(lambda: count_checks(store) >= total, 30, "every check stored")
        time.sleep(0.3)  # anything stored twice would show now
        ids = [check.event_id for check in store.iter_checks(CheckQuery())]
        assert len(ids) == total and set(ids) == set(sent)
        assert stored_by_a > 0 and b.stored > 0 and c.stored > 0
        assert restarted.stored > 0  # the queued share reached the collector when it came back
    finally:
        pump.join(60)
        publisher.close()
        for running in (restarted, c, b):
            if running is not None:
                running.stop()
        for opened in (a, b, restarted, c):
            if opened is not None:
                opened.store.close()


def test_the_centre_signs_a_command_a_real_gate_takes_and_sees_its_result(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    from tests.support.commands import CENTRE_KEY, CENTRE_KEY_ID, Station, command_config
    from tests.support.people import person

    station = Station(command_config(tmp_path), [person("A", 0)], tmp_path)
    park, gate_id = station.config.gate.park, station.config.gate.id
    config = centre_config(tmp_path, broker.port, key=CENTRE_KEY, key_id=CENTRE_KEY_ID, park=park)
    received: list[tuple[str, bytes]] = []
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-gate-cmd")
    subscribed = threading.Event()
    listener.on_connect = lambda c, *a: c.subscribe(station.messages.topics.commands, qos=1)
    listener.on_subscribe = lambda *a: subscribed.set()
    listener.on_message = lambda c, u, m: received.append((m.topic, bytes(m.payload)))
    listener.connect("127.0.0.1", broker.port)
    listener.loop_start()
    publisher = Publisher(broker.port)
    try:
        assert subscribed.wait(10)
        with running_centre(config) as centre:
            assert config.commands is not None
            link = MqttLink(config.mqtt, "test-centre-sender")
            # the gate's clock is the simulator's: the centre signs by it, as a synced clock would
            key, key_id = config.commands.private_key(), config.commands.key_id
            sender = CommandSender(centre.store, key, key_id, link, clock=station.rig.clock.time)
            try:
                command_id = sender.send(
                    "lockdown", park, gate_id, {"on": True, "reason": "drill"}, "alice"
                )
                with pytest.raises(CommandNotSent, match="payload"):
                    sender.send("lockdown", park, gate_id, {"on": "maybe"}, "alice")
            finally:
                sender.close()
            wait_until(lambda: len(received) == 1, what="the command at the gate")
            topic, raw = received[0]
            name = station.messages.topics.command_name(topic)
            assert name == "lockdown"
            result = station.desk.take(name, raw)  # the gate's own verification and handler
            assert (result.outcome, result.command_id) == ("done", command_id)
            assert station.state.lockdown is True
            # the gate's answer travels back to the centre
            [answer] = [m for m in station.record.outbox() if m["topic"].endswith("/result")]
            publisher.publish([(answer["topic"], answer["payload"].encode())])
            wait_until(
                lambda: centre.store.command_results()[0].outcome == "done",
                what="the gate's answer at the centre",
            )
            [view] = centre.store.command_results()
            assert (view.command_id, view.issued_by, view.gate) == (command_id, "alice", gate_id)
            [audit] = centre.store.audit_log()
            assert (audit.user, audit.action) == ("alice", "command")
            assert audit.detail.startswith(f"lockdown to {park}/{gate_id}")
            # a command altered on the way is refused by the gate
            forged = json.loads(raw)
            forged["payload"]["on"] = False
            forged["command_id"] = "forged-0001"
            refused = station.desk.take("lockdown", json.dumps(forged).encode())
            assert refused.outcome == "refused" and "signature" in refused.detail
    finally:
        publisher.close()
        listener.disconnect()
        listener.loop_stop()


def test_a_sender_without_a_broker_says_so_and_records_the_failure(tmp_path: Path) -> None:
    from simulator.broker import free_port

    config = centre_config(tmp_path, free_port())  # nobody listens there
    store = open_store(config.database_url(), config.board_settings())
    assert config.commands is not None
    link = MqttLink(config.mqtt, "test-centre-nobroker")
    sender = CommandSender(store, config.commands.private_key(), config.commands.key_id, link)
    try:
        import terminal.centre.sender as sender_module

        sender_module.PUBLISH_TIMEOUT_S, saved = 0.5, sender_module.PUBLISH_TIMEOUT_S
        try:
            with pytest.raises(CommandNotSent, match="not connected"):
                sender.send("set_risk_tier", "p1", "g1", {"tier": "high"}, "bob")
        finally:
            sender_module.PUBLISH_TIMEOUT_S = saved
        [view] = store.command_results()
        assert view.outcome == "failed" and "not sent" in view.detail
    finally:
        sender.close()
        store.close()


def test_a_database_connection_lost_mid_flow_loses_nothing(
    broker: PrivateBroker, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """PostgreSQL restarted or failed over: the collector's batch fails, stays unacknowledged,
    and is stored once the connection is made again."""
    import psycopg

    server: PrivatePostgres = request.getfixturevalue("postgres_server")
    url = server.new_database()
    config = centre_config(tmp_path, broker.port, database_url=url)
    running = collector(config, "centre-pg-loss")
    publisher = Publisher(broker.port)
    gate = FakeGate("g1")
    try:
        publisher.publish([gate.check(MORNING) for _ in range(50)])
        wait_until(lambda: count_checks(running.store) == 50, what="the first 50")
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (url.rsplit("/", 1)[1],),
            )
        publisher.publish([gate.check(MORNING) for _ in range(50)])
        # the collector alone uses its connection: it meets the closed one, and tries again
        wait_until(lambda: running.stored == 100, 20, "the next 50 stored")
        assert running.failures >= 1
        assert count_checks(running.store) == 100
    finally:
        publisher.close()
        running.stop()
        running.store.close()


def test_the_centre_on_the_parks_own_broker_with_tls_passwords_and_acl(tmp_path: Path) -> None:
    """The broker as config/mosquitto ships it: TLS, a password per user, the ACL, and the user
    name taken as the client id, so the centre's collector and its commands share one login."""
    from tests.support.parkbroker import USERS, ParkBroker

    (tmp_path / "broker").mkdir()
    broker = ParkBroker(tmp_path / "broker").start()
    gate = FakeGate("north-1", park="example-park")
    commands: list[bytes] = []
    subscribed = threading.Event()
    gate_client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="example-park/north-1")
    gate_client.tls_set(ca_certs=str(broker.ca))
    gate_client.username_pw_set("example-park/north-1", USERS["example-park/north-1"])
    gate_client.on_connect = lambda c, *a: c.subscribe(gate.topics.commands, qos=1)
    gate_client.on_subscribe = lambda *a: subscribed.set()
    gate_client.on_message = lambda c, u, m: commands.append(bytes(m.payload))
    try:
        mqtt_section = {
            "host": "127.0.0.1",
            "tls": True,
            "ca_file": str(broker.ca),
            "credentials_file": str(broker.credentials_file("centre")),
        }
        config = centre_config(tmp_path, broker.port, park="example-park", mqtt=mqtt_section)
        gate_client.connect(broker.host, broker.port)
        gate_client.loop_start()
        assert subscribed.wait(10)
        with running_centre(config) as centre:
            gate_client.publish(*gate.check(MORNING), qos=1).wait_for_publish(5)
            wait_until(lambda: count_checks(centre.store) == 1, what="the check over TLS")
            assert centre.sender is not None
            centre.sender.send(
                "set_risk_tier", "example-park", "north-1", {"tier": "high"}, "alice"
            )
            wait_until(lambda: len(commands) == 1, what="the command at the gate")
            assert json.loads(commands[0])["payload"] == {"tier": "high"}
            # one login, one connection: the command did not push the collector off the broker
            time.sleep(0.5)
            assert centre.collector.connected
            assert "already connected" not in broker.log_text()
    finally:
        gate_client.disconnect()
        gate_client.loop_stop()
        broker.stop()
