"""A scenario's planned forehead over time (object_c relaxing towards object_rested_c while the
person rests), a worker's own forehead for life, and a scenario over several days: each read
back as the gate would see it, through the thermometer twin, or as the simulator plans it."""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import pytest

from drivers.mlx90614 import MLX90614
from simulator.crowd import ScenarioError, SimPerson, load_scenario
from simulator.forehead import ForeheadModel
from simulator.foreheads import Foreheads
from simulator.results import steps_by_flag, write_results
from simulator.rig import Rig, build_rig, shift_start_epoch
from simulator.workdays import roster_on_day
from terminal.config import Config
from terminal.record.store import CheckRow
from terminal.rules.roster import Worker

HEADER = "person_id,arrival_s,core_c,ambient_c,code,object_c,object_rested_c,rest_tau_min,returns"
DAY = 86400


def scenario(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "scenario.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def planned(object_c: float, rested_c: float, tau_min: float, at: float = 0.0) -> float:
    return rested_c + (object_c - rested_c) * math.exp(-at / tau_min)


# --- the columns -------------------------------------------------------------------------------
def test_the_planned_columns_are_read_with_their_defaults(tmp_path: Path) -> None:
    people = load_scenario(
        scenario(
            tmp_path,
            "A,0,36.6,20,green,35.9,34.1,3,",
            "B,5,36.6,20,green,35.8,34.0,2.5,no",
            "C,9,36.6,20,green,33.9,,,",
            "D,12,36.6,20,green,,,,",
        )
    )
    a, b, c, d = people
    assert (a.object_c, a.object_rested_c, a.rest_tau_min, a.returns) == (35.9, 34.1, 3.0, True)
    assert (b.rest_tau_min, b.returns) == (2.5, False)
    # object_c alone is a constant reading; no object_c: the forehead model draws them
    assert c.object_c_at(0) == c.object_c_at(30) == 33.9
    assert d.object_c_at(10) is None
    assert a.object_c_at(0) == pytest.approx(35.9)
    assert a.object_c_at(3) == pytest.approx(planned(35.9, 34.1, 3, 3))
    assert a.object_c_at(60) == pytest.approx(34.1, abs=1e-6)


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ("A,0,36.6,20,green,,34.1,3,", ":2: object_rested_c needs object_c"),
        ("A,0,36.6,20,green,35.9,34.1,,", ":2: object_rested_c needs rest_tau_min"),
        ("A,0,36.6,20,green,35.9,,3,", ":2: rest_tau_min needs object_rested_c"),
        ("A,0,36.6,20,green,35.9,34.1,0,", ":2: rest_tau_min must be above 0"),
        ("A,0,36.6,20,green,35.9,34.1,-1,", ":2: rest_tau_min must be between 0 and 240"),
        ("A,0,36.6,20,green,35.9,12,3,", ":2: object_rested_c must be between 20 and 45"),
        ("A,0,36.6,20,green,35.9,34.1,warm,", ":2: rest_tau_min must be a number"),
        ("A,0,36.6,20,green,35.9,34.1,3,maybe", ":2: returns must be yes, no or empty"),
    ],
)
def test_a_bad_planned_forehead_names_the_file_line_and_column(
    tmp_path: Path, row: str, said: str
) -> None:
    path = scenario(tmp_path, row)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert str(raised.value).startswith(f"{path}{said}")
    assert "\n" not in str(raised.value)


# --- what the thermometer sees -----------------------------------------------------------------
def read_object_c(rig: Rig, times: int = 100) -> float:
    """The thermometer as the gate reads it, averaged over its noise."""
    sensor = MLX90614(rig.bus, rig.config.thermometer.address)
    readings = []
    for _ in range(times):
        rig.clock.sleep(0.01)
        readings.append(sensor.object_celsius)
    return statistics.fmean(readings)


def test_the_thermometer_sees_the_planned_reading_relax_from_arrival(config: Config) -> None:
    # ten people ahead, none of whom the (absent) gate answers: each gives up after a while,
    # so R steps up minutes after arriving, partly rested already
    ahead = [SimPerson(f"Q{i}", float(i), 36.6, 20.0, "none", object_c=33.0) for i in range(10)]
    resting = SimPerson(
        "R", 10.0, 36.6, 20.0, "green", object_c=36.2, object_rested_c=34.0, rest_tau_min=2.0
    )
    rig = build_rig(config, [*ahead, resting])
    start = shift_start_epoch(config)
    while rig.world.front is None or rig.world.front.person.person_id != "R":
        rig.clock.sleep(0.5)
    rig.clock.sleep(1.0)  # the sensor's filter settles on the new forehead
    seen_at = rig.clock.time() + 0.5  # the middle of the readings
    seen = read_object_c(rig)
    minutes = (seen_at - (start + resting.arrival_s)) / 60
    assert minutes > 3  # they queued
    assert seen == pytest.approx(planned(36.2, 34.0, 2.0, minutes), abs=0.04)
    assert seen < 34.0 + (36.2 - 34.0) * 0.25  # well on the way to rested, not as they came


def test_a_constant_reading_stays_constant_while_they_wait(config: Config) -> None:
    person = SimPerson("C", 0.0, 36.6, 20.0, "green", object_c=35.1)
    rig = build_rig(config, [person])
    rig.clock.sleep(60.0 + 3.0)
    first = read_object_c(rig)
    rig.clock.sleep(15.0)
    assert first == pytest.approx(35.1, abs=0.05)
    assert read_object_c(rig) == pytest.approx(35.1, abs=0.05)


def test_back_after_a_rest_the_reading_counts_from_their_arrival() -> None:
    # the same visit stepping up twice (told to rest, back in the queue): minutes since the
    # arrival, not since the second step up
    foreheads = Foreheads(ForeheadModel(), seed=1, start_s=1000.0)
    person = SimPerson(
        "R", 60.0, 36.6, 20.0, "green", object_c=36.0, object_rested_c=34.2, rest_tau_min=2.5
    )
    first, _ = foreheads.step_up(person, 1062.0)
    assert foreheads.object_c(person, first, 15.0, 1063.0) == pytest.approx(
        planned(36.0, 34.2, 2.5, 3.0 / 60)
    )
    again, _ = foreheads.step_up(person, 1060.0 + 6 * 60)
    assert foreheads.object_c(person, again, 15.0, 1061.0 + 6 * 60) == pytest.approx(
        planned(36.0, 34.2, 2.5, 6 + 1 / 60)
    )


def test_a_drawn_forehead_back_after_a_rest_has_had_longer_indoors() -> None:
    foreheads = Foreheads(ForeheadModel(), seed=1, start_s=0.0)
    # in from the frost: the skin warms back towards its indoor value while they rest
    person = SimPerson("F", 0.0, 36.6, 18.0, "green", outside_c=-8.0, minutes_inside=0.5)
    first, _ = foreheads.step_up(person, 5.0)
    again, _ = foreheads.step_up(person, 5.0 + 5 * 60)
    assert again.minutes_inside == pytest.approx(first.minutes_inside + 5)
    assert again.offset_c == first.offset_c  # the same person
    assert again.object_c(15.0) > first.object_c(15.0) + 0.3


def test_a_returning_worker_keeps_their_own_forehead_offset_day_after_day() -> None:
    foreheads = Foreheads(ForeheadModel(), seed=3, start_s=0.0)
    workers = [f"W{i:02d}" for i in range(40)]
    offsets: dict[str, list[float]] = {}
    for day in range(5):
        for worker in workers:
            person = SimPerson(
                worker if day == 0 else f"{worker}.visit{day + 1}",
                day * DAY + 60.0,
                36.6,
                20.0,
                "green",
                scenario_id=None if day == 0 else worker,
                returning=True,
            )
            forehead, _ = foreheads.step_up(person, day * DAY + 70.0)
            offsets.setdefault(worker, []).append(forehead.offset_c)
    # each varies by the day's wobble (0.1 °C) around their own; people differ by more
    day_to_day = statistics.fmean(statistics.stdev(taken) for taken in offsets.values())
    between = statistics.stdev(statistics.fmean(taken) for taken in offsets.values())
    assert 0.05 < day_to_day < 0.16
    assert between > 0.15
    # a stranger (not named again) is drawn from the population each time
    stranger = SimPerson("S", 60.0, 36.6, 20.0, "green")
    assert not stranger.returning


# --- several days ------------------------------------------------------------------------------
def test_a_worker_named_on_several_days_goes_home_between_them(tmp_path: Path) -> None:
    people = load_scenario(
        scenario(
            tmp_path,
            "A,60,36.6,20,green",
            "B,90,36.6,20,green",
            f"A,{DAY + 30},36.6,20,green",
            f"B,{DAY + 2 * 3600},36.6,20,green",
            f"A,{2 * DAY + 45},36.6,20,green",
            header="person_id,arrival_s,core_c,ambient_c,code",
        )
    )
    rows = {p.person_id: p for p in people}
    home = [p for p in people if p.going_home]
    assert [(p.person_id, p.worker_id, p.day, p.direction) for p in home] == [
        ("A.home1", "A", 0, "out"),
        ("B.home1", "B", 0, "out"),
        ("A.home2", "A", 1, "out"),
    ]
    # between their visits, on the day of the earlier one, showing their own code
    assert rows["A"].arrival_s < rows["A.home1"].arrival_s < rows["A.visit2"].arrival_s
    assert rows["A.home2"].arrival_s < rows["A.visit3"].arrival_s
    assert all(p.code == "green" and p.code_of == p.worker_id and p.line is None for p in home)
    assert [p.day for p in people if not p.going_home] == [0, 0, 1, 1, 2]
    assert all(p.returning for p in people)


def test_a_scenario_that_has_them_leave_gets_no_way_home_added(tmp_path: Path) -> None:
    path = tmp_path / "scenario.csv"
    path.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,direction\n"
        f"A,60,36.6,20,green,in\nA,30000,36.6,20,green,out\nA,{DAY + 60},36.6,20,green,in\n"
        "B,70,36.6,20,green,in\nB,4000,36.6,20,green,in\n",
        encoding="utf-8",
    )
    people = load_scenario(path)
    assert not [p for p in people if p.going_home]
    assert not [p for p in people if p.worker_id == "B" and p.direction == "out"]


def test_each_days_roster_renews_the_workers_tests(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "scenario.csv"
    path.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,nat\n"
        + "".join(f"A,{d * DAY + 60},36.6,20,green,\n" for d in range(5))
        + f"B,60,36.6,20,green,\nB,{2 * DAY + 60},36.6,20,green,positive\n"
        + f"B,{4 * DAY + 60},36.6,20,green,\n",
        encoding="utf-8",
    )
    people = load_scenario(path)
    start = shift_start_epoch(config)
    valid_s = config.roster.nat_valid_h * 3600
    for day in range(5):
        roster = roster_on_day(people, config, day)
        a = roster.get("A")
        assert isinstance(a, Worker) and a.nat_tested_at_s is not None
        # tested before they come that day, recently enough for the whole day
        assert start + day * DAY - valid_s < a.nat_tested_at_s < start + day * DAY + 60
    for day, result in [(0, "negative"), (1, "negative"), (2, "positive"), (4, "negative")]:
        b = roster_on_day(people, config, day).get("B")
        assert isinstance(b, Worker) and b.nat_result == result
    # a visit's own name in the simulation is not a worker: the code says who they are
    assert roster_on_day(people, config, 4).get("A.visit5") is None


def test_the_shipped_workweek_is_a_returning_workforce_from_cold_to_warm_mornings() -> None:
    path = Path(__file__).resolve().parent.parent / "simulator" / "scenarios" / "workweek.csv"
    people = [p for p in load_scenario(path) if not p.going_home]
    workers = {p.worker_id for p in people}
    days = sorted({p.day for p in people})
    assert len(workers) == 40 and len(days) >= 5
    mornings = [statistics.fmean(p.ambient_c for p in people if p.day == d) for d in days]
    assert mornings == sorted(mornings) and mornings[-1] - mornings[0] > 8
    fevers = [(p.worker_id, p.day) for p in people if p.core_c >= 37.5]
    assert len(fevers) == 1
    # someone rests back to their usual reading, someone told to rest does not come back
    assert any(p.object_rested_c is not None and p.returns for p in people)
    assert any(p.object_rested_c is not None and not p.returns for p in people)


# --- the results file --------------------------------------------------------------------------
def check(event_id: str, at: float, reason: str, **more: object) -> CheckRow:
    decision = "admit" if reason == "admitted" else "deny"
    fields: dict = {
        "event_id": event_id,
        "ts": "",
        "epoch_s": at,
        "park": "p",
        "gate": "g",
        "person_id": None,
        "code": "green",
        "temperature_c": 36.6,
        "first_c": None,
        "sensor_fault": None,
        "decision": decision,
        "reason": reason,
        "route": "through",
        "check_s": 2.0,
        "processing_ms": 5.0,
        "object_c": 33.9,
    }
    return CheckRow(**{**fields, **more})


def step(
    flag: str, at: float, name: str, detail: str | None = None, clinical: float | None = None
) -> dict:
    return {
        "id": int(at),
        "flag_id": flag,
        "at_s": at,
        "step": name,
        "by": "guard-1",
        "clinical_c": clinical,
        "detail": detail,
    }


def test_the_results_give_each_scenario_row_its_final_answer_in_the_scenarios_order(
    tmp_path: Path,
) -> None:
    people = [
        SimPerson("B", 10.0, 36.6, 20.0, "green", line=3),
        SimPerson("A", 20.0, 36.6, 20.0, "green", line=2),
        SimPerson("A.home1", 30000.0, 36.6, 20.0, "green", scenario_id="A", going_home=True),
        SimPerson("C", 30.0, 36.6, 20.0, "green", line=4),
        SimPerson("D", 40.0, 36.6, 20.0, "green", line=5),
        SimPerson("E", 50.0, 36.6, 20.0, "green", line=6),
    ]
    visits = {
        # told to rest, then the re-scan admitted them: the re-scan's answer and reading
        "A": [check("a1", 20, "rest"), check("a2", 400, "admitted", object_c=33.7)],
        # the guard found them well: admitted by staff
        "B": [check("b1", 10, "secondary_check", object_c=35.2)],
        # the guard confirmed a fever
        "C": [check("c1", 30, "secondary_check")],
        # the guard found no fever, and their shift was over: refused after the check
        "D": [check("d1", 40, "secondary_check")],
    }
    steps = steps_by_flag(
        [
            step("b1", 60, "clinical_reading", clinical=36.7),
            step("b1", 61, "admitted_by_staff", "admitted"),
            step("c1", 70, "clinical_reading", clinical=38.4),
            step("c1", 71, "fever_confirmed", clinical=38.4),
            step("d1", 80, "clinical_reading", clinical=36.5),
            step("d1", 81, "refused_after_check", "shift_late; next window 2026-11-24T07:20"),
        ]
    )
    path = tmp_path / "results.csv"
    write_results(path, people, visits, steps)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    got = [
        (
            r["person_id"],
            r["decision"],
            r["reason"],
            r["first_reason"],
            r["screened_c"],
            r["clinical_c"],
        )
        for r in rows
    ]
    assert got == [
        ("A", "admit", "admitted", "rest", "33.70", ""),
        ("B", "admit", "admitted", "secondary_check", "35.20", "36.70"),
        ("C", "deny", "fever", "secondary_check", "33.90", "38.40"),
        ("D", "deny", "shift_late", "secondary_check", "33.90", "36.50"),
        ("E", "none", "no_decision", "", "", ""),  # the gate never answered
    ]
