"""``gate-terminal simulate`` on a gate that serves both ways: the shipped config and scenario
through the real gate software (a way in and a way out, each with its own simulated camera,
relay channel and passage contact on one GPIO twin), one real record and a real broker; the
summary's self-checks on both sides, and proof that they catch a disagreement on the way out."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import load_scenario
from simulator.runner import ShiftRun, run_simulation
from simulator.summarise import summarise
from simulator.truth import WayThrough
from simulator.zonecheck import zone_against_the_truth
from terminal.app.build import command_registry
from terminal.config import Config, ConfigError, load, parse, read_toml
from terminal.link.commands import CommandContext, CommandDesk, sign_command
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.both_ways import EXIT_RELAY_PIN, Terminal, both_config, leaving
from tests.support.cli import REPO, run
from tests.support.commands import CENTRE_KEY, CENTRE_KEY_ID, centre_keys
from tests.support.gate_inputs import ALARM_PIN
from tests.support.people import person

BOTH_CONFIG = REPO / "config" / "simulator-both.toml"
BOTH_SCENARIO = REPO / "simulator" / "scenarios" / "both-ways.csv"

# what the shipped scenario plans, row by row: (who, side, the gate's answer, whose code)
PLANNED = [
    ("W01", "entry", "admitted", "W01"),
    ("W02", "entry", "admitted", "W02"),
    ("W03", "entry", "admitted", "W03"),
    ("W01.again", "entry", "anti_passback", "W01"),  # W01 is inside: a second entry
    ("V01", "exit", "not_inside", "V01"),  # never came in
    ("W02.out", "exit", "admitted", "W02"),
    ("W01.out", "exit", "admitted", "W01"),
    ("W01.back", "entry", "admitted", "W01"),  # out, so in again
    ("W02.out-again", "exit", "not_inside", "W02"),  # out already
    ("W03.out", "exit", "admitted", "W03"),
]


@pytest.fixture(scope="module")
def both_run(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> ShiftRun:
    folder = tmp_path_factory.mktemp("both")
    return run_simulation(
        load(BOTH_CONFIG),
        scenario=BOTH_SCENARIO,
        broker=(broker.host, broker.port),
        record_path=folder / "both.sqlite",
    )


def record_of(shift: ShiftRun, path: Path | None = None) -> Record:
    return Record(path or shift.record_path)


def test_both_ways_run_agrees_with_itself(both_run: ShiftRun) -> None:
    summary = both_run.summary
    assert summary.problems == []
    assert summary.checks_received == len(PLANNED)  # both sides' checks reached the centre
    # the way in's figures, and the way out's apart
    assert (summary.people, summary.checks, summary.admitted) == (5, 5, 4)
    assert summary.denied_by_reason == {"anti_passback": 1}
    assert summary.passages == {"passed": 4}
    out = summary.way_out
    assert out is not None
    assert (out.people, out.checks, out.let_out, out.refused) == (5, 5, 3, {"not_inside": 2})
    assert out.passages == {"passed": 3}
    # the fire drill after the last person freed both turnstiles, and the gate lived through it
    (drill,) = summary.drills
    assert drill[0] < 1.0 and drill[1] == pytest.approx(60.0, abs=1.0)
    assert summary.zone is not None and summary.zone.peak == 3
    assert summary.zone.occupancy[-1][1] == 1  # W01 came back in


def test_each_check_is_the_planned_person_on_the_planned_side(both_run: ShiftRun) -> None:
    record = record_of(both_run)
    try:
        checks = record.checks()
        passages = record.passages()
    finally:
        record.close()
    assert [(c["person_id"], c["direction"], c["reason"]) for c in checks] == [
        (code_of, side, reason) for _, side, reason, code_of in PLANNED
    ]
    # the simulator's truth: who stood in front at each check, on the side that decided
    assert both_run.way_in is not None and both_run.way_out is not None
    sides = {"entry": both_run.way_in, "exit": both_run.way_out}
    for check, (who, side, _, _) in zip(checks, PLANNED, strict=True):
        person, row = sides[side].who_was_there[check["event_id"]]
        assert person is not None and person.person_id == who
        assert row.direction == side
    # the anti-passback refusal names W01's first entry; the second not_inside W02's exit
    by_id = {c["event_id"]: c for c in checks}
    refused = next(c for c in checks if c["reason"] == "anti_passback")
    assert by_id[refused["passback_of"]]["direction"] == "entry"
    again = checks[8]
    assert by_id[again["passback_of"]]["direction"] == "exit"
    assert by_id[again["passback_of"]]["person_id"] == "W02"
    # a passage per release, on its side, for the person who went through: seven
    through = [(side, code_of) for _, side, reason, code_of in PLANNED if reason == "admitted"]
    assert len(through) == 7
    assert [(p["direction"], p["person_id"], p["outcome"]) for p in passages] == [
        (side, code_of, "passed") for side, code_of in through
    ]
    # and the people did what the turnstiles let them: the refused at the way out waited at
    # the shut turnstile (it has no lamp), then went to a guard
    exit_world = both_run.rig.exit_world
    assert exit_world is not None
    assert [(v.person.person_id, v.outcome) for v in exit_world.visits] == [
        ("V01", "no_decision"),
        ("W02.out", "passed"),
        ("W01.out", "passed"),
        ("W02.out-again", "no_decision"),
        ("W03.out", "passed"),
    ]


def test_the_summary_shows_the_way_out(both_run: ShiftRun) -> None:
    from simulator.summary import format_summary

    text = format_summary(both_run.summary)
    assert "Shift summary (5 people in, 5 out," in text
    assert "  checks recorded        5 on the way in: " in text
    assert "  way out                5 people, 5 checks: 3 let out, 2 refused\n" in text
    assert "    not_inside           2\n" in text
    assert "    passages out         3 went through, 0 not within the window" in text
    assert "  fire drill             both turnstiles freed " in text
    assert "record, broker and subscriber agree one to one" in text


def summarise_again(shift: ShiftRun, record: Record, way_out: WayThrough) -> list[str]:
    """The summary's self-checks over a finished run, as ``run_simulation`` makes them (without
    the broker's side)."""
    config = shift.rig.config
    assert shift.way_in is not None
    summary = summarise(
        record,
        shift.rig.world,
        shift.way_in.who_was_there,
        None,
        GateTopics(config.gate.park, config.gate.id),
        config,
        way_out,
    )
    _, zone_found = zone_against_the_truth(config, record, shift.rig, [], way_out)
    return summary.problems + zone_found


def test_the_self_check_catches_the_way_out_taken_for_the_way_in(both_run: ShiftRun) -> None:
    """Had ``remember`` looked at the way in's queue for a check of the way out, nobody would
    be in front of the way out's checks: every one of them is a disagreement."""
    assert both_run.way_out is not None
    wrong = WayThrough(both_run.way_out.world)
    for event_id, (_, row) in both_run.way_out.who_was_there.items():
        wrong.who_was_there[event_id] = (None, row)
    record = record_of(both_run)
    try:
        problems = summarise_again(both_run, record, wrong)
        assert summarise_again(both_run, record, both_run.way_out) == []  # as the run had it
    finally:
        record.close()
    made_with_nobody = [p for p in problems if "was made with nobody in front" in p]
    assert len(made_with_nobody) == 5
    assert all(p.startswith("on the way out: ") for p in made_with_nobody)


def test_the_self_check_catches_a_way_out_passage_the_record_has_wrong(
    both_run: ShiftRun, tmp_path: Path
) -> None:
    """A gate reading the way out's passage contact wrong (say, the way in's pin) records W03
    as not gone through: the world saw W03 go out."""
    copy = tmp_path / "record.sqlite"
    shutil.copy(both_run.record_path, copy)
    with sqlite3.connect(copy) as db:
        changed = db.execute(
            "UPDATE passages SET outcome = 'not_passed'"
            " WHERE direction = 'exit' AND person_id = 'W03'"
        ).rowcount
    db.close()
    assert changed == 1
    record = record_of(both_run, copy)
    try:
        assert both_run.way_out is not None
        problems = summarise_again(both_run, record, both_run.way_out)
    finally:
        record.close()
    assert problems == ["on the way out: W03.out went through, the record says not_passed"]


def test_the_self_check_knows_who_was_inside_when_the_way_out_refused(
    both_run: ShiftRun,
) -> None:
    """The world's truth, not the record's: had W02 turned back at the way out (and the gate
    still counted W02 out), W02's second exit refused as not_inside is a disagreement."""
    assert both_run.way_out is not None
    visit = next(v for v in both_run.way_out.world.visits if v.person.person_id == "W02.out")
    record = record_of(both_run)
    try:
        visit.outcome = "turned_back"
        problems = summarise_again(both_run, record, both_run.way_out)
    finally:
        visit.outcome = "passed"
        record.close()
    assert "W02.out-again was refused not_inside, and W02 was inside" in problems
    assert "on the way out: W02.out turned back, the record says passed" in problems


@pytest.mark.slow  # starts a process
def test_the_shipped_both_config_simulates_from_the_command_line(tmp_path: Path) -> None:
    done = run(
        "simulate",
        "--config",
        str(BOTH_CONFIG),
        "--scenario",
        str(BOTH_SCENARIO),
        "--record",
        str(tmp_path / "both.sqlite"),
    )
    assert done.returncode == 0, done.stderr
    assert "  way out                5 people, 5 checks: 3 let out, 2 refused" in done.stdout
    assert "record, broker and subscriber agree one to one" in done.stdout
    record = Record(tmp_path / "both.sqlite")
    try:
        directions = [c["direction"] for c in record.checks()]
    finally:
        record.close()
    assert directions.count("exit") == 5 and directions.count("entry") == 5


def test_the_scenario_goes_both_ways() -> None:
    people = load_scenario(BOTH_SCENARIO)
    assert [(p.person_id, p.direction) for p in people] == [
        (who, "out" if side == "exit" else "in") for who, side, _, _ in PLANNED
    ]


def test_a_fire_alarm_frees_whoever_stands_at_the_way_out(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    """Someone at the way out when the drill sounds goes out unchecked; nobody steps up at
    either side while it sounds; the self-check finds both turnstiles held free."""
    config = simulated_both(tmp_path, fire_drill_at_s=42.0, fire_drill_s=60.0)
    people = [person("P1", 0), leaving("P1", 30), leaving("P2", 40, "none")]
    shift = run_simulation(
        config, people=people, broker=(broker.host, broker.port), record_path=tmp_path / "r.db"
    )
    assert shift.summary.problems == []
    exit_world = shift.rig.exit_world
    assert exit_world is not None
    start = exit_world.start
    (visit,) = [v for v in exit_world.visits if v.person.person_id == "P2"]
    # P2 shows no code: not noticed at the way out; freed when the drill came
    assert visit.outcome == "freed" and visit.reacted_at is not None
    assert 42.0 <= visit.reacted_at - start < 43.0
    out = shift.summary.way_out
    assert out is not None and out.freed == 1


def simulated_both(tmp_path: Path, **simulator: object) -> Config:
    """The tests' config serving both ways, as ``simulate`` takes it (a fire alarm wired)."""
    return both_config(
        tmp_path,
        gate={"hardware": "simulated"},
        inputs={"fire_alarm": {"pin": ALARM_PIN}},
        simulator={"turn_back_share": 0.0, **simulator},
    )


def test_a_simulated_vehicle_gate_takes_the_guards_vehicles_on_the_way_in(tmp_path: Path) -> None:
    """The simulated gate's command desk, as ``simulate`` wires it: the guard's vehicle entry for
    a driver admitted on the way in lifts the way in's barrier, and the way out's stays."""
    config = both_config(tmp_path, vehicles={"enabled": True}, commands=centre_keys())
    terminal = Terminal(config, [person("D1", 0)])
    gate = terminal.gate
    while not terminal.record.checks():  # the driver, checked on the way in; the gate runs on
        gate.poll()
    assert terminal.checks() == [("D1", "admitted", "entry")]
    desk = CommandDesk(
        command_registry(gate),
        terminal.rig.config.commands,
        CommandContext(
            config=terminal.rig.config,
            state=terminal.state,
            record=terminal.record,
            messages=gate.entry.messages,
            now=terminal.rig.clock.time,
            open_once=gate.open_once,
            reload_roster=lambda: None,
            changed=lambda: None,
        ),
    )
    entry_relay = config.outputs.relay_pin
    assert terminal.rig.gpio.levels[entry_relay] == 0  # the driver's admission lifts nothing
    command = sign_command(
        CENTRE_KEY,
        CENTRE_KEY_ID,
        name="vehicle_entry",
        park=config.gate.park,
        gate=config.gate.id,
        payload={"plate": "粤B12345", "driver": "D1", "purpose": "delivers the canteen's rice"},
        issued_by="duty-officer",
        now_s=terminal.rig.clock.time(),
    )
    result = desk.take("vehicle_entry", json.dumps(command).encode())
    assert (result.outcome, result.detail) == ("done", "vehicle 粤B12345 admitted: admitted")
    # the way in's barrier is up, held for the vehicle's passage; the way out's never moved
    levels = terminal.rig.gpio.levels
    assert (levels[entry_relay], levels[EXIT_RELAY_PIN]) == (1, 0)
    assert terminal.held(EXIT_RELAY_PIN) == []
    (vehicle,) = terminal.record.rows("vehicles")
    assert (vehicle["plate"], vehicle["driver"], vehicle["decision"]) == ("粤B12345", "D1", "admit")


# a zone of two gates that serve both ways: gate-1 (the shipped config's) and gate-2 beside it
ZONE_OF_TWO = """person_id,arrival_s,core_c,ambient_c,code,direction,gate,code_of,object_c
A,0,36.5,20.0,green,in,,,33.6
A.out,30,36.5,20.0,green,out,gate-2,A,
A.back,60,36.5,20.0,green,in,gate-2,A,33.6
A.again,100,36.5,20.0,green,in,,A,33.6
B,110,36.5,20.0,green,out,gate-2,,
A.home,140,36.5,20.0,green,out,,A,
"""


def zone_of_two_both_ways() -> Config:
    data = read_toml(BOTH_CONFIG)
    data["zone"]["gates"] = ["gate-1", "gate-2"]
    data["simulator"]["zone_gates"] = {"gate-2": "both"}
    return parse(data, BOTH_CONFIG)


def test_a_zone_gate_that_serves_both_ways_is_simulated_beside_it(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    scenario = tmp_path / "zone.csv"
    scenario.write_text(ZONE_OF_TWO, encoding="utf-8")
    shift = run_simulation(
        zone_of_two_both_ways(),
        scenario=scenario,
        broker=(broker.host, broker.port),
        record_path=tmp_path / "zone.sqlite",
    )
    assert shift.summary.problems == []

    def checks_at(gate: str) -> list[tuple[str, str, str]]:
        record = Record(shift.records[gate])
        try:
            return [(c["person_id"], c["direction"], c["reason"]) for c in record.checks()]
        finally:
            record.close()

    # each gate decides on the passages the other sent: A out at gate-2 after coming in at
    # gate-1, back in there, refused a second entry at gate-1, and let out there
    assert checks_at("gate-2") == [
        ("A", "exit", "admitted"),
        ("A", "entry", "admitted"),
        ("B", "exit", "not_inside"),
    ]
    assert checks_at("gate-1") == [
        ("A", "entry", "admitted"),
        ("A", "entry", "anti_passback"),
        ("A", "exit", "admitted"),
    ]
    zone = shift.summary.zone
    assert zone is not None
    assert zone.passbacks == [("gate-1", "A", "gate-2")]
    assert zone.people == {"gate-1": 3, "gate-2": 3}
    assert zone.occupancy[-1][1] == 0


def test_a_zone_gate_serving_both_ways_needs_the_way_out_wired(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r'simulator\.zone_gates\.gate-2: "both" is simulated wired as'
    ) as raised:
        make_config(
            tmp_path,
            zone={"name": "hall", "gates": ["gate-t", "gate-2"]},
            simulator={"zone_gates": {"gate-2": "both"}},
        )
    assert "\n" not in str(raised.value)
