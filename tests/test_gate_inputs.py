"""The gate's inputs end to end on the simulated entrance: the turnstile's passage contact, the
fire alarm and the staff button, with the real drivers on the GPIO twin, a real SQLite record and,
where messages matter, a real Mosquitto and a subscriber at the operations centre."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker
from simulator.rig import Rig, build_rig, shift_start_epoch
from simulator.runner import run_simulation
from simulator.subscriber import Subscriber
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.link.topics import GateTopics
from terminal.link.zonelink import ZoneLink
from terminal.record.store import Record
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.gate_inputs import ALARM_PIN, BUTTON_PIN, PASSAGE_PIN, Centre, centres, passage
from tests.support.gates import run_until_done
from tests.support.people import person
from tests.support.waiting import wait_for

__all__ = ["centres"]  # shared fixtures, taken by name

BUTTON_REASON = "guard at the north gate lets a delivery through"


def wired_config(tmp_path: Path, **inputs: dict) -> Config:
    return make_config(tmp_path, inputs=inputs)


def held_spans(rig: Rig, config: Config) -> list[tuple[float, float]]:
    return rig.gpio.pulses(config.outputs.relay_pin)


# --- passage feedback ---------------------------------------------------------------------------
def test_passages_used_and_not_used_agree_with_what_people_did(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    config = wired_config(tmp_path, passage=passage(window_s=6.0))
    crowd = [person("A", 0), person("B", 3, passes=False), person("C", 6), person("D", 9, "red")]
    topics = GateTopics(config.gate.park, config.gate.id)
    centre = Subscriber(broker.host, broker.port, topics)
    try:
        shift = run_simulation(
            config,
            people=crowd,
            broker=(broker.host, broker.port),
            record_path=tmp_path / "shift.sqlite",
        )
        assert shift.summary.problems == []  # the simulator's truth agrees with the record
        assert shift.summary.passages == {"passed": 2, "not_passed": 1}
        assert shift.summary.turned_back == 1
        record = Record(tmp_path / "shift.sqlite")
        checks = {c["person_id"]: c for c in record.checks()}
        rows = {p["admission_id"]: p for p in record.passages()}
        assert set(rows) == {checks[pid]["event_id"] for pid in "ABC"}  # one per admission
        a, b, c = (rows[checks[pid]["event_id"]] for pid in "ABC")
        assert (a["outcome"], b["outcome"], c["outcome"]) == ("passed", "not_passed", "passed")
        pass_s = shift.rig.world.pace.pass_s
        assert a["passed_s"] - a["released_s"] == pytest.approx(pass_s, abs=0.2)
        assert b["passed_s"] is None and b["closed_s"] - b["released_s"] == pytest.approx(6.0, 0.05)
        # the relay was held for each admitted person until they went through, or the window
        spans = held_spans(shift.rig, config)
        assert [round(length) for _, length in spans] == [round(pass_s), 6, round(pass_s)]
        assert spans[1][0] + spans[1][1] <= checks["C"]["epoch_s"]  # C was checked after
        # the operations centre hears of each passage, with its outcome
        assert wait_for(lambda: len(centre.received(topics.passage)) == 3)
        heard = {m["data"]["admission_id"]: m["data"] for m in centre.received(topics.passage)}
        assert heard[b["admission_id"]]["outcome"] == "not_passed"
        assert heard[a["admission_id"]]["outcome"] == "passed"
        assert heard[a["admission_id"]]["person_id"] == "A"
        assert heard[a["admission_id"]]["passed_at"] is not None
    finally:
        centre.stop()


def test_without_a_passage_contact_the_relay_pulses_as_before(tmp_path: Path) -> None:
    config = wired_config(tmp_path)
    rig = build_rig(config, [person("A", 0), person("B", 3, passes=False)])
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    assert [length for _, length in held_spans(rig, config)] == [pytest.approx(0.5)] * 2
    assert [p["outcome"] for p in record.passages()] == ["unconfirmed", "unconfirmed"]
    assert not any(m["topic"].endswith("event/passage") for m in record.outbox())


def test_someone_who_turned_back_comes_again_on_the_same_code(tmp_path: Path) -> None:
    """Admitted, B did not go through (the contact says so): B is not inside, and their code
    does not refuse them as a replay when they come back to the gate."""
    config = wired_config(tmp_path, passage=passage(window_s=6.0))
    crowd = [person("B", 0, passes=False), person("B.again", 40, code_of="B")]
    rig = build_rig(config, crowd)
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    while gate.passages.waiting:  # the second one's passage seen through
        gate.poll()
    assert [(c["person_id"], c["reason"]) for c in record.checks()] == [
        ("B", "admitted"),
        ("B", "admitted"),
    ]
    assert [p["outcome"] for p in record.passages()] == ["not_passed", "passed"]


def stopped_mid_passage(config: Config, path: Path) -> Rig:
    """A is admitted and the gate stops while their passage is open; then it starts again on
    the same record. The first rig, as the gate left it."""
    rig = build_rig(config, [person("A", 0, passes=False)])
    gate = Gate(config=rig.config, devices=rig.devices(), record=Record(path), roster=rig.roster)
    while not gate.passages.waiting:
        gate.poll()
    gate.close()
    again = build_rig(config, [person("Z", 0)])
    Gate(config=again.config, devices=again.devices(), record=Record(path), roster=again.roster)
    return rig


def test_a_gate_stopped_during_a_passage_window_records_it_as_unknown(tmp_path: Path) -> None:
    config = wired_config(tmp_path, passage=passage(window_s=30.0))
    path = tmp_path / "r.sqlite"
    rig = stopped_mid_passage(config, path)
    assert rig.gpio.levels[config.outputs.relay_pin] == 0  # shut when the service stops
    assert [p["outcome"] for p in Record(path).passages()] == ["unknown"]


def test_a_passage_contact_stuck_closed_is_a_fault_until_it_opens(tmp_path: Path) -> None:
    config = wired_config(tmp_path, passage={**passage(), "stuck_after_s": 5.0})
    rig = build_rig(config, [])  # nobody at the gate
    record = Record(tmp_path / "r.sqlite")
    state = GateState(risk_tier="low")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster,
                state=state)  # fmt: skip
    now = rig.clock.time
    # a contact to ground with the pull-up: closed reads low; a person passes in a second
    rig.gpio.drive(PASSAGE_PIN, 0, now() + 1.0)
    rig.gpio.drive(PASSAGE_PIN, None, now() + 2.0)
    rig.gpio.drive(PASSAGE_PIN, 0, now() + 3.0)  # then it jams closed
    stuck_at = now() + 3.0 + 5.0
    while now() < stuck_at - 0.5:
        gate.poll()
    assert "passage_contact_stuck" not in state.faults  # a passage, then not yet long enough
    while now() < stuck_at + 0.5:
        gate.poll()
    assert "passage_contact_stuck" in state.faults
    rig.gpio.drive(PASSAGE_PIN, None)  # freed
    for _ in range(10):
        gate.poll()
    assert "passage_contact_stuck" not in state.faults
    faults = record.db.query("SELECT kind, active FROM faults ORDER BY at_s")
    assert [(f["kind"], f["active"]) for f in faults] == [
        ("passage_contact_stuck", 1),
        ("passage_contact_stuck", 0),
    ]
    events = [json.loads(m["payload"]) for m in record.outbox() if m["topic"].endswith("/fault")]
    assert [(e["data"]["kind"], e["data"]["active"]) for e in events] == [
        ("passage_contact_stuck", True),
        ("passage_contact_stuck", False),
    ]
    assert "closed 5 s with no pass open" in events[0]["data"]["detail"]


# --- the fire alarm ----------------------------------------------------------------------------
def test_a_fire_alarm_frees_the_gate_over_a_lockdown_and_screening_resumes(
    tmp_path: Path, broker: PrivateBroker, centres: list[Centre]
) -> None:
    config = wired_config(tmp_path, fire_alarm={"pin": ALARM_PIN})
    rig = build_rig(config, [person("A", 0), person("B", 12)])
    start = shift_start_epoch(config)
    rig.world.sound_fire_alarm(start + 8.0, start + 30.0)  # a drill, after A's check
    record = Record(tmp_path / "r.sqlite")
    centre = Centre(config, rig, broker, record)
    centres.append(centre)
    centre.state.lockdown = True  # the park had closed this gate: the alarm overrides it
    run_until_done(centre.gate, rig)

    (held_from, held_s),  = held_spans(rig, config)  # fmt: skip
    assert start + 8.0 < held_from < start + 8.2  # the alarm, debounced, freed it at once
    assert held_from + held_s == pytest.approx(start + 30.0, abs=0.2)  # until it cleared
    checks = record.checks()
    # A was refused for the lockdown before the alarm; B, who waited it out, after it
    assert [(c["person_id"], c["reason"]) for c in checks] == [("A", "lockdown"), ("B", "lockdown")]
    assert checks[0]["epoch_s"] < held_from and checks[1]["epoch_s"] > held_from + held_s
    assert not centre.state.emergency
    (emergency,) = record.rows("emergencies")
    assert emergency["started_s"] == pytest.approx(held_from)
    assert emergency["ended_s"] == pytest.approx(held_from + held_s)
    # the centre heard it start and end, and the retained status said so meanwhile
    assert wait_for(lambda: len(centre.received("alert/emergency_over")) == 1)
    (alarm,) = centre.received("alert/emergency")
    assert "fire alarm" in alarm["data"]["detail"]
    statuses = [m.get("emergency") for m in centre.received("status")]
    assert True in statuses and statuses[-1] is False
    assert statuses.index(True) < len(statuses) - 1


def test_a_cut_fire_alarm_wire_is_an_alarm(
    tmp_path: Path, broker: PrivateBroker, centres: list[Centre]
) -> None:
    config = wired_config(tmp_path, fire_alarm={"pin": ALARM_PIN})
    rig = build_rig(config, [person("A", 0)])
    start = shift_start_epoch(config)
    rig.world.cut_fire_alarm_wire(start - 20.0)  # before anyone comes: the gate must free itself
    record = Record(tmp_path / "r.sqlite")
    centre = Centre(config, rig, broker, record)
    centres.append(centre)
    while rig.clock.time() < start + 20.0:
        centre.gate.poll()
    assert centre.state.emergency
    assert rig.gpio.levels[config.outputs.relay_pin] == 1  # held free
    assert record.checks() == []  # nobody screened while it lasts
    assert [e["ended_s"] for e in record.rows("emergencies")] == [None]
    assert wait_for(lambda: any(m.get("emergency") for m in centre.received("status")))
    assert len(centre.received("alert/emergency")) == 1


def test_a_gate_restarted_during_an_alarm_stays_free_until_it_clears(tmp_path: Path) -> None:
    config = wired_config(tmp_path, fire_alarm={"pin": ALARM_PIN})
    path = tmp_path / "r.sqlite"
    rig = build_rig(config, [person("A", 0)])
    start = shift_start_epoch(config)
    rig.world.sound_fire_alarm(start - 50.0, start - 40.0)
    gate = Gate(config=rig.config, devices=rig.devices(), record=Record(path), roster=rig.roster)
    while not gate.state.emergency:
        gate.poll()
    gate.close()  # the service stops while the alarm sounds; when it is back, it has cleared
    again = build_rig(config, [person("A", 0)])
    gate = Gate(
        config=again.config, devices=again.devices(), record=Record(path), roster=again.roster
    )
    assert gate.state.emergency and again.gpio.levels[config.outputs.relay_pin] == 1
    gate.poll()
    assert not gate.state.emergency and again.gpio.levels[config.outputs.relay_pin] == 0
    (emergency,) = Record(path).rows("emergencies")
    assert emergency["ended_s"] is not None


# --- the staff button --------------------------------------------------------------------------
def test_the_staff_button_opens_once_with_its_reason_in_the_record(tmp_path: Path) -> None:
    config = wired_config(tmp_path, staff_button={"pin": BUTTON_PIN, "reason": BUTTON_REASON})
    rig = build_rig(config, [person("A", 20)])
    start = shift_start_epoch(config)
    # a press with a bouncing contact, then a second press a while later
    for at_s in (start + 2.0, start + 2.004, start + 2.008):
        rig.gpio.pulse_input(BUTTON_PIN, 0, at_s, 0.002)
    rig.gpio.pulse_input(BUTTON_PIN, 0, start + 2.012, 0.25)
    rig.gpio.pulse_input(BUTTON_PIN, 0, start + 10.0, 0.3)
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    releases = held_spans(rig, config)
    assert len(releases) == 3  # two presses, one each, and A's admission
    # once the contact settled (debounce_ms after its last bounce), within a frame or two
    assert start + 2.012 + 0.020 <= releases[0][0] < start + 2.012 + 0.020 + 2 / 15 + 0.01
    overrides = record.rows("overrides")
    assert [(o["source"], o["reason"], o["command_id"]) for o in overrides] == [
        ("staff_button", BUTTON_REASON, None)
    ] * 2
    assert overrides[0]["by"] == f"staff button, pin {BUTTON_PIN}"
    sent = [json.loads(m["payload"]) for m in record.outbox() if "override" in m["topic"]]
    assert [m["data"]["source"] for m in sent] == ["staff_button"] * 2
    assert [p["admitted_by"] for p in record.passages()] == ["staff_button"] * 2 + ["check"]


def test_a_staff_button_held_down_at_start_opens_nothing(tmp_path: Path) -> None:
    config = wired_config(tmp_path, staff_button={"pin": BUTTON_PIN, "reason": BUTTON_REASON})
    rig = build_rig(config, [])
    rig.gpio.drive(BUTTON_PIN, 0)  # jammed in, or its wire shorted
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    for _ in range(50):
        gate.poll()
    assert held_spans(rig, config) == [] and record.rows("overrides") == []


def test_a_scenario_says_who_turns_back_once_admitted(tmp_path: Path) -> None:
    from simulator.crowd import ScenarioError, load_scenario

    planned = tmp_path / "turning.csv"
    planned.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,passes\n"
        "T1,0,36.6,20,green,yes\nT2,5,36.6,20,green,no\nT3,9,36.6,20,green,\n",
        encoding="utf-8",
    )
    assert [p.passes for p in load_scenario(planned)] == [True, False, True]
    planned.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,passes\nT1,0,36.6,20,green,maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"turning\.csv:2: passes must be yes, no or empty"):
        load_scenario(planned)


def test_a_fire_drill_in_the_simulated_shift_is_checked_against_the_record(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    config = make_config(
        tmp_path,
        inputs={"fire_alarm": {"pin": ALARM_PIN}, "passage": passage()},
        simulator={"shift_start": "2026-11-23T07:30:00", "fire_drill_at_s": 10.0},
    )
    config = config.model_copy(
        update={"simulator": config.simulator.model_copy(update={"fire_drill_s": 30.0})}
    )
    crowd = [person(f"P{i}", i * 4.0) for i in range(6)]
    shift = run_simulation(
        config, people=crowd, broker=(broker.host, broker.port), record_path=tmp_path / "d.sqlite"
    )
    assert shift.summary.problems == []
    ((noticed_s, held_s, next_check_s),) = shift.summary.drills
    assert 0 <= noticed_s < 0.2 and held_s == pytest.approx(30.0, abs=0.2)
    assert next_check_s is not None and next_check_s < 5.0  # screening resumed
    record = Record(tmp_path / "d.sqlite")
    assert len(record.checks()) + shift.summary.freed == len(crowd)  # nobody screened meanwhile
    assert {p["outcome"] for p in record.passages()} == {"passed"}


def test_a_fire_drill_needs_a_fire_alarm(tmp_path: Path) -> None:
    from terminal.config import ConfigError

    with pytest.raises(ConfigError, match=r"fire_drill_at_s: needs a fire alarm"):
        make_config(tmp_path, simulator={"fire_drill_at_s": 60.0})


# --- with shift windows ---------------------------------------------------------------------------
def test_a_shift_refusal_opens_no_passage_while_the_admitted_go_through_or_turn_back(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    config = make_config(
        tmp_path,
        inputs={"passage": passage(window_s=6.0)},
        # the shift starts at 07:30: day's window opens at 07:40, with no grace
        shifts={"groups": {"day": {"windows": [{"at": "07:40-08:00", "kind": "arrival"}]}}},
    )
    crowd = [
        person("E-early", 0, group="day"),  # 07:30: refused with their window
        person("P-passes", 620, group="day"),  # 07:40:20: admitted, goes through
        person("T-turns", 630, group="day", passes=False),  # admitted, turns back
    ]
    shift = run_simulation(
        config, people=crowd, broker=(broker.host, broker.port), record_path=tmp_path / "s.sqlite"
    )
    assert shift.summary.problems == []  # the timetable and the passages agree with the record
    assert shift.summary.shift_refusals == {"shift_early": 1}
    assert shift.summary.passages == {"passed": 1, "not_passed": 1}
    record = Record(tmp_path / "s.sqlite")
    checks = {c["person_id"]: c for c in record.checks()}
    assert checks["E-early"]["next_window"] == "2026-11-23T07:40+08:00/2026-11-23T08:00+08:00"
    outcomes = {p["admission_id"]: p["outcome"] for p in record.passages()}
    assert outcomes == {
        checks["P-passes"]["event_id"]: "passed",
        checks["T-turns"]["event_id"]: "not_passed",
    }
    assert len(held_spans(shift.rig, config)) == 2  # the turnstile never moved for the early one
    record.close()


def test_a_scenario_has_both_a_group_and_whether_they_pass(tmp_path: Path) -> None:
    from simulator.crowd import load_scenario

    planned = tmp_path / "both.csv"
    planned.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,group,passes\n"
        "G1,0,36.6,20,green,day,no\nG2,5,36.6,20,green,,yes\n",
        encoding="utf-8",
    )
    assert [(p.group, p.passes) for p in load_scenario(planned)] == [("day", False), (None, True)]


def test_a_gate_stopped_during_a_passage_window_tells_its_zone_when_it_starts_again(
    tmp_path: Path,
) -> None:
    """Its peers held a place for the open passage; the gate, started again, sends it closed as
    unknown, so they count the person (the zone is not under-counted) instead of letting the
    place go when the reservation expires."""
    hall = {"name": "hall", "capacity": 5, "gates": ["gate-t", "hall-b"]}
    config = make_config(
        tmp_path,
        inputs={"passage": passage(window_s=30.0)},
        zone=hall,
    )
    path = tmp_path / "r.sqlite"
    stopped_mid_passage(config, path)
    sent = [m for m in Record(path).outbox() if m["topic"].endswith("/event/passage")]
    assert [json.loads(m["payload"])["data"]["outcome"] for m in sent] == ["waiting", "unknown"]
    # the peer hears both, in order: the reservation, then a person counted inside
    peer_folder = tmp_path / "hall-b"
    peer_folder.mkdir()
    peer_config = make_config(peer_folder, gate={"id": "hall-b"}, zone=hall)
    peer_record = Record(peer_folder / "r.sqlite")
    link = ZoneLink(peer_config, peer_record, GateState(risk_tier="low"), lambda: None)
    for message in sent:
        assert link.apply(message["topic"], message["payload"].encode())
    assert peer_record.occupancy("hall") == 1
