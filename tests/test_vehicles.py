"""Vehicles in the written record: plates as a guard types them, the centre's signed
``vehicle_entry`` against the driver's own check at a vehicle gate (simulated hardware), the
record's vehicles table (and an older record gaining it), the event on a real Mosquitto and in
the centre's store."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.broker import PrivateBroker
from simulator.runner import Subscriber
from terminal import contract
from terminal.centre.store import Store, open_store
from terminal.plates import LETTER, PLATE, PROVINCES, SUFFIXES, normalise_plate
from terminal.publisher import Publisher
from terminal.record import SCHEMA_VERSION, Record
from terminal.topics import GateTopics
from tests.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)
from tests.test_centre_store import SETTINGS
from tests.test_commands import Station, command_config
from tests.test_gate import person

LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1) if chr(c) not in "IO"]
DIGITS = list("0123456789")
province = st.sampled_from(PROVINCES)
letter = st.sampled_from(LETTERS)
digit = st.sampled_from(DIGITS)
letter_or_digit = st.sampled_from(LETTERS + DIGITS)


@st.composite
def plates(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["ordinary", "small_new_energy", "large_new_energy"]))
    head = draw(province) + draw(letter)
    if kind == "ordinary":
        body = "".join(draw(letter_or_digit) for _ in range(4))
        return head + body + draw(st.one_of(letter_or_digit, st.sampled_from(SUFFIXES)))
    if kind == "small_new_energy":
        tail = "".join(draw(digit) for _ in range(4))
        return head + draw(st.sampled_from("DF")) + draw(letter_or_digit) + tail
    return head + "".join(draw(digit) for _ in range(5)) + draw(st.sampled_from("DF"))


@given(plates())
def test_every_plate_is_taken_as_it_is(plate: str) -> None:
    assert normalise_plate(plate) == plate
    assert contract.VehicleEntryPayload(plate=plate, driver="D1", purpose="delivery").plate == plate


@given(plates(), st.sampled_from(["·", " ", "-", " · "]))
def test_a_plate_typed_apart_or_in_lower_case_is_recorded_in_one_spelling(
    plate: str, separator: str
) -> None:
    typed = (plate[:2] + separator + plate[2:]).lower()
    assert normalise_plate(typed) == plate


@given(plates(), st.integers(min_value=2, max_value=7), st.sampled_from("IO"))
def test_a_plate_with_i_or_o_is_refused(plate: str, at: int, mistaken: str) -> None:
    at = min(at, len(plate) - 1)
    with pytest.raises(ValueError, match="not a Chinese licence plate"):
        normalise_plate(plate[:at] + mistaken + plate[at + 1 :])


@given(plates())
def test_a_plate_of_six_or_nine_characters_is_refused(plate: str) -> None:
    # one short of a new-energy plate may be an ordinary one: 7 and 8 are both plates' lengths
    for wrong in (plate[:6], plate + "12"[: 9 - len(plate)]):
        with pytest.raises(ValueError):
            normalise_plate(wrong)


@given(st.text(max_size=20))
def test_any_text_is_a_plate_or_a_one_line_refusal(text: str) -> None:
    try:
        plate = normalise_plate(text)
    except ValueError as exc:
        assert "\n" not in str(exc)
    else:
        assert PLATE.fullmatch(plate) and len(plate) in (7, 8)
        assert set(plate[2:]) <= set(LETTERS + DIGITS + list(SUFFIXES))


def test_a_bad_plate_in_the_command_names_the_field() -> None:
    with pytest.raises(ValueError, match="plate"):
        contract.VehicleEntryPayload(plate="粤B1234O", driver="D1", purpose="delivery")
    assert LETTER == "A-HJ-NP-Z"


# --- at a vehicle gate --------------------------------------------------------------------
def vehicle_station(tmp_path: Path, people: list, enabled: bool = True) -> Station:
    config = command_config(tmp_path, vehicles={"enabled": enabled})
    return Station(config, people, tmp_path)


def entry(driver: str, plate: str = "粤B·d12345") -> dict[str, str]:
    return {"plate": plate, "driver": driver, "purpose": "delivers the canteen's vegetables"}


def test_a_vehicle_whose_driver_passed_the_check_is_admitted_and_recorded(
    tmp_path: Path,
) -> None:
    station = vehicle_station(tmp_path, [person("DRV1", 0)])
    station.run_until(1)
    (check,) = station.record.checks()
    assert check["decision"] == "admit"
    result = station.send("vehicle_entry", entry("DRV1"))
    assert result.outcome == "done", result.detail
    assert result.detail == "vehicle 粤BD12345 admitted: admitted"
    (row,) = station.record.rows("vehicles")
    assert (row["plate"], row["driver"], row["decision"], row["reason"]) == (
        "粤BD12345",
        "DRV1",
        "admit",
        "admitted",
    )
    assert row["driver_check_id"] == check["event_id"] and row["by"] == "duty-officer"
    (message,) = [m for m in station.record.outbox() if m["topic"].endswith("/event/vehicle")]
    event = contract.VehicleEvent.model_validate_json(message["payload"])
    assert event.data.purpose == "delivers the canteen's vegetables"
    assert event.data.command_id == result.command_id


def test_a_vehicle_whose_driver_was_refused_or_not_checked_is_recorded_refused(
    tmp_path: Path,
) -> None:
    station = vehicle_station(tmp_path, [person("DRV2", 0, code="red")])
    station.run_until(1)
    assert station.send("vehicle_entry", entry("DRV2")).detail.endswith("refused: driver_denied")
    stranger = station.send("vehicle_entry", entry("NOBODY", "京A9X77学"))
    assert stranger.outcome == "done"
    assert stranger.detail == "vehicle 京A9X77学 refused: driver_not_screened"
    reasons = [(r["driver"], r["decision"], r["reason"]) for r in station.record.rows("vehicles")]
    assert reasons == [
        ("DRV2", "deny", "driver_denied"),
        ("NOBODY", "deny", "driver_not_screened"),
    ]


def test_a_driver_checked_too_long_ago_must_be_checked_again(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRV3", 0)])
    station.run_until(1)
    station.rig.clock.sleep(station.config.vehicles.driver_check_max_age_s + 1)
    result = station.send("vehicle_entry", entry("DRV3"))
    assert result.detail.endswith("refused: driver_not_screened")


def test_a_person_gate_refuses_vehicle_entry_and_records_nothing(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRV4", 0)], enabled=False)
    station.run_until(1)
    result = station.send("vehicle_entry", entry("DRV4"))
    assert result.outcome == "refused"
    assert "not a vehicle gate" in result.detail
    assert station.record.rows("vehicles") == []


def test_a_bad_plate_is_refused_naming_the_plate(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRV5", 0)])
    result = station.send("vehicle_entry", entry("DRV5", "粤B12"))
    assert result.outcome == "refused" and "plate" in result.detail
    assert station.record.rows("vehicles") == []


def test_an_older_record_gains_the_vehicles_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    Record(path).close()
    with sqlite3.connect(path) as db:  # as a gate of schema 4 left it
        db.execute("DROP TABLE vehicles")
        db.execute("PRAGMA user_version=4")
        db.execute("INSERT INTO overrides (event_id, at_s, source, by, reason) "
                   "VALUES ('e-old', 1.0, 'command', 'x', 'kept')")  # fmt: skip
    record = Record(path)
    try:
        assert record.rows("vehicles") == []
        assert [r["reason"] for r in record.rows("overrides")] == ["kept"]
    finally:
        record.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5


# --- through the broker, into the centre ---------------------------------------------------
def test_the_vehicle_event_reaches_a_subscriber_on_mosquitto(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    station = vehicle_station(tmp_path, [person("DRV6", 0)])
    station.run_until(1)
    station.send("vehicle_entry", entry("DRV6"))
    topics = GateTopics(station.config.gate.park, station.config.gate.id)
    subscriber = Subscriber(broker.host, broker.port, topics)
    mqtt = station.config.mqtt.model_copy(update={"host": broker.host, "port": broker.port})
    publisher = Publisher(
        station.record, mqtt, topics, client_id="vehicle-gate", boot_id="boot-vehicle"
    )
    publisher.start()
    try:
        assert publisher.flush(timeout_s=15)
        received = []
        for _ in range(100):
            received = subscriber.received(topics.vehicle)
            if received:
                break
            time.sleep(0.05)
    finally:
        publisher.stop()
        subscriber.stop()
    (event,) = received
    assert (event["data"]["plate"], event["data"]["decision"]) == ("粤BD12345", "admit")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    opened = open_store(database_url(request, request.param), SETTINGS)
    try:
        yield opened
    finally:
        opened.close()


def test_the_centre_keeps_the_vehicles(store: Store, tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRV7", 0)])
    station.run_until(1)
    station.send("vehicle_entry", entry("DRV7"))
    station.rig.clock.sleep(30)  # the next vehicle, half a minute later
    station.send("vehicle_entry", entry("NOBODY", "沪A12345D"))
    for message in station.record.outbox():
        if message["topic"].endswith("/event/vehicle"):
            assert store.ingest(message["topic"], message["payload"].encode(), datetime.now(UTC))
    views = store.vehicles()
    assert [(v.plate, v.driver, v.decision, v.reason) for v in views] == [
        ("沪A12345D", "NOBODY", "deny", "driver_not_screened"),
        ("粤BD12345", "DRV7", "admit", "admitted"),
    ]
    assert views[0].purpose == "delivers the canteen's vegetables"
    assert store.bad_payloads == 0
    assert views[0].gate == station.config.gate.id
