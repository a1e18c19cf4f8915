"""Shift windows at the gate, end to end: simulated workers of the config's groups with real QR
codes, the real drivers on the twins, a real SQLite record, the check events it sends, and the
simulated day checked against the simulator's own reading of the timetable."""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import CrowdMix, ScenarioError, in_groups, load_scenario, random_crowd
from simulator.rig import build_rig
from simulator.runner import run_simulation
from terminal.config import Config
from terminal.display.state import DisplayState
from terminal.gate.lane import Gate
from terminal.link.contract import CheckEvent
from terminal.record.store import CheckRow, Record
from terminal.rules.policy import Decision, Reason, Route
from terminal.rules.shifts import Verdict
from tests.conftest import REPO, make_config
from tests.support.people import person
from tests.support.roster_gates import run_until_done

# the shift starts on Monday 2026-11-23 at 07:30, Asia/Shanghai
SHIFTS = {
    "early_grace_min": 5,
    "late_grace_min": 2,
    "groups": {
        "day": {
            "windows": [
                {"at": "07:40-08:00", "kind": "arrival"},
                {"at": "11:30-12:00", "kind": "meal"},
                {"at": "17:00-17:30", "kind": "leaving"},
            ]
        },
        "early-birds": {"windows": [{"at": "07:00-07:20", "kind": "arrival"}]},
        "weekend": {"windows": [{"at": "07:00-09:00", "kind": "arrival", "days": ["sat-sun"]}]},
        "warehouse": {"windows": ["*"], "gates": ["gate-w"]},
    },
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, shifts=SHIFTS)


def test_every_shift_refusal_at_the_gate_says_when_the_window_is(
    config: Config, tmp_path: Path
) -> None:
    crowd = [
        person("A-early", 0, group="day"),  # 07:30: day opens at 07:35 with its grace
        person("B-late", 10, group="early-birds"),  # 07:30: closed at 07:22 with its grace
        person("C-weekend", 20, group="weekend"),  # a Monday
        person("D-warehouse", 30, group="warehouse"),  # this gate is not the warehouse's
        person("E-in-time", 330, group="day"),  # 07:35:30: inside the early grace
    ]
    rig = build_rig(config, crowd)
    record = Record(tmp_path / "r.sqlite")
    board = DisplayState(
        language="en", answer_s=8.0, isolation_room="Room", isolation_location="here"
    )
    shown: dict[str, str] = {}

    def on_check(row: CheckRow, decision: Decision) -> None:
        shown[row.person_id or "?"] = board.screen().todo

    gate = Gate(
        config=rig.config,
        devices=rig.devices(),
        record=record,
        roster=rig.roster,
        display=board,
        on_check=on_check,
    )
    run_until_done(gate, rig)
    outcome = {c["person_id"]: (c["reason"], c["next_window"]) for c in record.checks()}
    assert outcome == {
        "A-early": ("shift_early", "2026-11-23T07:40+08:00/2026-11-23T08:00+08:00"),
        "B-late": ("shift_late", "2026-11-24T07:00+08:00/2026-11-24T07:20+08:00"),
        "C-weekend": ("shift_not_today", "2026-11-28T07:00+08:00/2026-11-28T09:00+08:00"),
        "D-warehouse": ("gate_not_serving_group", None),
        "E-in-time": ("admitted", None),
    }
    assert shown == {
        "A-early": "Your window is 07:40-08:00. Please come back then",
        "B-late": "Your next window is tomorrow 07:00-07:20, or see staff",
        "C-weekend": "Your next window is Sat 28 Nov 07:00-09:00",
        "D-warehouse": "Use your group's gate, or see staff",
        "E-in-time": "Welcome",
    }
    # the check events carry the window too, and keep to the published contract
    events = [
        CheckEvent.model_validate(json.loads(m["payload"]))
        for m in record.outbox()
        if m["topic"].endswith("/event/check")
    ]
    assert {e.data.person_id: (e.data.reason.value, e.data.next_window) for e in events} == outcome
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1  # only the one in time
    record.close()


def test_a_leaving_window_admits_nobody_at_an_entrance(config: Config, tmp_path: Path) -> None:
    at_five = 9.5 * 3600 + 300  # 17:05, inside day's leaving window
    rig = build_rig(config, [person("L-leaving", at_five, group="day")])
    record = Record(tmp_path / "r.sqlite")
    gate = Gate(config=rig.config, devices=rig.devices(), record=record, roster=rig.roster)
    run_until_done(gate, rig)
    (check,) = record.checks()
    assert (check["decision"], check["reason"]) == ("deny", "shift_late")
    assert check["next_window"] == "2026-11-24T07:40+08:00/2026-11-24T08:00+08:00"
    record.close()


@pytest.mark.slow  # a whole shift
def test_the_simulated_day_refuses_early_and_late_workers_with_their_window(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    shipped = tomllib.loads((REPO / "config" / "simulator.toml").read_text(encoding="utf-8"))
    assert shipped["simulator"]["groups"] == ["day", "day-b"]
    config = make_config(
        tmp_path,
        shifts=shipped["shifts"],
        simulator={"groups": ["day", "day-b"], "arrival_window_s": 900},
    )
    # a calm crowd, so that nearly everyone is decided on their code and their shift
    calm = CrowdMix(
        **{share.name: 0.0 for share in fields(CrowdMix) if share.name != "arrival_window_s"}
    )
    crowd = random_crowd(60, seed=9, mix=calm)
    shift = run_simulation(
        config,
        people=in_groups(crowd, ["day", "day-b"]),
        broker=(broker.host, broker.port),
        record_path=tmp_path / "s.sqlite",
    )
    summary = shift.summary
    assert summary.problems == []
    # day's arrival closes at 07:43 with its grace; day-b's opens at 07:32: both are seen
    assert summary.shift_refusals.get("shift_early", 0) > 0
    assert summary.shift_refusals.get("shift_late", 0) > 0
    assert summary.shift_expected >= 50
    for row in shift.checks_by_person.values():
        if row.reason in ("shift_early", "shift_late"):
            assert row.next_window is not None


def test_a_scenario_names_each_persons_group(
    config: Config, tmp_path: Path, broker: PrivateBroker
) -> None:
    scenario = tmp_path / "scenario.csv"
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,object_c,group\n"
        "S1,0,36.6,19.0,green,33.8,day\nS2,330,36.6,19.0,green,33.9,day\n"
        "S3,340,36.6,19.0,green,33.7,\n",
        encoding="utf-8",
    )
    shift = run_simulation(
        config,
        scenario=scenario,
        broker=(broker.host, broker.port),
        record_path=tmp_path / "s.sqlite",
    )
    assert shift.summary.problems == []
    assert {pid: row.reason for pid, row in shift.checks_by_person.items()} == {
        "S1": "shift_early",
        "S2": "admitted",
        "S3": "admitted",  # no group: one whose window holds their arrival
    }
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,group\nS1,0,36.6,19.0,green,swing\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"S1: group 'swing' is not in shifts\.groups"):
        run_simulation(config, scenario=scenario, record_path=tmp_path / "t.sqlite")
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,group\nS1,0,36.6,19.0,green,a b\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r":2: group: not a shift group's name"):
        load_scenario(scenario)


def test_a_shift_refusal_without_a_window_ahead_sends_the_worker_to_staff() -> None:
    board = DisplayState(language="zh", answer_s=8.0, isolation_room="R", isolation_location="L")
    board.decided(Reason.SHIFT_NOT_TODAY, Route.ASIDE, None)
    assert (board.screen().headline, board.screen().todo) == ("今天没有您的班次", "请联系工作人员")


def test_a_gate_that_misreads_the_timetable_is_caught_by_the_simulated_day(
    config: Config, tmp_path: Path, broker: PrivateBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the simulator's timetable is its own: a gate that lets everyone in at any time disagrees
    monkeypatch.setattr("terminal.rules.roster.judge", lambda *_: Verdict(None))
    crowd = [person("A-early", 0, group="day"), person("B-in-time", 330, group="day")]
    shift = run_simulation(
        config, people=crowd, broker=(broker.host, broker.port), record_path=tmp_path / "s.sqlite"
    )
    assert shift.checks_by_person["A-early"].reason == "admitted"
    (problem,) = shift.summary.problems
    assert problem.startswith("A-early of group day at 07:30:")
    assert problem.endswith(": the timetable says shift_early, the gate said admitted")
