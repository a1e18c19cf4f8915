"""Vehicles in the written record: plates as a guard types them; at a vehicle gate (simulated
hardware) the driver's admission held, the barrier down, until the centre's signed
``vehicle_entry`` or a signed permit shown to the camera (a real QR image through the real
decoder) makes the vehicle known, and lapsing when none does; the record's vehicles table (and an
older record gaining it), the event on a real Mosquitto and in the centre's store."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from simulator.broker import PrivateBroker
from simulator.frames import Pose, qr_modules
from simulator.subscriber import Subscriber
from terminal.centre.store import Store
from terminal.codes.healthcode import public_key_text, sign_text
from terminal.codes.permits import PermitProblem, PermitRefused, PermitVerifier, issue_permit
from terminal.codes.plates import LETTER, PLATE, PROVINCES, SUFFIXES, normalise_plate
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.link import contract
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics
from terminal.record.store import SCHEMA_VERSION, Record
from tests.support.centre_store import store
from tests.support.codes import other_spellings
from tests.support.commands import Station, command_config
from tests.support.people import person
from tests.support.pgserver import postgres_server

__all__ = ["postgres_server", "store"]  # the store's fixtures: SQLite, and a real PostgreSQL

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


# --- permits ------------------------------------------------------------------------------
PERMIT_OFFICE = Ed25519PrivateKey.generate()
SOMEONE_ELSE = Ed25519PrivateKey.generate()
PERMIT_KEY_ID = "fleet-2026"


def permit(now_s: float, **changes: object) -> str:
    fields: dict = {
        "plate": "沪A12345D",
        "purpose": "鲜菜 for the canteen | door 3",
        "valid_until_s": now_s + 3600,
        "driver": None,
        **changes,
    }
    key = fields.pop("key", PERMIT_OFFICE)
    key_id = fields.pop("key_id", PERMIT_KEY_ID)
    return issue_permit(key, key_id, **fields)  # type: ignore[arg-type]


def signed(body: str) -> str:
    return f"{body}|{sign_text(PERMIT_OFFICE, body.encode())}"


def test_a_permit_verifies_with_its_plate_purpose_and_driver() -> None:
    verifier = PermitVerifier({PERMIT_KEY_ID: PERMIT_OFFICE.public_key()})
    shown = verifier.verify(permit(1_000.0, plate="沪a·12345d", driver="DRV9"), 1_000.0)
    assert (shown.plate, shown.purpose, shown.driver) == (
        "沪A12345D",
        "鲜菜 for the canteen | door 3",
        "DRV9",
    )
    assert shown.issuer == "VP1/fleet-2026" and shown.valid_until_s == 4_600.0


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (permit(1_000.0, key=SOMEONE_ELSE), PermitProblem.BAD_SIGNATURE),
        (permit(1_000.0, key_id="other"), PermitProblem.UNKNOWN_ISSUER),
        (permit(1_000.0, valid_until_s=999.0), PermitProblem.EXPIRED),
        (permit(1_000.0).replace("%E6%B2%AA", "%E7%B2%A4"), PermitProblem.BAD_SIGNATURE),
        ("VP1|fleet-2026|x", PermitProblem.MALFORMED),
        ("VP1|" + "x" * 2000, PermitProblem.MALFORMED),
        # signed by the office all the same: its plate is no plate, its purpose no UTF-8
        (signed("VP1|fleet-2026|%FF||4600|x"), PermitProblem.MALFORMED),
        (signed("VP1|fleet-2026|%E7%B2%A4B12||4600|x"), PermitProblem.MALFORMED),
        (signed("VP1|fleet-2026|%E7%B2%A4B12345||4600|%FF"), PermitProblem.MALFORMED),
    ],
)
def test_a_permit_not_to_believe_is_refused_with_one_reason(
    payload: str, problem: PermitProblem
) -> None:
    verifier = PermitVerifier({PERMIT_KEY_ID: PERMIT_OFFICE.public_key()})
    with pytest.raises(PermitRefused) as refused:
        verifier.verify(payload, 1_000.0)
    assert refused.value.problem is problem and "\n" not in str(refused.value)


def test_a_permit_has_one_spelling_of_its_signature() -> None:
    verifier = PermitVerifier({PERMIT_KEY_ID: PERMIT_OFFICE.public_key()})
    genuine = permit(1_000.0)
    body, signature = genuine.rsplit("|", 1)
    for other in other_spellings(signature):
        with pytest.raises(PermitRefused) as refused:
            verifier.verify(f"{body}|{other}", 1_000.0)
        assert refused.value.problem is PermitProblem.MALFORMED
    assert verifier.verify(genuine, 1_000.0).plate == "沪A12345D"


@given(st.text(max_size=300))
def test_any_text_after_the_prefix_is_a_permit_or_a_refusal(text: str) -> None:
    verifier = PermitVerifier({PERMIT_KEY_ID: PERMIT_OFFICE.public_key()})
    with pytest.raises(PermitRefused):
        verifier.verify("VP1|" + text, 1_000.0)


# --- at a vehicle gate --------------------------------------------------------------------
def vehicle_station(
    tmp_path: Path, people: list, enabled: bool = True, **options: object
) -> Station:
    issuers = [{"key_id": PERMIT_KEY_ID, "public_key": public_key_text(PERMIT_OFFICE.public_key())}]
    vehicles = {"enabled": enabled, "permit_issuers": issuers, **options}
    config = command_config(tmp_path, vehicles=vehicles)
    return Station(config, people, tmp_path)


def show_to_the_camera(station: Station, payload: str, polls: int = 20) -> None:
    """The driver holds a permit up to the gate's camera: a real QR image, decoded by the
    gate's own decoder, for a second or so."""
    world = station.rig.world
    pose = Pose(module_px=4.0, angle_deg=5.0, centre_x=320.0, centre_y=240.0, inverted=False)
    shown = world.renderer.place(qr_modules(payload), pose)
    plain = world.frame
    world.frame = lambda: world.renderer.noisy(np.minimum(shown, world.renderer.background))  # type: ignore[method-assign]
    try:
        for _ in range(polls):
            station.gate.poll()
    finally:
        world.frame = plain  # type: ignore[method-assign]


def vehicles_of(station: Station) -> list[tuple]:
    return [
        (r["plate"], r["driver"], r["decision"], r["reason"], r["source"])
        for r in station.record.rows("vehicles")
    ]


def entry(driver: str, plate: str = "粤B·d12345") -> dict[str, str]:
    return {"plate": plate, "driver": driver, "purpose": "delivers the canteen's vegetables"}


def test_a_vehicle_whose_driver_passed_the_check_is_admitted_and_recorded(
    tmp_path: Path,
) -> None:
    station = vehicle_station(tmp_path, [person("DRV1", 0)])
    station.run_until(1)
    (check,) = station.record.checks()
    assert check["decision"] == "admit"
    for _ in range(30):  # the driver's admission alone moves no barrier
        station.gate.poll()
    assert station.relay_pulses() == 0 and station.record.passages() == []
    result = station.send("vehicle_entry", entry("DRV1"))
    assert station.relay_pulses() == 1
    (passage,) = station.record.passages()
    assert passage["admission_id"] == check["event_id"]
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
    assert event.data.command_id == result.command_id and event.data.source == "command"
    # the admission let one vehicle in: a second entry for the same check lifts nothing
    again = station.send("vehicle_entry", entry("DRV1", "粤B12345"))
    assert again.detail == "vehicle 粤B12345 refused: admission_not_held"
    assert station.relay_pulses() == 1


def test_a_valid_permit_shown_to_the_camera_lifts_the_barrier_once(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRV8", 0)])
    station.run_until(1)
    assert station.relay_pulses() == 0
    shown = permit(station.rig.clock.time(), driver="DRV8")
    show_to_the_camera(station, shown)
    assert station.relay_pulses() == 1
    assert vehicles_of(station) == [("沪A12345D", "DRV8", "admit", "admitted", "permit")]
    (row,) = station.record.rows("vehicles")
    assert row["purpose"] == "鲜菜 for the canteen | door 3" and row["by"] == "VP1/fleet-2026"
    assert row["command_id"] is None
    (message,) = [m for m in station.record.outbox() if m["topic"].endswith("/event/vehicle")]
    assert contract.VehicleEvent.model_validate_json(message["payload"]).data.plate == "沪A12345D"
    # held up a while longer, it is no second vehicle; shown again later, it lifts nothing
    show_to_the_camera(station, shown)
    assert station.relay_pulses() == 1 and len(vehicles_of(station)) == 1
    station.rig.clock.sleep(station.config.timing.clear_s + 1)
    station.gate.poll()
    show_to_the_camera(station, shown)
    assert vehicles_of(station)[1][2:] == ("deny", "admission_not_held", "permit")
    assert station.relay_pulses() == 1
    assert [c["person_id"] for c in station.record.checks()] == ["DRV8"]  # never a health code


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"key": SOMEONE_ELSE}, "permit_bad_signature"),
        ({"valid_until_s": 1.0}, "permit_expired"),
        ({"key_id": "unknown"}, "permit_unknown_issuer"),
        ({"driver": "SOMEONE"}, "permit_other_driver"),
    ],
)
def test_a_permit_not_believed_is_refused_recorded_and_the_admission_still_waits(
    tmp_path: Path, changes: dict, reason: str
) -> None:
    station = vehicle_station(tmp_path, [person("DRV9", 0)])
    station.run_until(1)
    show_to_the_camera(station, permit(station.rig.clock.time(), **changes))
    assert station.relay_pulses() == 0
    ((plate, driver, decision, recorded, source),) = vehicles_of(station)
    assert (decision, recorded, source) == ("deny", reason, "permit")
    # a permit for another driver names its plate and driver; one not believed names none, and
    # stands against the driver waiting
    other = reason == "permit_other_driver"
    assert (plate, driver) == (("沪A12345D", "SOMEONE") if other else (None, "DRV9"))
    # the guard can still enter the vehicle
    assert station.send("vehicle_entry", entry("DRV9")).detail.endswith("admitted: admitted")
    assert station.relay_pulses() == 1


def test_a_malformed_permit_never_stops_the_gate(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRVA", 0)])
    station.run_until(1)
    show_to_the_camera(station, "VP1|fleet-2026|%FF%FE|DRVA|1|%00|sig")
    assert vehicles_of(station) == [(None, "DRVA", "deny", "permit_malformed", "permit")]
    assert station.relay_pulses() == 0


def test_a_permit_with_no_driver_checked_lifts_nothing(tmp_path: Path) -> None:
    """A permit names no driver and nobody has been checked: whose vehicle is it? Refused,
    recorded, the barrier down."""
    station = vehicle_station(tmp_path, [person("LATE", 3600)])
    # (an idle simulated camera skips ahead to the next person: the permit is valid all day)
    now = station.rig.clock.time()
    show_to_the_camera(station, permit(now, valid_until_s=now + 86_400), polls=3)
    assert vehicles_of(station) == [("沪A12345D", None, "deny", "no_driver_waiting", "permit")]
    assert station.relay_pulses() == 0 and station.record.checks() == []


def test_a_permit_for_a_refused_driver_is_recorded_refused(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRVB", 0, code="red")])
    station.run_until(1)
    show_to_the_camera(station, permit(station.rig.clock.time()))
    assert vehicles_of(station) == [("沪A12345D", "DRVB", "deny", "driver_denied", "permit")]
    assert station.relay_pulses() == 0


def test_an_admission_no_vehicle_comes_for_lapses_with_the_barrier_down(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRVC", 0)], admission_hold_s=120)
    station.run_until(1)
    station.rig.clock.sleep(60)
    station.gate.poll()
    assert station.record.rows("vehicles") == []  # still waiting
    station.rig.clock.sleep(61)
    station.gate.poll()
    assert vehicles_of(station) == [(None, "DRVC", "deny", "no_vehicle", "lapse")]
    (check,) = station.record.checks()
    assert station.record.rows("vehicles")[0]["driver_check_id"] == check["event_id"]
    late = station.send("vehicle_entry", entry("DRVC"))
    assert late.detail.endswith("refused: admission_not_held")
    assert station.relay_pulses() == 0 and station.record.passages() == []
    # the lapsed admission holds the driver's code no more: they may be checked again
    now = station.rig.clock.time()
    assert station.record.held_by(check["code_fingerprint"], "DRVC", now) is None


def test_a_driver_waiting_for_their_vehicle_is_still_held_after_a_restart(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRVD", 0)])
    station.run_until(1)
    station.gate.close()  # the service stops and starts again on the same record
    rig = station.rig
    restarted = Gate(
        config=station.config, devices=rig.devices(), record=station.record, roster=rig.roster,
        state=station.state, messages=station.messages,
    )  # fmt: skip
    restarted.vehicles.register(station.desk.registry)
    assert station.send("vehicle_entry", entry("DRVD")).detail.endswith("admitted: admitted")
    assert station.relay_pulses() == 1


def test_a_lockdown_since_the_drivers_check_lets_no_vehicle_in(tmp_path: Path) -> None:
    station = vehicle_station(tmp_path, [person("DRVE", 0)])
    station.run_until(1)
    assert station.send("lockdown", {"on": True, "reason": "drill"}).outcome == "done"
    assert station.send("vehicle_entry", entry("DRVE")).detail.endswith("refused: lockdown")
    assert station.send("lockdown", {"on": False, "reason": "drill over"}).outcome == "done"
    assert station.send("vehicle_entry", entry("DRVE")).detail.endswith("admitted: admitted")
    assert station.relay_pulses() == 1


def test_the_driver_reads_that_the_gate_waits_for_their_vehicle() -> None:
    for language, words in (("en", "waiting for the vehicle's plate"), ("zh", "等待车辆登记")):
        display = DisplayState(
            language=language, answer_s=5, isolation_room="room", isolation_location="here"
        )
        display.waiting_for_vehicle(True)
        display.approach_over()  # the driver steps back to their vehicle: still waiting
        screen = display.screen()
        assert (screen.kind, screen.tone) == ("vehicle_wait", "pass")
        assert words in screen.headline
        display.waiting_for_vehicle(False)
        assert display.screen().kind == "show_code"


def test_a_vehicle_whose_driver_was_refused_or_not_checked_is_recorded_refused(
    tmp_path: Path,
) -> None:
    station = vehicle_station(tmp_path, [person("DRV2", 0, code="red")])
    station.run_until(1)
    assert station.relay_pulses() == 0
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
    assert station.relay_pulses() == 0


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


def test_a_record_of_schema_5_keeps_its_vehicles_and_takes_one_without_a_plate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "five.sqlite"
    Record(path).close()
    with sqlite3.connect(path) as db:  # as a gate of schema 5 left it
        db.execute("DROP TABLE vehicles")
        db.execute(
            "CREATE TABLE vehicles (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, at_s FLOAT "
            "NOT NULL, plate TEXT NOT NULL, driver TEXT NOT NULL, purpose TEXT NOT NULL, "
            "decision TEXT NOT NULL, reason TEXT NOT NULL, driver_check_id TEXT, by TEXT, "
            "command_id TEXT)"
        )
        db.execute(
            "INSERT INTO vehicles (event_id, at_s, plate, driver, purpose, decision, reason) "
            "VALUES ('e-five', 1.0, '粤B12345', 'D1', 'kept', 'admit', 'admitted')"
        )
        db.execute("PRAGMA user_version=5")
    record = Record(path)
    try:
        lapse = {"event_id": "e-six", "at_s": 2.0, "driver": "D1", "decision": "deny"}
        record.add_event(
            "e-six", [], 2.0, table="vehicles", rows=[{**lapse, "reason": "no_vehicle"}]
        )
        rows = [(r["plate"], r["source"]) for r in record.rows("vehicles")]
        assert rows == [("粤B12345", "command"), (None, None)]
    finally:
        record.close()


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
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7


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
