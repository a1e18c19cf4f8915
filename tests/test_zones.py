"""A zone's gates end to end on the simulated entrance: each gate with its own simulated hardware
(the real drivers on the GPIO twin), its own SQLite record and its own publisher on one real
Mosquitto, sharing their passages on the operations link; occupancy, anti-passback, the wait for
room, exit gates, and a gate cut off from the others."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import PrivateBroker
from simulator.rig import build_rig
from simulator.world import Pace
from simulator.zone import ZoneGate, run_behind_first, run_zone
from terminal.config import Config
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.link.topics import Messages, new_event_id
from terminal.link.zonelink import RESERVATION_MARGIN_S, ZoneLink
from terminal.record.store import PassageRow, Record
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.gates import run_until_done
from tests.support.people import person
from tests.support.waiting import wait_for
from tests.support.zones import made, zone_config

__all__ = ["made"]  # shared fixtures, taken by name


@pytest.mark.slow  # a whole shift
def test_occupancy_and_anti_passback_hold_across_the_zones_gates(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    """Capacity 2, entries at two gates, exits at a third."""
    in_a = [person("P1", 0), person("P3", 40)]
    in_b = [person("P1", 15), person("P2", 25), person("P1", 110)]
    out = [person("P1", 50)]
    plan = {"hall-in-a": ("entry", in_a), "hall-in-b": ("entry", in_b), "hall-out": ("exit", out)}
    for gate_id, (direction, people) in plan.items():
        config = zone_config(tmp_path, gate_id, direction)
        made.append(ZoneGate(config, people, broker.host, broker.port))
    a, b, exit_gate = made
    run_zone(made)

    # P1 entered at A, and could not enter again at B without leaving
    assert a.checks()[0] == ("P1", "admitted", "through")
    assert b.checks()[0] == ("P1", "anti_passback", "aside")
    assert b.record.checks()[0]["passback_of"] == a.record.checks()[0]["event_id"]
    assert b.checks()[1] == ("P2", "admitted", "through")
    # P3 found the zone full (P1, P2): told to wait at A, then let in once P1 left at the exit
    assert a.checks()[1] == ("P3", "zone_full", "wait")
    assert exit_gate.checks() == [("P1", "admitted", "through")]
    assert exit_gate.record.checks()[0]["direction"] == "exit"
    assert exit_gate.record.checks()[0]["temperature_c"] is None  # nobody screened on the way out
    assert exit_gate.record.checks()[0]["screening"] is None  # and no screening's word
    assert a.record.checks()[0]["screening"] == "pass"
    assert exit_gate.app.state.screening is None  # its status reports no screening
    assert a.checks()[2] == ("P3", "admitted", "through")
    waited = a.record.checks()[1:3]
    (left_at,) = [p["passed_s"] for p in exit_gate.record.passages() if p["gate"] is None]
    assert waited[0]["epoch_s"] < left_at < waited[1]["epoch_s"]
    # P1, back after leaving: not refused as passback, but the zone is full again (P2, P3)
    assert b.checks()[2] == ("P1", "zone_full", "wait")
    # every gate counted every passage of the zone, and never more than its capacity inside
    for gate in made:
        steps = gate.record.occupancy_over_time("hall")
        assert [inside for _, inside in steps] == [1, 2, 1, 2], gate.config.gate.id
        assert gate.record.occupancy("hall") == 2
    # a gate's record keeps the others' passages, each once, naming the gate
    heard = [p["gate"] for p in a.record.passages()]
    assert sorted(filter(None, heard)) == ["hall-in-b", "hall-out"]


def test_an_exit_counts_only_for_someone_inside(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    """An exit gate believes whose code it is, not who shows it: P1's code passed back over the
    turnstile and shown again, or the code of someone who never came in, would have let a
    second person out in that name, freed P1's code and told anti-passback P1 had left."""
    plan = {
        "hall-in-a": ("entry", [person("P1", 0)]),
        "hall-in-b": ("entry", [person("P1", 100)]),
        "hall-out": ("exit", [person("P1", 50), person("P1", 65), person("P9", 80)]),
    }
    for gate_id, (direction, people) in plan.items():
        made.append(
            ZoneGate(zone_config(tmp_path, gate_id, direction), people, broker.host, broker.port)
        )
    a, b, exit_gate = made
    run_zone(made)
    assert a.checks() == [("P1", "admitted", "through")]
    # P1 entered at another gate and left once; the same code again is nobody inside: refused
    assert exit_gate.checks() == [
        ("P1", "admitted", "through"),
        ("P1", "not_inside", "aside"),
        ("P9", "not_inside", "aside"),
    ]
    first, second, _ = exit_gate.record.checks()
    assert second["passback_of"] == first["event_id"]  # the exit that let P1 out already
    assert [p["direction"] for p in exit_gate.record.passages() if p["gate"] is None] == ["exit"]
    # one exit counted everywhere: P1 left once, and comes back in once
    assert b.checks() == [("P1", "admitted", "through")]
    for gate in made:
        assert [n for _, n in gate.record.occupancy_over_time("hall")] == [1, 0, 1]


def test_a_restarted_gate_still_knows_who_is_inside(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    # at one gate the code's replay hold refuses a second entry first (code_replayed); with it
    # only recorded, anti-passback is what keeps the person out: as it does across gates, and
    # after the hold has ended
    config = zone_config(tmp_path, "hall-in-a", "entry", replay="record_only", gates=[])
    made.append(ZoneGate(config, [person("P1", 0)], broker.host, broker.port))
    run_zone(made)
    made.pop().stop()
    again = ZoneGate(config, [person("P1", 30)], broker.host, broker.port)
    made.append(again)
    run_zone(made)
    assert again.checks() == [("P1", "admitted", "through"), ("P1", "anti_passback", "aside")]


def test_anti_passback_record_only_admits_and_records(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    config = zone_config(
        tmp_path, "hall-in-a", "entry", replay="record_only", gates=[], anti_passback="record_only"
    )
    made.append(ZoneGate(config, [person("P1", 0), person("P1", 20)], broker.host, broker.port))
    run_zone(made)
    first, second = made[0].record.checks()
    assert (second["decision"], second["reason"]) == ("admit", "admitted")
    assert second["passback_of"] == first["event_id"] and first["passback_of"] is None


def test_a_gate_cut_off_from_the_broker_says_what_it_assumes(
    tmp_path: Path, made: list[ZoneGate], caplog: pytest.LogCaptureFixture
) -> None:
    """The broker goes away during the shift: the gate counts its own passages only, says so
    in its status, one log line and the record, and (hold_entries) holds every entry."""
    config = zone_config(tmp_path, "hall-in-a", "entry", cut_off="hold_entries")
    own = PrivateBroker().start()
    gate = ZoneGate(config, [person("P1", 0), person("P2", 60)], own.host, own.port)
    made.append(gate)
    gate.publisher.start()
    assert gate.publisher.wait_connected(10)
    caplog.set_level(logging.INFO)
    while [p["outcome"] for p in gate.record.passages()] != ["passed"]:
        gate.gate.poll()
    own.stop()
    assert wait_for(lambda: not gate.publisher.connected)
    run_until_done(gate.gate, gate.rig)
    cut = [r for r in caplog.records if "counting own passages only" in r.getMessage()]
    assert len(cut) == 1  # said once
    assumption = gate.state.zone_assumption
    assert assumption is not None and "entries wait until the link is back" in assumption
    assert json.loads(gate.publisher.status_payload("online"))["zone_assumption"] == assumption
    with sqlite3.connect(config.resolved(config.record.path)) as db:
        kinds = db.execute("SELECT kind, detail FROM zone_events").fetchall()
    assert kinds[0][0] == "cut_off" and kinds[0][1] == assumption
    # P1 came while the link was up; P2 after the gate was cut off: held (fail-secure)
    assert gate.checks() == [("P1", "admitted", "through"), ("P2", "zone_full", "wait")]


def test_an_exit_gate_without_a_zone_lets_out_whoever_is_identified(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        gate={"direction": "exit"},
    )
    rig = build_rig(config, [person("F", 0, core_c=39.0), person("N", 10, "none")])
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    rows = [(c["person_id"], c["reason"], c["direction"]) for c in record.checks()]
    # a fever does not keep anyone in: the screening guards the way in
    assert rows == [("F", "admitted", "exit"), (None, "no_code", "exit")]
    assert [p["direction"] for p in record.passages()] == ["exit"]


def test_a_peers_passage_counts_once_and_nothing_it_sends_stops_the_gate(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = zone_config(tmp_path, "hall-in-a", "entry")
    record = Record(tmp_path / "r.sqlite")
    link = ZoneLink(config, record, GateState(risk_tier="low"), lambda: None)
    peer = Messages("test-park", "hall-out", boot_id="b" * 32, timezone="Asia/Shanghai")
    out = PassageRow(
        "a" * 32, "check", "P1", 1_000.0, 6.0, "passed", 1_001.0, 1_002.0, "exit", "hall"
    )
    message = peer.passage(out, 1_002.0)
    assert link.apply(message.topic, message.payload.encode())
    assert not link.apply(message.topic, message.payload.encode())  # redelivered: once
    elsewhere = dataclasses.replace(out, admission_id="c" * 32, zone="yard")
    other_zone = peer.passage(elsewhere, 1_003.0)
    caplog.set_level(logging.WARNING)
    for payload in (b"{not json", b'{"schema": "gate.passage/1"}', other_zone.payload.encode()):
        assert not link.apply(message.topic, payload)
    assert len(caplog.records) == 3 and all("hall-out" in r.getMessage() for r in caplog.records)
    # a gate not of the zone, on a topic the gate never asked for: not counted either
    stranger = Messages("test-park", "yard-1", boot_id="b" * 32, timezone="Asia/Shanghai")
    entry = dataclasses.replace(out, admission_id="d" * 32, direction="entry")
    sent = stranger.passage(entry, 1_004.0)
    assert not link.apply(sent.topic, sent.payload.encode())
    assert [(p["gate"], p["direction"]) for p in record.passages()] == [("hall-out", "exit")]


def test_the_wait_stays_on_the_screen_while_the_person_waits(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        zone={"name": "hall", "capacity": 1},
    )
    rig = build_rig(config, [person("A", 0), person("B", 4)])
    clock = rig.world.clock
    board = DisplayState(
        language="en",
        answer_s=config.display.answer_s,
        isolation_room="room",
        isolation_location="here",
        now=clock.time,
    )
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(
        config=rig.config, devices=rig.devices(), record=record, roster=rig.roster, display=board
    )
    while len(record.checks()) < 2:
        gate.poll()
    told_at = clock.time()
    # B stays (the simulated person gives up after 25 s): longer than an answer is shown
    while clock.time() < told_at + config.display.answer_s + 5:
        gate.poll()
        assert board.screen().kind == "zone_full"


@pytest.mark.slow  # a whole shift
@pytest.mark.soak  # a whole day at two gates: make soak
def test_a_gate_far_ahead_in_its_day_still_hears_every_passage_of_the_others(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    """Nobody comes to gate B until late: its simulated clock is hours ahead while A lets in more
    people than B's inbox of peer messages holds. Each is taken in as it comes (as a real gate's
    loop does), so none is dropped and B counts them all."""
    crowd = [person(f"P{index:02d}", 6.0 * index) for index in range(70)]
    a = ZoneGate(
        zone_config(tmp_path, "hall-in-a", "entry", capacity=500), crowd, broker.host, broker.port
    )
    late = [person("Q1", 4 * 3600)]
    b = ZoneGate(
        zone_config(tmp_path, "hall-in-b", "entry", capacity=500), late, broker.host, broker.port
    )
    made.extend([a, b])
    run_zone(made)
    assert sum(1 for _, reason, _ in a.checks() if reason == "admitted") == 70
    assert b.checks() == [("Q1", "admitted", "through")]
    assert b.record.occupancy("hall") == a.record.occupancy("hall") == 71


# --- reservations: an entry still in one gate's turnstile holds its place at the others -------
def last_place_config(tmp_path: Path, gate: str, direction: str) -> Config:
    return zone_config(tmp_path, gate, direction, capacity=1, anti_passback="off")


def test_an_entry_still_in_one_turnstile_holds_the_last_place_at_the_other_gates(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    """Capacity 1. A is let in at gate A and takes a while through the turnstile (a trolley);
    B shows a code at gate B meanwhile. Gate B must not give B the place A holds: B waits, and
    is let in once A has left by the exit."""
    slow = Pace(pass_s=4.0)
    a = ZoneGate(
        last_place_config(tmp_path, "hall-in-a", "entry"),
        [person("A", 0)],
        broker.host,
        broker.port,
        pace=slow,
    )
    b = ZoneGate(
        last_place_config(tmp_path, "hall-in-b", "entry"),
        [person("B", 1)],
        broker.host,
        broker.port,
    )
    out = ZoneGate(
        last_place_config(tmp_path, "hall-out", "exit"), [person("A", 14)], broker.host, broker.port
    )
    made.extend([a, b, out])
    run_zone(made)
    assert a.checks() == [("A", "admitted", "through")]
    assert b.checks() == [("B", "zone_full", "wait"), ("B", "admitted", "through")]
    [a_passage] = [p for p in a.record.passages() if p["gate"] is None]
    told, admitted = b.record.checks()
    # B was told to wait while A was still in gate A's turnstile, and let in after A left
    assert a_passage["released_s"] < told["epoch_s"] < a_passage["passed_s"]
    [left] = [p for p in out.record.passages() if p["gate"] is None]
    assert left["passed_s"] < admitted["epoch_s"]
    # nobody counted inside before they went through; never over the capacity, at any gate
    for gate in made:
        assert [n for _, n in gate.record.occupancy_over_time("hall")] == [1, 0, 1]
    # the zone's gates heard A's entry open, then closed: one row, closed
    heard = [p for p in b.record.passages() if p["admission_id"] == a_passage["admission_id"]]
    assert [(p["outcome"], p["gate"]) for p in heard] == [("passed", "hall-in-a")]


def test_an_entry_that_turns_back_gives_its_place_back_at_once(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    a = ZoneGate(
        last_place_config(tmp_path, "hall-in-a", "entry"),
        [person("A", 0, passes=False)],
        broker.host,
        broker.port,
    )
    b = ZoneGate(
        last_place_config(tmp_path, "hall-in-b", "entry"),
        [person("B", 1)],
        broker.host,
        broker.port,
    )
    made.extend([a, b])
    run_zone(made)
    assert b.checks() == [("B", "zone_full", "wait"), ("B", "admitted", "through")]
    [a_passage] = [p for p in a.record.passages() if p["gate"] is None]
    assert a_passage["outcome"] == "not_passed"
    admitted = b.record.checks()[1]["epoch_s"]
    # let in when A's pass closed unused, not when the reservation would have run out
    held_until = a_passage["released_s"] + a_passage["window_s"] + RESERVATION_MARGIN_S
    assert a_passage["closed_s"] <= admitted < held_until
    assert [n for _, n in b.record.occupancy_over_time("hall")] == [1]


def gate_b_alone(tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]) -> ZoneGate:
    """Gate B of the zone, connected, B coming up to it; gate A is only heard (gate_a_opens)."""
    b = ZoneGate(
        last_place_config(tmp_path, "hall-in-b", "entry"),
        [person("B", 0)],
        broker.host,
        broker.port,
    )
    made.append(b)
    b.start()
    return b


def gate_a_opens(broker: PrivateBroker, b: ZoneGate, released_s: float) -> PassageRow:
    """A let in at gate A: its open passage, sent on gate A's topic as gate A sends it, and
    heard by gate B."""
    opened = PassageRow("a" * 32, "check", "A", released_s, 6.0, "waiting", zone="hall")
    gate_a = Messages("test-park", "hall-in-a", boot_id="b" * 32, timezone="Asia/Shanghai")
    message = gate_a.passage(opened, released_s)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"peer-{new_event_id()[:6]}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        # sent again until B has heard it (B may still be subscribing on a loaded machine): a
        # passage heard twice counts once
        for _ in range(10):
            client.publish(message.topic, message.payload, qos=1).wait_for_publish(10)
            if wait_for(lambda: b.publisher.peer_passages_heard >= 1, timeout_s=3.0):
                break
    finally:
        client.loop_stop()
        client.disconnect()
    assert wait_for(lambda: b.publisher.peer_passages_heard == 1)
    return opened


def test_a_place_held_by_a_gate_that_went_silent_is_given_back_by_itself(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate]
) -> None:
    """Gate A opened an entry and was heard no more (it died in the window): its close never
    comes. B, told to wait, is let in once the reservation has run out."""
    b = gate_b_alone(tmp_path, broker, made)
    opened = gate_a_opens(broker, b, b.rig.world.start)  # as B comes up to gate B
    run_behind_first([b.station()])
    assert b.checks() == [("B", "zone_full", "wait"), ("B", "admitted", "through")]
    admitted = b.record.checks()[1]["epoch_s"]
    assert admitted >= opened.released_s + 6.0 + RESERVATION_MARGIN_S
    # the silent gate's entry was never anyone inside: only B is
    assert [n for _, n in b.record.occupancy_over_time("hall")] == [1]
    assert [p["person_id"] for p in b.record.people_inside("hall")] == ["B"]


def test_a_peers_open_entry_holds_a_place_until_its_close_and_each_counts_once(
    tmp_path: Path,
) -> None:
    config = zone_config(tmp_path, "hall-in-a", "entry")
    record = Record(tmp_path / "r.sqlite")
    link = ZoneLink(config, record, GateState(risk_tier="low"), lambda: None)
    peer = Messages("test-park", "hall-in-b", boot_id="b" * 32, timezone="Asia/Shanghai")

    def hear(row: PassageRow, at_s: float) -> bool:
        message = peer.passage(row, at_s)
        return link.apply(message.topic, message.payload.encode(), at_s)

    opened = PassageRow("a" * 32, "check", "P1", 1_000.0, 6.0, "waiting", zone="hall")
    assert hear(opened, 1_000.0)
    assert not hear(opened, 1_000.0)  # redelivered: once
    # a place held, nobody inside: not in the occupancy, the roll call or anti-passback
    assert link.reserved(1_001.0) == 1
    assert record.occupancy("hall") == 0 and record.people_inside("hall") == []
    assert record.inside_since("hall", "P1") is None
    passed = dataclasses.replace(opened, outcome="passed", passed_s=1_003.0, closed_s=1_003.0)
    assert hear(passed, 1_003.0)
    assert link.reserved(1_003.0) == 0
    assert record.occupancy("hall") == 1 and record.inside_since("hall", "P1") == "a" * 32
    assert not hear(passed, 1_004.0)  # a close heard again counts once
    assert not hear(opened, 1_005.0)  # an open heard after its close does not reopen it
    assert record.occupancy("hall") == 1 and link.reserved(1_005.0) == 0
    # turned back: the place is given back at its close, not counted
    second = PassageRow("c" * 32, "check", "P2", 1_010.0, 6.0, "waiting", zone="hall")
    assert hear(second, 1_010.0) and link.reserved(1_011.0) == 1
    assert hear(dataclasses.replace(second, outcome="not_passed", closed_s=1_016.0), 1_016.0)
    assert link.reserved(1_016.0) == 0 and record.occupancy("hall") == 1
    # an open exit frees nothing until it closes; an open entry whose close never comes holds
    # for its window and the margin, then no more
    leaving = PassageRow(
        "d" * 32, "check", "P1", 1_020.0, 6.0, "waiting", direction="exit", zone="hall"
    )
    assert hear(leaving, 1_020.0)
    assert link.reserved(1_021.0) == 0 and record.occupancy("hall") == 1
    lost = PassageRow("e" * 32, "check", "P3", 1_030.0, 6.0, "waiting", zone="hall")
    assert hear(lost, 1_030.0)
    assert link.reserved(1_030.0 + 6.0 + RESERVATION_MARGIN_S - 0.5) == 1
    assert link.reserved(1_030.0 + 6.0 + RESERVATION_MARGIN_S + 0.5) == 0
    # a restarted gate closes its own open passages as unknown, never a peer's
    assert record.waiting_passages() == []
    assert hear(dataclasses.replace(lost, outcome="passed", passed_s=1_031.0), 1_041.0)
    assert record.occupancy("hall") == 2  # P1 inside until their exit closes, and P3
    assert [p["person_id"] for p in record.people_inside("hall")] == ["P1", "P3"]
    # a peer's open passage never closed is forgotten with the rest past the retention
    assert hear(dataclasses.replace(lost, admission_id="f" * 32), 1_050.0)
    record.purge_before(2_000.0)
    assert record.passages() == []


def test_an_entry_opened_at_another_gate_during_a_check_holds_its_place(
    tmp_path: Path, broker: PrivateBroker, made: list[ZoneGate], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gate A lets someone in while B's check runs at gate B (a check takes seconds): gate B
    decides on what it has heard by then, not on what it knew when B stepped up."""
    b = gate_b_alone(tmp_path, broker, made)
    watch_code = b.gate.codes.wait
    opened: list[PassageRow] = []

    def watch_while_gate_a_admits(seconds: float) -> None:
        if not opened:  # B's code is read: their check is under way
            opened.append(gate_a_opens(broker, b, b.now))
        watch_code(seconds)

    monkeypatch.setattr(b.gate.codes, "wait", watch_while_gate_a_admits)
    run_behind_first([b.station()])
    assert b.checks()[0] == ("B", "zone_full", "wait")
    told = b.record.checks()[0]
    assert told["epoch_s"] - told["check_s"] < opened[0].released_s <= told["epoch_s"]
