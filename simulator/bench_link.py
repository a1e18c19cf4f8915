"""Benchmarks of the operations link against a local Mosquitto (numbers, not tests):

- ``drain``: how fast a backlog of N checks (default 10,000) left in the record goes to the broker
  once the publisher starts: acknowledged and marked sent, and received by a subscriber.
- ``commands``: the round trip of a signed command, from the centre's publish to its result
  arriving back, with the gate's loop turning at a camera's frame rate (or as fast as it can).

``.venv/bin/python -m simulator.bench_link drain --events 10000``
``.venv/bin/python -m simulator.bench_link commands --count 200 --frame-s 0.0667``
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import BrokerUnavailable, PrivateBroker
from simulator.subscriber import Subscriber
from terminal.codes.healthcode import SIMULATOR_KEY_ID, public_key_text, simulator_issuer_key
from terminal.config import CommandKeyConfig, CommandsConfig, Config, MqttConfig, parse
from terminal.link.command_signing import sign_command
from terminal.link.commands import CommandContext, CommandDesk, standard_registry
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, Messages
from terminal.link.transport import NoDelayClient
from terminal.record.store import CheckRow, Record
from terminal.state import GateState

PARK, GATE = "bench-park", "bench-gate"


def check_row(index: int) -> CheckRow:
    """A plain admitted check, the ``index``-th of a backlog."""
    return CheckRow(
        event_id=uuid.uuid4().hex, ts="", epoch_s=1_800_000_000.0 + index, park=PARK, gate=GATE,
        person_id=f"W{index:05d}", code="green", temperature_c=36.6, first_c=None,
        sensor_fault=None, decision="admit", reason="admitted", route="through", check_s=1.5,
        processing_ms=20.0,
    )  # fmt: skip


@dataclass(frozen=True)
class Drain:
    events: int
    written_s: float  # the backlog written into the record, one check per transaction
    acked_s: float  # from the publisher's start until every event was acknowledged and marked sent
    received_s: float  # until a subscriber had received every one


def measure_drain(events: int) -> Drain:
    """A backlog of ``events`` checks written into a record on a real file, then sent to a
    private Mosquitto when the publisher starts."""
    with tempfile.TemporaryDirectory() as folder, PrivateBroker() as broker:
        record = Record(Path(folder) / "backlog.sqlite")
        messages = Messages(PARK, GATE, boot_id="bench-boot", timezone="Asia/Shanghai")
        made = time.perf_counter()
        for index in range(events):
            row = check_row(index)
            record.add_check(row, [messages.check(row)])
        written_s = time.perf_counter() - made
        topics = GateTopics(PARK, GATE)
        subscriber = Subscriber(broker.host, broker.port, topics)
        publisher = Publisher(
            record, MqttConfig(host=broker.host, port=broker.port), topics, client_id=GATE
        )
        started = time.perf_counter()
        publisher.start()
        if not publisher.flush(timeout_s=600):
            raise BrokerUnavailable("the backlog did not drain to the private broker in 600 s")
        acked_s = time.perf_counter() - started
        while len(subscriber.received(topics.check)) < events:
            time.sleep(0.01)
        received_s = time.perf_counter() - started
        publisher.stop()
        subscriber.stop()
        record.close()
        return Drain(events, written_s, acked_s, received_s)


def drain(events: int) -> None:
    found = measure_drain(events)
    print(f"backlog of {events} checks written in {found.written_s:.1f} s")
    print(
        f"acknowledged and marked sent: {found.acked_s:.2f} s "
        f"({events / found.acked_s:.0f} events/s)"
    )
    print(
        f"received by a subscriber:     {found.received_s:.2f} s "
        f"({events / found.received_s:.0f} events/s)"
    )


def _gate_config(folder: Path, key: Ed25519PrivateKey) -> Config:
    issuer = {
        "key_id": SIMULATOR_KEY_ID,
        "public_key": public_key_text(simulator_issuer_key().public_key()),
    }
    return parse(
        {
            "gate": {"park": PARK, "id": GATE, "hardware": "simulated"},
            "record": {"path": str(folder / "gate.sqlite")},
            "healthcode": {"issuers": [issuer]},
            "roster": {"path": str(folder / "roster.csv")},
        },
        folder / "bench.toml",
    ).model_copy(
        update={
            "commands": CommandsConfig(
                keys=[
                    CommandKeyConfig(key_id="bench", public_key=public_key_text(key.public_key()))
                ]
            )
        }
    )


def commands(count: int, frame_s: float) -> None:
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory() as folder, PrivateBroker() as broker:
        config = _gate_config(Path(folder), key)
        record = Record(config.record.path)
        state = GateState(risk_tier="low")
        messages = Messages(PARK, GATE, boot_id="bench-boot", timezone="Asia/Shanghai")
        mqtt_config = MqttConfig(host=broker.host, port=broker.port)
        publisher = Publisher(
            record, mqtt_config, messages.topics, client_id=GATE, state=state, commands=True
        )
        desk = CommandDesk(
            standard_registry(),
            config.commands,
            CommandContext(config, state, record, messages, time.time,
                           lambda reason, by, command_id: "bench-no-turnstile",
                           lambda: None, publisher.publish_status),
        )  # fmt: skip
        publisher.start()
        assert publisher.wait_connected(10)
        results: dict[str, float] = {}
        arrived = threading.Condition()

        def on_result(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
            data = json.loads(message.payload)["data"]
            with arrived:
                results[data["command_id"]] = time.perf_counter()
                arrived.notify_all()

        # the centre's client sets TCP_NODELAY as the gate's does (else Nagle adds ~40 ms)
        centre = NoDelayClient(CallbackAPIVersion.VERSION2, client_id="bench-centre")
        centre.on_message = on_result
        centre.connect(broker.host, broker.port)
        centre.subscribe(messages.topics.command_result("set_risk_tier"), qos=1)
        centre.loop_start()
        trips_ms: list[float] = []

        def the_centre() -> None:
            time.sleep(0.5)
            for index in range(count):
                tier = ("medium", "low")[index % 2]
                command = sign_command(
                    key, "bench", name="set_risk_tier", park=PARK, gate=GATE,
                    payload={"tier": tier}, issued_by="bench", now_s=time.time(),
                )  # fmt: skip
                sent = time.perf_counter()
                topic = messages.topics.command("set_risk_tier")
                centre.publish(topic, json.dumps(command), qos=1)
                command_id = str(command["command_id"])
                with arrived:
                    done = arrived.wait_for(lambda: command_id in results, 10)  # noqa: B023
                assert done, "no result within 10 s"
                trips_ms.append((results[command_id] - sent) * 1000)

        sender = threading.Thread(target=the_centre, daemon=True)
        sender.start()
        while sender.is_alive():  # the gate's loop: a camera frame, then commands and the outbox
            time.sleep(frame_s)
            desk.run_pending(publisher.commands)
            publisher.pump()
        centre.loop_stop()
        publisher.stop()
        assert len(trips_ms) == count
        trips_ms.sort()
        p95 = trips_ms[int(0.95 * (len(trips_ms) - 1))]
        print(
            f"command round trip (publish -> verified, run, recorded -> result received), "
            f"gate loop every {frame_s * 1000:.0f} ms, {count} commands: "
            f"p50 {statistics.median(trips_ms):.1f} ms, p95 {p95:.1f} ms, max {trips_ms[-1]:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("drain")
    d.add_argument("--events", type=int, default=10_000)
    c = sub.add_parser("commands")
    c.add_argument("--count", type=int, default=200)
    c.add_argument("--frame-s", type=float, default=1 / 15, help="the gate loop's period")
    args = parser.parse_args()
    if args.what == "drain":
        drain(args.events)
    else:
        commands(args.count, args.frame_s)


if __name__ == "__main__":
    main()
