"""Rest and re-screen at the gate, end to end on the simulator's rig with a real SQLite record:
a raised first reading sends the person to rest and says where, how long and from when; their
return in time is the rested stage, judged against their first reading; a return too early is
told the same time again; a rest nobody came back to is recorded as not returned and security
is told; a rest outlasts a restart and holds no code."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.crowd import SimPerson
from simulator.rig import Rig, build_rig
from terminal.config import Config
from terminal.display.state import DisplayState, Screen
from terminal.gate.lane import Gate
from terminal.record.store import Record
from terminal.rules.policy import Reason, Route
from tests.conftest import make_config
from tests.support.gates import run_until_done
from tests.support.judging import REST_C, ScriptedJudge, devices_telling, scripted
from tests.support.people import person

RAISED = {"object_c": 34.9}  # at or above REST_C, below GUARD_C: rest, or the guard after one
NORMAL = {"object_c": 33.9}


class Watched(DisplayState):
    """The worker's display, and every answer it showed."""

    def __init__(self, config: Config) -> None:
        super().__init__(
            language="en",
            answer_s=3600.0,
            isolation_room="room",
            isolation_location="place",
            rest_area=config.screening.rest_area,
            rest_min=config.screening.rest_min,
        )
        self.shown: list[Screen] = []

    def decided(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().decided(*args, **kwargs)
        self.shown.append(self.screen())


class Lane:
    """A gate on the rig for ``people``, whose judgement is scripted, with its display."""

    def __init__(self, config: Config, people: list[SimPerson], record: Record) -> None:
        self.rig: Rig = build_rig(config, people)
        for visit in people:  # later visits of A show A's own code
            if visit.person_id.startswith("A") and visit.person_id != "A":
                self.rig.world.payloads[visit.person_id] = self.rig.world.payloads["A"]
        self.told: list[str] = []
        self.display = Watched(config)
        self.record = record
        self.gate = Gate(
            config=self.rig.config,
            devices=devices_telling(self.rig, self.told),
            record=record,
            roster=self.rig.roster,
            display=self.display,
        )
        self.judge: ScriptedJudge = scripted(self.gate.screener)

    def run(self) -> list[dict]:
        run_until_done(self.gate, self.rig)
        return self.record.checks()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path, screening={"rest_area": "the benches by door 3"})


def local_hhmm(epoch_s: float, config: Config) -> str:
    return datetime.fromtimestamp(epoch_s, ZoneInfo(config.gate.timezone)).strftime("%H:%M")


def test_a_raised_reading_rests_and_a_return_in_time_is_judged_against_the_first(
    config: Config, tmp_path: Path
) -> None:
    people = [
        person("A", 0, **RAISED),
        person("A-early", 120, **RAISED),  # back after 2 minutes of 5
        person("A-back", 400, **NORMAL),  # back after the rest, in time
    ]
    lane = Lane(config, people, Record(tmp_path / "r.sqlite"))
    first, early, back = lane.run()
    # told to rest, where, for how long and from when
    due_s = first["epoch_s"] + 5 * 60
    assert (first["reason"], first["route"], first["screening"]) == ("rest", "rest", "rest")
    rest_screen = lane.display.shown[0]
    assert rest_screen.headline == "Rest 5 minutes, then scan again"
    assert "the benches by door 3" in rest_screen.todo
    assert f"from {local_hhmm(due_s, config)}" in rest_screen.todo
    assert lane.told == ["rest", "rest"]  # the gate's display device hears it too
    # too early: the same time again, and no second rest
    assert (early["reason"], early["screening"]) == ("rest", "rest")
    assert early["rest_until"] == first["rest_until"] is not None
    assert datetime.fromisoformat(first["rest_until"]).timestamp() == pytest.approx(due_s)
    assert lane.display.shown[1].todo == rest_screen.todo
    # in time: the rested stage, held against the first reading, and through
    assert (back["decision"], back["screening"], back["screening_stage"]) == (
        "admit",
        "rest_pass",
        "rested",
    )
    assert back["replay_of"] is None  # a rest holds no code
    assert [rested is None for _, rested in lane.judge.calls] == [True, True, False]
    rested = lane.judge.calls[-1][1]
    assert (rested.first_object_c, rested.told_at_s) == (first["object_c"], first["epoch_s"])
    (rest,) = lane.record.rests()
    assert (rest["event_id"], rest["status"], rest["closed_by"]) == (
        first["event_id"],
        "returned",
        back["event_id"],
    )
    assert rest["expires_s"] == pytest.approx(due_s + 15 * 60)


def test_a_reading_still_raised_after_the_rest_goes_to_the_guard_and_says_why(
    config: Config, tmp_path: Path
) -> None:
    people = [person("A", 0, **RAISED), person("A-back", 400, **RAISED)]
    lane = Lane(config, people, Record(tmp_path / "r.sqlite"))
    first, back = lane.run()
    assert (back["reason"], back["route"], back["screening"]) == (
        "secondary_check",
        "secondary_check",
        "rest_guard",
    )
    assert [f["event_id"] for f in lane.record.open_flags()] == [back["event_id"]]
    (alert,) = [
        json.loads(m["payload"])["data"]
        for m in lane.record.outbox()
        if m["topic"].endswith("/alert/secondary_check")
    ]
    assert alert["object_c"] == pytest.approx(back["object_c"], abs=0.006)  # the screened one
    assert alert["threshold_c"] is not None and alert["reference_basis"] == "crowd"
    assert alert["reference_c"] == pytest.approx(33.8) and "against" in alert["why"]
    (message,) = [
        json.loads(m["payload"])["data"]
        for m in lane.record.outbox()
        if m["topic"].endswith("/check") and m["event_id"] == first["event_id"]
    ]
    assert (message["screening"], message["reference_basis"]) == ("rest", "crowd")
    assert message["threshold_c"] == pytest.approx(REST_C)
    assert message["object_c"] == pytest.approx(first["object_c"], abs=0.006)
    assert message["ambient_c"] == pytest.approx(first["ambient_c"], abs=0.06)
    assert datetime.fromisoformat(message["rest_until"]).timestamp() == pytest.approx(
        first["epoch_s"] + 300, abs=0.01
    )


def test_a_person_who_never_comes_back_is_recorded_and_security_is_told(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A is told to rest and does not come back within rest_min + rest_return_min (20 minutes);
    # B comes by after that; A comes at last and is a first reading again
    people = [person("A", 0, **RAISED), person("B", 1300), person("A-late", 1400, **RAISED)]
    lane = Lane(config, people, Record(tmp_path / "r.sqlite"))
    with caplog.at_level(logging.WARNING):
        first, b, late = lane.run()
    assert b["decision"] == "admit"
    assert [rested is None for _, rested in lane.judge.calls] == [True, True, True]
    assert (late["reason"], late["screening"]) == ("rest", "rest")  # told to rest afresh
    old, new = lane.record.rests()
    assert (old["status"], old["closed_by"]) == ("not_returned", "gate")
    assert old["expires_s"] < old["closed_at_s"] <= b["epoch_s"]
    assert (new["event_id"], new["status"]) == (late["event_id"], "open")
    (alert,) = [
        json.loads(m["payload"])["data"]
        for m in lane.record.outbox()
        if m["topic"].endswith("/alert/not_returned")
    ]
    assert (alert["kind"], alert["person_id"], alert["check_event_id"]) == (
        "not_returned",
        "A",
        first["event_id"],
    )
    assert local_hhmm(first["epoch_s"], config) in alert["detail"]
    said = [r.getMessage() for r in caplog.records if "did not come back" in r.getMessage()]
    assert len(said) == 1 and "A" not in said[0].split() and "34." not in said[0]


def test_a_rest_outlasts_a_restart(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    record = Record(path)
    Lane(config, [person("A", 0, **RAISED)], record).run()
    record.close()
    # the gate restarts; A comes back after the rest, with their code
    lane = Lane(config, [person("A", 400, **NORMAL)], Record(path))
    first, back = lane.run()
    assert (first["screening"], back["screening"], back["decision"]) == (
        "rest",
        "rest_pass",
        "admit",
    )
    assert [r["status"] for r in lane.record.rests()] == ["returned"]


def test_a_rested_reading_never_rests_again_and_a_rest_switched_off_is_the_guards(
    tmp_path: Path,
) -> None:
    # the park switched rests off: a raised first reading goes to the guard at once
    config = make_config(tmp_path, screening={"rest": False})
    lane = Lane(config, [person("A", 0, **RAISED)], Record(tmp_path / "r.sqlite"))
    (check,) = lane.run()
    assert (check["reason"], check["screening"]) == ("secondary_check", "guard")
    assert lane.record.rests() == [] and lane.told == []


def test_the_display_tells_a_rest_in_chinese(config: Config) -> None:
    display = DisplayState(
        language="zh",
        answer_s=60.0,
        isolation_room="room",
        isolation_location="place",
        rest_area="三号门旁的座椅",
        rest_min=5.0,
    )
    display.decided(Reason.REST, Route.REST, rest_until="08:05")
    screen = display.screen()
    assert (screen.kind, screen.tone) == ("rest", "refuse")
    assert "5" in screen.headline and "三号门旁的座椅" in screen.todo and "08:05" in screen.todo


def test_a_rest_never_makes_a_worker_late_for_their_window(tmp_path: Path) -> None:
    # the shift starts at 07:30; the group's arrival window closes at 07:34 (+ 2 min of grace)
    shifts = {
        "early_grace_min": 0,
        "late_grace_min": 2,
        "groups": {"day": {"windows": [{"at": "07:20-07:34", "kind": "arrival"}]}},
    }
    config = make_config(tmp_path, shifts=shifts)
    people = [
        person("A", 60, group="day", **RAISED),  # 07:31: in the window, told to rest
        person("A-back", 420, group="day", **NORMAL),  # 07:37: the window closed meanwhile
        person("B", 430, group="day", **NORMAL),  # 07:37 too, and never told to rest: late
    ]
    lane = Lane(config, people, Record(tmp_path / "r.sqlite"))
    first, back, late = lane.run()
    assert (first["reason"], first["screening"]) == ("rest", "rest")
    # judged for their window as when the gate told them to rest
    assert (back["decision"], back["reason"], back["screening"]) == (
        "admit",
        "admitted",
        "rest_pass",
    )
    assert (late["decision"], late["reason"]) == ("deny", "shift_late")
