"""Benchmark of the centre's collector (figures, not a test): how many gate messages a second go
from a real Mosquitto, through the real collector (MQTT v5, manual acknowledgement after the
commit), into SQLite and into PostgreSQL.

Two measures, for each database and for one and two collectors (a shared subscription):

- ``backlog``: the broker holds N messages for the collectors' sessions (queued while they were
  away, as after a restart); the time from their return to the last message stored. This is the
  collector's own capacity.
- ``live``: the collectors are running; gates publish N messages as fast as the broker takes them
  (QoS 1); the time from the first publish to the last message stored.

The mix is a park's: 85 % checks, 5 % alerts (flags and re-alerts), 10 % status and metrics.
PostgreSQL runs durable (fsync, synchronous commit), as a production server would.

``.venv/bin/python -m simulator.bench_centre --messages 20000``
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker
from simulator.postgres import PrivatePostgres
from terminal.centre.collector import Collector
from terminal.centre.config import CentreMqttConfig
from terminal.centre.store import Store, open_store
from terminal.link import contract
from terminal.link.topics import Messages
from terminal.record.store import CheckRow

PARK = "bench-park"
START_S = 1_780_272_000.0  # 2026-06-01 08:00 in Shanghai


def park_messages(count: int, gates: int = 8) -> list[tuple[str, bytes]]:
    """A park's flow, built by the gate's own message builders."""
    builders = [
        Messages(PARK, f"gate-{n}", boot_id=uuid.uuid4().hex, timezone="Asia/Shanghai")
        for n in range(gates)
    ]
    out: list[tuple[str, bytes]] = []
    for index in range(count):
        messages = builders[index % gates]
        now_s = START_S + index * 0.5
        kind = index % 20
        row = CheckRow(
            event_id=uuid.uuid4().hex, ts="", epoch_s=now_s, park=PARK,
            gate=messages.topics.gate, person_id=f"W{index:06d}", code="green",
            temperature_c=36.6, first_c=None, sensor_fault=None, decision="admit",
            reason="admitted", route="through", check_s=1.4, processing_ms=25.0,
        )  # fmt: skip
        if kind == 0:
            message = messages.alert(row, "secondary_check")
        elif kind == 1:
            message = messages.flag_alert(row.event_id, "secondary_check", now_s, {"alerts": 2})
        elif kind in (2, 3):
            out.append((messages.topics.metrics, _metrics(messages, now_s)))
            continue
        else:
            message = messages.check(row)
        out.append((message.topic, message.payload.encode()))
    return out


def _metrics(messages: Messages, now_s: float) -> bytes:
    metrics = contract.Metrics.model_validate(
        {
            "schema": "gate.metrics/1", "park": PARK, "gate": messages.topics.gate,
            "boot_id": messages.boot_id, "occurred_at": datetime.fromtimestamp(now_s, UTC),
            "backlog": 0, "sent_total": 1, "checks_since_boot": 1, "uptime_s": 1.0,
        }
    )  # fmt: skip
    return contract.to_json(metrics).encode()


class Flood:
    """Publishes QoS 1 as fast as the broker acknowledges (a window of 500 in flight)."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-gates")
        self.client.max_inflight_messages_set(500)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, messages: list[tuple[str, bytes]]) -> None:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(60)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _stored(collectors: list[Collector]) -> int:
    return sum(c.stored + c.duplicates for c in collectors)


def _wait_stored(collectors: list[Collector], count: int, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _stored(collectors) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {_stored(collectors)} of {count} stored in {timeout_s} s")
        time.sleep(0.01)


def run(url: str, port: int, messages: list[tuple[str, bytes]], n_collectors: int,
        mode: str, batch_max: int) -> float:  # fmt: skip
    """Messages a second, stored (and acknowledged) by ``n_collectors`` collectors."""
    group = f"bench{uuid.uuid4().hex[:6]}"
    config = CentreMqttConfig(port=port, session_expiry_s=600)
    stores: list[Store] = [open_store(url) for _ in range(n_collectors)]
    names = [f"{group}-{n}" for n in range(n_collectors)]

    def start() -> list[Collector]:
        return [
            Collector(store, config, PARK, share_group=group, client_id=name,
                      batch_max=batch_max).start()
            for store, name in zip(stores, names, strict=True)
        ]  # fmt: skip

    flood = Flood(port)
    try:
        collectors = start()
        if mode == "backlog":
            # away: the sessions stay and the broker queues the park's messages for them
            for collector in collectors:
                collector.kill()
            flood.send(messages)
            began = time.perf_counter()
            collectors = start()
        else:
            began = time.perf_counter()
            threading.Thread(target=flood.send, args=(messages,), daemon=True).start()
        _wait_stored(collectors, len(messages))
        elapsed = time.perf_counter() - began
        for collector in collectors:
            collector.stop()
    finally:
        flood.close()
        for store in stores:
            store.close()
    return len(messages) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch-max", type=int, default=200)
    parser.add_argument("--collectors", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    messages = park_messages(args.messages)
    print(f"{len(messages)} messages from 8 gates; batch of at most {args.batch_max} per commit")
    with (
        tempfile.TemporaryDirectory() as folder,
        PrivateBroker() as broker,
        PrivatePostgres(durable=True) as postgres,
    ):
        for database in ("sqlite", "postgresql"):
            for mode in ("backlog", "live"):
                for count in args.collectors:
                    if database == "sqlite":
                        url = f"sqlite:///{Path(folder) / uuid.uuid4().hex}.sqlite"
                    else:
                        url = postgres.new_database()
                    rate = run(url, broker.port, messages, count, mode, args.batch_max)
                    print(f"{database:10s} {mode:8s} {count} collector(s): {rate:8.0f} msg/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
