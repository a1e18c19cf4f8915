"""The MQTT contract: the committed schemas, AsyncAPI document and README table are what the
models generate, and every payload the terminal and the simulator send validates against the
committed schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from simulator.broker import PrivateBroker
from simulator.runner import run_simulation
from simulator.subscriber import Subscriber
from terminal.app.daily import DailyReporter
from terminal.app.housekeeping import Housekeeping
from terminal.link import contract
from terminal.link.publisher import Publisher
from tests.conftest import make_config
from tests.support.commands import Station, command_config
from tests.support.people import CROWD, person
from tests.support.publishing import add_checks
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "docs" / "schemas"


def test_committed_documents_are_what_the_models_generate() -> None:
    for relative, text in contract.generated_files().items():
        path = REPO / relative
        assert path.exists(), f"{relative} missing: run python -m terminal.link.contract --write"
        assert path.read_text(encoding="utf-8") == text, (
            f"{relative} is stale: run python -m terminal.link.contract --write"
        )
    written = {p.name for p in SCHEMAS.glob("*.json")}
    assert written == set(contract.json_schemas()), "docs/schemas holds schemas of no model"


def test_the_readme_topic_section_is_generated_from_the_contract() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert contract.render_readme(readme) == readme, "run python -m terminal.link.contract --write"
    for spec in contract.TOPICS:
        assert f"`{spec.suffix}`" in readme


def test_the_asyncapi_document_references_every_schema() -> None:
    document = json.loads((REPO / "docs" / "asyncapi.json").read_text(encoding="utf-8"))
    assert document["asyncapi"].startswith("3.")
    refs = re.findall(r'"\$ref": "schemas/([^"]+)"', json.dumps(document, indent=0))
    assert {name for name in refs} == {contract.schema_file(s.model) for s in contract.TOPICS}
    for name in refs:
        assert (SCHEMAS / name).is_file()
    for key, channel in document["channels"].items():
        assert channel["address"].startswith("gate/v1/{park}/{gate}/")
        assert any(
            op["channel"]["$ref"] == f"#/channels/{key}" for op in document["operations"].values()
        )


def schema_for(topic: str) -> dict[str, Any]:
    """The committed schema of the message on ``topic``."""
    parts = topic.split("/")
    assert parts[:2] == ["gate", "v1"], topic
    suffix = "/".join(parts[4:])
    for spec in contract.TOPICS:
        pattern = re.escape(spec.suffix).replace(re.escape("{name}"), "[a-z_]+")
        if re.fullmatch(pattern, suffix):
            return json.loads((SCHEMAS / contract.schema_file(spec.model)).read_text())
    raise AssertionError(f"{topic}: no topic of the contract")


def assert_valid(topic: str, payload: bytes | str) -> dict[str, Any]:
    message = json.loads(payload)
    validator = jsonschema.Draft202012Validator(
        schema_for(topic), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(message), key=lambda e: list(e.path))
    assert not errors, f"{topic}: {errors[0].message} at {list(errors[0].path)}"
    return message


@pytest.mark.slow  # a whole shift
def test_everything_a_simulated_shift_sends_validates(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    # the crowd of tests/test_gate.py, judged as there (each forehead on its own): the fever is
    # flagged, the simulated guard's signed command resolves it, the result and alerts go out
    config = make_config(tmp_path)
    watcher = Subscriber(broker.host, broker.port, contract.GateTopics(config.gate.park, "+"),
                         subscription="gate/v1/#")  # fmt: skip
    try:
        shift = run_simulation(
            config, people=CROWD, broker=(broker.host, broker.port), record_path=tmp_path / "s.db"
        )
        assert shift.summary.agrees()
        assert wait_for(lambda: len(watcher.received_under("gate/v1/")) >= len(CROWD) + 2)
    finally:
        watcher.stop()
    kinds = set()
    for topic, raw in watcher.raw:
        message = assert_valid(topic, raw)
        kinds.add(message["schema"])
        assert b"HC2|" not in raw and b"HC1|" not in raw  # never a QR payload
    assert {
        "gate.check/1",
        "gate.alert/1",
        "gate.status/1",
        "gate.command/1",
        "gate.command.result/1",
    } <= kinds


def test_everything_a_gate_service_sends_validates(broker: PrivateBroker, tmp_path: Path) -> None:
    config = command_config(
        tmp_path,
        gate={"id": "schema-gate"},
        mqtt={"host": broker.host, "port": broker.port, "max_backlog": 10},
    )
    station = Station(config, [person("A", 0), person("F", 20, core_c=38.6)], tmp_path)
    topics = station.messages.topics
    watcher = Subscriber(broker.host, broker.port, topics)
    publisher = Publisher(
        station.record, config.mqtt, topics, client_id="schema-gate", state=station.state,
        boot_id="boot-test-1", config_file=None, commands=True,
    )  # fmt: skip
    publisher.start()
    try:
        assert publisher.wait_connected(10)
        station.gate.publisher = publisher
        station.run_until(2)
        station.send("lockdown", {"on": True, "reason": "drill"})
        station.send("open_once", {"reason": "fire warden"})
        station.send("set_risk_tier", {"tier": "zero"})  # refused: a result all the same
        station.send("push_roster", {"kind": "visitors", "csv": "person_id,kind,windows\n"})
        chores = Housekeeping(
            config, station.record, publisher, station.messages, station.state, "boot-test-1"
        )
        station.record.start_boot("boot-test-1", station.rig.clock.time() - 60)
        add_checks(station.record, topics, 11)  # more waiting than max_backlog allows
        chores.run(station.rig.clock.time())  # backlog over 10: a fault; status; metrics
        DailyReporter(config, station.record, station.messages).make(
            station.messages.local(station.rig.clock.time()).date(), station.rig.clock.time()
        )
        assert publisher.flush(10)
        publisher.publish_status()
    finally:
        publisher.stop()
    expected = {
        "gate.check/1", "gate.alert/1", "gate.status/1", "gate.override/1", "gate.fault/1",
        "gate.report.daily/1", "gate.command.result/1", "gate.metrics/1",
    }  # fmt: skip
    assert wait_for(
        lambda: {m.get("schema") for m in watcher.received_under(topics.base)} >= expected
    ), expected - {m.get("schema") for m in watcher.received_under(topics.base)}
    watcher.stop()
    for topic, raw in watcher.raw:
        assert_valid(topic, raw)
    assert_valid(topics.status, publisher.status_payload("lost"))  # the last will


def test_a_payload_off_the_contract_fails_validation() -> None:
    good = {
        "schema": "gate.status/1", "park": "p", "gate": "g", "state": "online",
        "boot_id": "b", "software_version": "1", "config_hash": "0", "occurred_at": None,
    }  # fmt: skip
    assert_valid("gate/v1/p/g/status", json.dumps(good))
    with pytest.raises(AssertionError, match="state"):
        assert_valid("gate/v1/p/g/status", json.dumps({**good, "state": "sleepy"}))
    with pytest.raises(AssertionError, match="qr"):
        assert_valid("gate/v1/p/g/status", json.dumps({**good, "qr": "HC2|..."}))


def test_a_number_that_is_no_number_is_refused_at_the_centre_and_a_peer(tmp_path: Path) -> None:
    """NaN, an infinity or a passage window of centuries are no reading, no time and no count:
    the centre does not store them and a zone's peer does not hold a place for them."""
    import datetime as dt

    from terminal.centre.store import open_store
    from terminal.link.zonelink import ZoneLink
    from terminal.record.store import Record
    from terminal.state import GateState
    from tests.support.centre_messages import FakeGate, at
    from tests.support.zone_peers import peer_passages, zone_gate

    store = open_store(f"sqlite:///{tmp_path / 'centre.sqlite'}")
    try:
        topic, payload = FakeGate("north-1").check(at("2026-06-01T08:00:00+08:00"))
        for bad in (b"NaN", b"Infinity", b"-Infinity"):
            forged = payload.replace(b'"temperature_c": 36.5', b'"temperature_c": ' + bad)
            assert forged != payload
            assert not store.ingest(topic, forged, dt.datetime.now(dt.UTC))
        assert store.bad_payloads == 3
        assert store.ingest(topic, payload, dt.datetime.now(dt.UTC))
    finally:
        store.close()
    own = zone_gate(tmp_path, "hall-in")
    record = Record(own.resolved(own.record.path))
    link = ZoneLink(own, record, GateState(risk_tier="low"), lambda: None)
    topic, passage = peer_passages(1)[0]
    held_for_ever = json.loads(passage)
    held_for_ever["data"]["window_s"] = 1e308
    assert not link.apply(topic, json.dumps(held_for_ever).encode())
    assert link.apply(topic, passage.encode() if isinstance(passage, str) else passage)


@pytest.mark.parametrize("big", [2**63, 2**64, 10**30])
def test_a_count_too_large_for_the_database_is_one_bad_message(tmp_path: Path, big: int) -> None:
    """A gate's metrics with a count over 64 bits are refused as one bad message; the next is
    stored (SQLite refuses such an integer with an OverflowError, PostgreSQL with a DataError)."""
    import datetime as dt

    from terminal.centre.store import open_store
    from tests.support.centre_messages import FakeGate, at

    store = open_store(f"sqlite:///{tmp_path / 'centre.sqlite'}")
    try:
        gate = FakeGate("north-1")
        topic, payload = gate.metrics(at("2026-06-01T08:00:00+08:00"))
        forged = json.loads(payload)
        forged["backlog"] = big
        assert not store.ingest(topic, json.dumps(forged).encode(), dt.datetime.now(dt.UTC))
        assert store.bad_payloads == 1
        topic, payload = gate.metrics(at("2026-06-01T08:01:00+08:00"))
        assert store.ingest(topic, payload, dt.datetime.now(dt.UTC))
    finally:
        store.close()
