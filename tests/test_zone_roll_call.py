"""The zone as a gate tells it: its status carries the zone's occupancy and is sent again when it
changes (on a real Mosquitto, gates of the zone harness); the fire alarm's alert carries who the
record showed inside (the roll call); ``gate-terminal zone inside`` prints them from a real
record, with names from the roster."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from simulator.broker import PrivateBroker
from simulator.rig import build_rig, shift_start_epoch
from simulator.subscriber import Subscriber
from simulator.zone import ZoneGate, run_zone
from terminal.link import contract
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.conftest import SIMULATOR_ISSUER, make_config
from tests.support.gate_inputs import ALARM_PIN, Centre, centres, passage
from tests.support.gates import run_until_done
from tests.support.people import person
from tests.support.waiting import wait_for
from tests.support.zones import made, zone_config

__all__ = ["centres", "made"]  # the fixtures of the gate inputs' and the zones' tests

REPO = Path(__file__).resolve().parent.parent


# --- the contract -------------------------------------------------------------------------------
def status(**more: object) -> dict[str, object]:
    return {
        "schema": "gate.status/1",
        "park": "p1",
        "gate": "g1",
        "state": "online",
        "boot_id": "b" * 32,
        "software_version": "1.0",
        "config_hash": "0" * 16,
        "occurred_at": "2026-11-23T07:30:00+08:00",
        **more,
    }


def test_a_status_with_or_without_its_zone_is_valid() -> None:
    older = contract.Status.model_validate(status())  # a gate from before the field
    assert older.zone is None
    zoned = contract.Status.model_validate(
        status(zone={"name": "hall", "capacity": 40, "inside": 12})
    )
    assert zoned.zone is not None and (zoned.zone.inside, zoned.zone.capacity) == (12, 40)
    unlimited = contract.Status.model_validate(
        status(zone={"name": "hall", "capacity": None, "inside": 0})
    )
    assert unlimited.zone is not None and unlimited.zone.capacity is None
    for wrong in ({"name": "hall", "capacity": 40, "inside": -1}, {"name": "a hall", "inside": 1}):
        with pytest.raises(ValidationError):
            contract.Status.model_validate(status(zone=wrong))


def test_an_emergency_alert_with_a_roll_call_is_valid_and_bounded() -> None:
    envelope = {
        "schema": "gate.alert/1",
        "event_id": "e" * 32,
        "park": "p1",
        "gate": "g1",
        "seq": 1,
        "boot_id": "b" * 32,
        "occurred_at": "2026-11-23T07:30:00+08:00",
        "clock_synced": True,
        "replayed": False,
    }
    one = {"person_id": "W0001", "since": "2026-11-23T07:01:00+08:00", "gate": "g1"}
    data = {"kind": "emergency", "detail": "fire alarm", "zone": "hall", "inside_count": 1}
    alert = contract.AlertEvent.model_validate({**envelope, "data": {**data, "inside": [one]}})
    assert alert.data.inside is not None and alert.data.inside[0].person_id == "W0001"
    too_many = [one] * (contract.ROLL_CALL_MAX + 1)
    with pytest.raises(ValidationError):
        contract.AlertEvent.model_validate({**envelope, "data": {**data, "inside": too_many}})


# --- the gate's status follows its zone ---------------------------------------------------------
def zone_counts(subscriber: Subscriber, topics: GateTopics) -> list[int | None]:
    """The zone's count in each status sent online, one per change of it (a status sent for
    another change, today's screening, repeats the count it carries)."""
    counts: list[int | None] = []
    for inside, _ in status_changes(subscriber, topics):
        if not counts or counts[-1] != inside:
            counts.append(inside)
    return counts


def status_changes(subscriber: Subscriber, topics: GateTopics) -> list[tuple[int | None, object]]:
    """What each online status said of the zone and of today's screening."""
    return [
        ((m.get("zone") or {}).get("inside") if m.get("zone") is not None else None,
         m.get("screening"))
        for m in subscriber.received(topics.status)
        if m["state"] == "online"
    ]  # fmt: skip


def test_the_status_says_how_many_are_inside_and_again_at_each_change(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    """Two come in at one gate, one leaves by the other: each gate's status follows the zone,
    its own passages and those it heard, sent when the count changes and not otherwise."""
    plan = {
        "hall-in-a": ("entry", [person("P1", 0), person("P2", 20)]),
        "hall-out": ("exit", [person("P1", 50)]),
    }
    listeners = {}
    for gate_id, (direction, people) in plan.items():
        config = zone_config(tmp_path, gate_id, direction, gates=list(plan))
        made.append(ZoneGate(config, people, broker.host, broker.port))
        topics = GateTopics(config.gate.park, gate_id)
        listeners[gate_id] = (Subscriber(broker.host, broker.port, topics), topics)
    try:
        run_zone(made)
        for gate in made:
            gate.publisher.flush(timeout_s=10)
        entry, out = listeners["hall-in-a"], listeners["hall-out"]
        # the way in counted its two entries one by one, then heard the exit
        assert wait_for(lambda: zone_counts(*entry)[-1:] == [1])
        assert zone_counts(*entry) == [0, 1, 2, 1]
        # the way out heard both entries and counted its own exit
        assert wait_for(lambda: zone_counts(*out)[-1:] == [1])
        counts = zone_counts(*out)
        assert counts[0] == 0 and counts[-1] == 1 and max(c or 0 for c in counts) == 2
        # no status without a change in it: the same count twice in a row never went out
        for listener in (entry, out):
            assert all(a != b for a, b in pairwise(status_changes(*listener)))
        last = entry[0].received(entry[1].status)[-1]["zone"]
        assert last == {"name": "hall", "capacity": 2, "inside": 1}
        assert made[0].record.occupancy("hall") == 1
    finally:
        for subscriber, _ in listeners.values():
            subscriber.stop()


# --- the fire alarm's roll call -----------------------------------------------------------------
def drill(tmp_path: Path, broker: PrivateBroker, centres: list[Centre]) -> tuple[Centre, float]:
    """P1 and P2 come into the hall, the alarm sounds at 25 s for 15 s; P3 comes during it."""
    config = make_config(
        tmp_path,
        inputs={"fire_alarm": {"pin": ALARM_PIN}, "passage": passage(window_s=6.0)},
        zone={"name": "hall", "capacity": 10},
    )
    rig = build_rig(config, [person("P1", 0), person("P2", 10), person("P3", 30)])
    start = shift_start_epoch(config)
    rig.world.sound_fire_alarm(start + 25.0, start + 40.0)
    centre = Centre(config, rig, broker, Record(tmp_path / "record.sqlite"))
    centres.append(centre)
    run_until_done(centre.gate, rig)
    while centre.gate.passages.waiting:  # P3's passage seen through
        centre.gate.poll()
    return centre, start


def test_the_fire_alarm_tells_the_centre_who_was_inside(
    tmp_path: Path, broker: PrivateBroker, centres: list[Centre]
) -> None:
    centre, start = drill(tmp_path, broker, centres)
    record = centre.gate.record
    passed = {p["person_id"]: p["passed_s"] for p in record.passages()}
    assert wait_for(lambda: len(centre.received("alert/emergency")) == 1)
    (alarm,) = centre.received("alert/emergency")
    data = alarm["data"]
    assert data["zone"] == "hall" and data["inside_count"] == 2
    # P1 and P2, earliest first, since their passage, by this gate; P3 came during the free
    # passage: not on the list
    assert [(p["person_id"], p["gate"]) for p in data["inside"]] == [
        ("P1", "gate-t"),
        ("P2", "gate-t"),
    ]
    for entry in data["inside"]:
        since = datetime.fromisoformat(entry["since"])
        assert since.timestamp() == pytest.approx(passed[entry["person_id"]], abs=0.001)
        offset = since.utcoffset()
        assert offset is not None and offset.total_seconds() == 8 * 3600
    assert start + 25.0 < datetime.fromisoformat(alarm["occurred_at"]).timestamp() < start + 26
    # and the status said the count all along
    # the status said the count during the alarm, and P3's entry once it was over
    assert wait_for(lambda: centre.received("status")[-1]["zone"]["inside"] == 3)
    during = [s["zone"]["inside"] for s in centre.received("status") if s.get("emergency")]
    assert during == [2]
    assert [c["person_id"] for c in record.checks()] == ["P1", "P2", "P3"]


# --- gate-terminal zone inside ----------------------------------------------------------------
def gate_toml(folder: Path, record: Path, zone: str = "") -> Path:
    workers = folder / "workers.csv"
    workers.write_text(
        "person_id,name,department,group,nat_tested_at,nat_result\n"
        "P1,Li Wei,Assembly,day,,\n"
        "P2,张伟,Assembly,day,,\n",
        encoding="utf-8",
    )
    path = folder / "gate.toml"
    path.write_text(
        "\n".join(
            [
                "[gate]",
                'park = "test-park"',
                'id = "gate-t"',
                'timezone = "Asia/Shanghai"',
                'hardware = "simulated"',
                "[record]",
                f"path = {json.dumps(str(record))}",
                "[roster]",
                f"workers = {json.dumps(str(workers))}",
                "[shifts.groups.day]",
                'windows = ["*"]',
                "[[healthcode.issuers]]",
                f"key_id = {json.dumps(SIMULATOR_ISSUER['key_id'])}",
                f"public_key = {json.dumps(SIMULATOR_ISSUER['public_key'])}",
                zone,
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def zone_inside(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal.cli.main", "zone", "inside", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


@pytest.mark.slow  # starts a process
def test_zone_inside_prints_who_the_record_shows_inside(
    tmp_path: Path, broker: PrivateBroker, centres: list[Centre]
) -> None:
    centre, _ = drill(tmp_path, broker, centres)
    passed = {p["person_id"]: p["passed_s"] for p in centre.gate.record.passages()}
    house = tmp_path / "house"
    house.mkdir()
    zone = '[zone]\nname = "hall"\ncapacity = 10\ngates = ["gate-t", "hall-b"]'
    done = zone_inside(gate_toml(house, tmp_path / "record.sqlite", zone))
    assert done.returncode == 0, done.stderr
    shanghai = ZoneInfo("Asia/Shanghai")

    def since(pid: str) -> str:
        return f"{datetime.fromtimestamp(passed[pid], shanghai):%Y-%m-%d %H:%M:%S}"

    lines = done.stdout.splitlines()
    # P3 came in once the alarm was over; not on the roster, so without a name
    assert lines[0] == "zone hall: 3 of 10 inside by the record of gate gate-t"
    assert lines[1] == f"P1\tLi Wei\tsince {since('P1')}\tby gate gate-t"
    assert lines[2] == f"P2\t张伟\tsince {since('P2')}\tby gate gate-t"
    assert lines[3] == f"P3\t-\tsince {since('P3')}\tby gate gate-t"
    assert "other gates" in lines[4]  # what a gate cut off from them cannot know
    assert done.stderr == ""


@pytest.mark.slow  # starts a process
def test_zone_inside_without_a_zone_or_a_record_is_one_line(tmp_path: Path) -> None:
    no_zone = zone_inside(gate_toml(tmp_path, tmp_path / "record.sqlite"))
    assert no_zone.returncode == 2 and no_zone.stdout == ""
    assert no_zone.stderr.count("\n") == 1 and "has no zone ([zone] name in" in no_zone.stderr
    zone = '[zone]\nname = "hall"'
    no_record = zone_inside(gate_toml(tmp_path, tmp_path / "nowhere.sqlite", zone))
    assert no_record.returncode == 2 and no_record.stderr.count("\n") == 1
    assert "no record here" in no_record.stderr


def test_zone_inside_prints_names_and_ids_escaped(tmp_path: Path) -> None:
    # a roster loaded before names were checked, or a peer's record: nothing printed may
    # clear the terminal, reorder a line or start a forged one
    from terminal.cli.zone import listing
    from terminal.rules.roster import Roster, Worker

    config = make_config(
        tmp_path,
        healthcode={"issuers": [SIMULATOR_ISSUER]},
        zone={"name": "hall", "gates": ["gate-t"]},
    )
    roster = Roster([Worker("W1", "Ann\x1b[2J\nW9\tForged", "A", "day", None, None)])
    people: list[dict[str, object]] = [
        {"person_id": "W1", "since_s": 1_790_000_000.0, "gate": "gate-t"},
        {"person_id": "W2\u202e", "since_s": 1_790_000_000.0, "gate": "peer\x1b]0;x\x07"},
    ]
    printed = listing(config, people, 2, roster)
    lines = printed.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("W1\tAnn\\u001b[2J\\u000aW9\\u0009Forged\tsince ")
    assert lines[2].startswith("W2\\u202e\t-\tsince ")
    assert lines[2].endswith("\tby gate peer\\u001b]0;x\\u0007")
    assert "\x1b" not in printed and "\u202e" not in printed
