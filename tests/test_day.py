"""The simulated day (``simulate --day``): a compressed day of the shipped day config, a few people
in each window, through the zone's three simulated gates (two entries, one exit) and a real
broker; its figures checked against a count made here from the scenario itself, the zone's
capacity and anti-passback against each gate's record, and its plot a real PNG."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import pytest

from simulator.arrivals import day_gates, people_at_gates
from simulator.broker import PrivateBroker
from simulator.crowd import ScenarioError, SimPerson, load_scenario
from simulator.day import PLOT_HEIGHT, PLOT_WIDTH, DayFigures, passage_direction
from simulator.rig import shift_start_epoch
from simulator.runner import ShiftRun, run_simulation
from simulator.simrecord import RecordInUse
from simulator.world import Visit
from simulator.zone import ZoneTally, entries_of_someone_inside, zone_problems
from terminal.config import Config, ConfigError, load
from terminal.record.store import Record
from tests.support.cli import REPO, run

DAY_CONFIG = REPO / "config" / "simulator-day.toml"
MIN = 60
FLAGGED_FOREHEAD_C = 36.4  # in 20 °C air: a fever's forehead, on a person without one
CAPACITY = 8  # the day's few people: a hall for eight, so that they fill it

# (person, minutes after 07:00, group, direction, goes through, gate, whose code): few people in
# each window, none near a window's edge, so that each passage falls in the window its arrival
# does; blank gate: the first entry gate serving the group, or the exit gate on the way out; a
# person named again is the same worker later in the day (out for lunch, back, leaving)
DAY = [
    ("D1", 25, "day", "in", True, "", ""),
    ("D2", 28, "day", "in", True, "", ""),
    ("D3", 31, "day", "in", True, "", ""),
    ("E1", 22, "day-b", "in", False, "", ""),  # early: day-b's window opens at 07:35 (3 min grace)
    # a bus: four of day-b at 07:45 at once; three wait behind the first
    ("B1", 45, "day-b", "in", True, "", ""),
    ("B2", 45, "day-b", "in", True, "", ""),
    ("B3", 45, "day-b", "in", True, "", ""),
    ("B4", 45, "day-b", "in", True, "", ""),
    # B2, through gate-1, passes the code back over the turnstile; a second person shows it at
    # gate-2 of the same zone
    ("B2.passed-back", 48, "day-b", "in", False, "gate-2", "B2"),
    ("L1", 50, "day", "in", False, "", ""),  # late: day's window closed at 07:40 (3 min grace)
    # a warm forehead at 09:00, flagged: the guard's clinical reading is normal and they go in
    # within the guard's walk, not hours later when the next person comes; the hall is full
    ("V1", 2 * 60, "", "in", True, "", ""),
    # a visitor finds the hall full, and waits at gate-1 until V1 leaves through gate-out
    ("W1", 3 * 60 + 30, "", "in", True, "", ""),
    ("V1", 3 * 60 + 30.1, "", "out", True, "", ""),
    ("D1", 4 * 60 + 33, "", "out", True, "", ""),
    ("D2", 4 * 60 + 36, "", "out", True, "", ""),
    ("D1", 4 * 60 + 50, "day", "in", True, "", ""),
    ("D2", 4 * 60 + 53, "day", "in", True, "", ""),
    ("D1", 12 * 60 + 35, "", "out", True, "", ""),
    ("D2", 12 * 60 + 38, "", "out", True, "", ""),
    ("D3", 12 * 60 + 41, "", "out", True, "", ""),
    ("B1", 13 * 60 + 5, "", "out", True, "", ""),
    ("B2", 13 * 60 + 8, "", "out", True, "", ""),
]
# the shipped day config's windows on Monday 2026-11-23 between 07:00 and the last passage,
# read by hand: (group, kind, start, end)
WINDOWS = [
    ("day", "arrival", "07:20", "07:40"),
    ("day-b", "arrival", "07:35", "07:55"),
    ("day", "meal", "11:30", "12:00"),
    ("day-b", "meal", "12:00", "12:30"),
    ("late", "arrival", "15:30", "15:50"),
    ("day", "meal", "17:30", "18:00"),
    ("day-b", "meal", "18:00", "18:30"),
    ("late", "meal", "18:30", "19:00"),
    ("day", "leaving", "19:30", "20:00"),
    ("day-b", "leaving", "20:00", "20:30"),
]


def minutes_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes) - 7 * 60  # after 07:00


def write_day(path: Path) -> Path:
    lines = ["person_id,arrival_s,core_c,ambient_c,code,group,direction,object_c,gate,code_of"]
    for person, minute, group, direction, _, gate, code_of in DAY:
        forehead = FLAGGED_FOREHEAD_C if person == "V1" else ""
        lines.append(
            f"{person},{round(minute * MIN)},36.5,20.0,green,{group},{direction},{forehead},"
            f"{gate},{code_of}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def day_config() -> Config:
    config = load(DAY_CONFIG)
    zone = config.zone.model_copy(update={"capacity": CAPACITY})
    return config.model_copy(update={"zone": zone})


@pytest.fixture(scope="module")
def day_run(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> ShiftRun:
    folder = tmp_path_factory.mktemp("day")
    shift = run_simulation(
        day_config(),
        scenario=write_day(folder / "day.csv"),
        broker=(broker.host, broker.port),
        record_path=folder / "day.sqlite",
        plot=folder / "day.png",
    )
    # the summary's own checks: the record, the broker and the simulator's truth agree, and the
    # zone never held more than its capacity (see test_the_summary_checks_the_capacity_itself)
    assert shift.summary.problems == []
    assert (shift.summary.flagged, shift.summary.admitted_by_staff) == (1, 1)  # V1
    assert shift.summary.day is not None
    return shift


@pytest.fixture(scope="module")
def day(day_run: ShiftRun) -> DayFigures:
    assert day_run.summary.day is not None
    return day_run.summary.day


def checks_at(shift: ShiftRun, gate: str) -> list[dict]:
    record = Record(shift.records[gate])
    try:
        return record.checks()
    finally:
        record.close()


@pytest.mark.slow  # the whole simulated day
def test_the_day_counts_people_per_window_as_the_scenario_has_them(day: DayFigures) -> None:
    start = shift_start_epoch(load(DAY_CONFIG))
    shown = [
        (w.group, w.kind, round((w.start_s - start) / MIN), round((w.end_s - start) / MIN))
        for w in day.windows
    ]
    expected = [(g, k, minutes_of_day(s), minutes_of_day(e)) for g, k, s, e in WINDOWS]
    assert shown == expected
    for window, (group, kind, opens, closes) in zip(day.windows, expected, strict=True):
        # every gate's passages: the gate's record holds its zone peers' too
        through = sum(1 for _, minute, _, _, goes, *_ in DAY if goes and opens <= minute < closes)
        assert window.persons == through, (group, kind)
        assert window.per_minute == pytest.approx(through / (closes - opens))
    assert day.windows[1].persons == 4  # day-b's arrival: the bus


@pytest.mark.slow  # the whole simulated day
def test_the_peak_queue_is_the_bus_behind_its_first_passenger(day: DayFigures) -> None:
    bus = max(sum(1 for p in DAY if p[1] == minute) for _, minute, *_ in DAY)
    assert day.peak_queue == bus - 1
    assert day.peak_queue_at_s == pytest.approx(shift_start_epoch(load(DAY_CONFIG)) + 45 * MIN)


@pytest.mark.slow  # the whole simulated day
def test_occupancy_over_the_day_follows_who_went_in_and_out(day: DayFigures) -> None:
    start = shift_start_epoch(load(DAY_CONFIG))

    def inside_at(minute: float) -> int:
        steps = [value for at, value in day.occupancy if at <= start + minute * MIN]
        return steps[-1] if steps else 0

    def counted_at(minute: float) -> int:
        return sum(
            (1 if direction == "in" else -1)
            for _, arrives, _, direction, goes, *_ in DAY
            if goes and arrives < minute
        )

    for minute in (10, 40, 60, 2 * 60 + 5, 3 * 60 + 31, 4 * 60 + 40, 4 * 60 + 59, 12 * 60 + 50):
        assert inside_at(minute) == counted_at(minute), minute
    ins = sum(1 for p in DAY if p[4] and p[3] == "in")
    outs = sum(1 for p in DAY if p[4] and p[3] == "out")
    assert day.final_occupancy == ins - outs == 3
    assert day.peak_occupancy == CAPACITY


@pytest.mark.slow  # the whole simulated day
def test_the_zone_never_holds_more_than_its_capacity_and_is_filled(day_run: ShiftRun) -> None:
    zone = day_run.summary.zone
    assert zone is not None and (zone.name, zone.capacity) == ("plant-hall", CAPACITY)
    # every gate's record counts the zone the same: up to its capacity, never over it
    for gate, path in day_run.records.items():
        record = Record(path)
        steps = [inside for _, inside in record.occupancy_over_time("plant-hall")]
        record.close()
        assert max(steps) == CAPACITY and steps[-1] == 3, gate
    assert [(g.gate, g.direction) for g in zone.gates] == [
        ("gate-1", "entry"),
        ("gate-2", "entry"),
        ("gate-out", "exit"),
    ]
    # the exits went through gate-out, and every one was let out: all were inside
    out = checks_at(day_run, "gate-out")
    assert len(out) == sum(1 for d in DAY if d[3] == "out") == zone.gates[2].through
    assert {c["reason"] for c in out} == {"admitted"}


@pytest.mark.slow  # the whole simulated day
def test_a_code_passed_back_is_refused_at_the_zones_other_gate(day_run: ShiftRun) -> None:
    """B2 went in at gate-1; their code, passed back over the turnstile, is shown at gate-2."""
    entered = next(c for c in checks_at(day_run, "gate-1") if c["person_id"] == "B2")
    (refused,) = checks_at(day_run, "gate-2")
    assert (refused["person_id"], refused["reason"], refused["route"]) == (
        "B2",
        "anti_passback",
        "aside",
    )
    assert entered["reason"] == "admitted"
    assert refused["passback_of"] == entered["event_id"]  # names the entry at the other gate
    zone = day_run.summary.zone
    assert zone is not None and zone.passbacks == [("gate-2", "B2", "gate-1")]


@pytest.mark.slow  # the whole simulated day
def test_a_full_zone_holds_an_entry_until_someone_leaves_by_the_exit(day_run: ShiftRun) -> None:
    w1 = [c for c in checks_at(day_run, "gate-1") if c["person_id"] == "W1"]
    assert [(c["reason"], c["route"]) for c in w1] == [
        ("zone_full", "wait"),
        ("admitted", "through"),
    ]
    record = Record(day_run.records["gate-out"])
    (left,) = [p for p in record.passages() if p["person_id"] == "V1" and p["gate"] is None]
    record.close()
    # told to wait; V1 left through gate-out; then let in, without stepping away
    assert w1[0]["epoch_s"] < left["passed_s"] < w1[1]["epoch_s"] < w1[0]["epoch_s"] + 25
    zone = day_run.summary.zone
    assert zone is not None and (zone.waits, zone.admitted_after_wait) == (1, 1)


@pytest.mark.slow  # the whole simulated day
def test_early_and_late_are_refused_with_their_window(day_run: ShiftRun) -> None:
    checks = {c["person_id"]: c for c in checks_at(day_run, "gate-1")}
    early, late = checks["E1"], checks["L1"]
    assert (early["reason"], late["reason"]) == ("shift_early", "shift_late")
    # day-b's arrival window, for E1; day's next, the meal, for L1
    assert early["next_window"].split("/")[0].endswith("07:35+08:00")
    assert late["next_window"].split("/")[0].endswith("11:30+08:00")
    assert day_run.summary.shift_refusals == {"shift_early": 1, "shift_late": 1}


@pytest.mark.slow  # the whole simulated day
def test_the_fire_drill_frees_every_gate_of_the_zone_and_screening_resumes(
    day_run: ShiftRun,
) -> None:
    (drill,) = day_run.summary.drills
    noticed_s, held_s, next_check_s = drill
    assert noticed_s < 1.0 and held_s == pytest.approx(120.0, abs=1.0)
    assert next_check_s is not None  # W1, screened at 10:30
    drill_from = shift_start_epoch(load(DAY_CONFIG)) + 3 * 60 * MIN
    for gate, path in day_run.records.items():
        record = Record(path)
        (emergency,) = record.rows("emergencies")
        record.close()
        assert 0 <= emergency["started_s"] - drill_from < 1.0, gate
        assert emergency["ended_s"] - emergency["started_s"] == pytest.approx(120.0, abs=1.0)


@pytest.mark.slow  # the whole simulated day
def test_the_plot_is_a_png_of_the_day(day: DayFigures) -> None:
    assert day.plot is not None and day.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(day.plot))
    assert image is not None and image.shape == (PLOT_HEIGHT, PLOT_WIDTH, 3)
    # the fire drill at 10:00 is drawn: its red band, and more than the white page
    assert len({tuple(pixel) for pixel in image.reshape(-1, 3)[::7]}) > 10


def test_the_summary_checks_the_capacity_itself() -> None:
    """The self-check the day's summary runs: a zone over its capacity is a disagreement."""
    tally = ZoneTally("hall", 2, "Asia/Shanghai", occupancy=[(0.0, 1), (60.0, 2), (120.0, 3)])
    assert tally.peak == 3 and tally.peak_at_s == 120.0
    (problem,) = zone_problems(tally, {})
    assert problem == "zone hall held 3 at 08:02:00, over its capacity 2"
    assert zone_problems(ZoneTally("hall", 3, "UTC", occupancy=tally.occupancy), {}) == []


def test_the_summary_knows_a_code_passed_back_that_got_in() -> None:
    """The world's truth, not the record's: the second entry on a code whose holder is inside."""

    def through(person_id: str, at_s: float, code_of: str | None = None) -> Visit:
        person = SimPerson(person_id, 0, 36.5, 20, "green", code_of=code_of)
        visit = Visit(person, None, at_s, None, None, None)  # type: ignore[arg-type]
        visit.outcome, visit.reacted_at = "passed", at_s
        return visit

    entries = ("entry", [through("A", 10), through("A.friend", 20, "A")])
    (problem,) = entries_of_someone_inside({"gate-1": entries})
    assert problem == "A.friend went in on A's code while A was inside"
    # with A out in between, the same code may come in again (a meal break)
    out = ("exit", [through("A.out", 15, "A")])
    assert entries_of_someone_inside({"gate-1": entries, "gate-out": out}) == []


def test_the_record_says_the_direction_once_it_knows_it() -> None:
    leaving = {"L": SimPerson("L", 0, 36.5, 20, "green", direction="out")}
    assert passage_direction({"person_id": "L", "outcome": "passed"}, leaving) == -1
    assert passage_direction({"person_id": "X", "outcome": "passed"}, leaving) == 1
    # the record's own direction (the gate's) wins over the scenario's
    assert passage_direction({"person_id": "L", "direction": "entry"}, leaving) == 1
    assert passage_direction({"person_id": "X", "direction": "exit"}, leaving) == -1


def test_a_scenario_gate_is_one_of_the_days_serving_its_direction(tmp_path: Path) -> None:
    gates = day_gates(load(DAY_CONFIG))
    assert gates == {"gate-1": "entry", "gate-2": "entry", "gate-out": "exit"}
    path = tmp_path / "gates.csv"
    header = "person_id,arrival_s,core_c,ambient_c,code,direction,gate\n"
    path.write_text(header + "A,0,36.5,20,green,in,gate-2\nB,5,36.5,20,green,in,gate-9\n")
    with pytest.raises(
        ScenarioError, match=r"gates.csv:3: gate: 'gate-9' is not a gate of the day \(gate-1, "
    ):
        load_scenario(path, gates)
    path.write_text(header + "A,0,36.5,20,green,out,gate-2\n")
    with pytest.raises(ScenarioError, match=r"gates.csv:2: gate: gate-2 is an entry gate, the row"):
        load_scenario(path, gates)
    path.write_text(header + "A,0,36.5,20,green,out,gate-out\nB,5,36.5,20,green,in,\n")
    assert [(p.gate, p.direction) for p in load_scenario(path, gates)] == [
        ("gate-out", "out"),
        (None, "in"),
    ]


def test_a_scenario_direction_must_be_in_or_out(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,direction\n"
        "A,0,36.5,20,green,out\nB,5,36.5,20,green,sideways\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"bad.csv:3: direction must be in, out or empty"):
        load_scenario(path)
    path.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,direction\nA,0,36.5,20,green,OUT\nB,5,36,20,green,\n",
        encoding="utf-8",
    )
    assert [p.direction for p in load_scenario(path)] == ["out", "in"]


def test_a_person_named_again_is_the_same_worker_later_in_the_day(tmp_path: Path) -> None:
    path = tmp_path / "visits.csv"
    path.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,direction,code_of\n"
        "A,0,36.5,20,green,in,\nA.visit2,5,36.5,20,green,in,\nA,600,36.5,20,green,out,\n"
        "A,900,36.5,20,green,in,\nB,950,36.5,20,green,in,A\n",
        encoding="utf-8",
    )
    people = load_scenario(path)
    # each visit a row of its own, showing A's code; no name the scenario uses is taken twice
    assert [(p.person_id, p.code_of, p.direction) for p in people] == [
        ("A", None, "in"),
        ("A.visit2", None, "in"),
        ("A.visit2_", "A", "out"),
        ("A.visit3", "A", "in"),
        ("B", "A", "in"),
    ]
    path.write_text(
        "person_id,arrival_s,core_c,ambient_c,code\nA,0,36.5,20,green\nA,0,36.6,20,green\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"visits.csv:3: person_id 'A' arrives at 0 on line 2"):
        load_scenario(path)


def simulate(
    scenario: Path, record: Path, broker: PrivateBroker, *options: str
) -> subprocess.CompletedProcess[str]:
    """``gate-terminal simulate`` on a scenario, into a record, through the test broker."""
    where = ["--scenario", str(scenario), "--record", str(record)]
    return run("simulate", *options, *where, "--broker", f"{broker.host}:{broker.port}")


@pytest.mark.slow  # starts a process
def test_simulate_day_says_where_the_plot_is(tmp_path: Path, broker: PrivateBroker) -> None:
    scenario = tmp_path / "short.csv"
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,group,direction,code_of\n"
        "A,1500,36.5,20.0,green,day,in,\nA,43200,36.5,20.0,green,,out,\n",
        encoding="utf-8",
    )
    record = tmp_path / "day" / "record.sqlite"
    record.parent.mkdir()
    done = simulate(scenario, record, broker, "--day")
    assert done.returncode == 0, done.stderr
    plot = record.parent / "simulated-day.png"
    assert f"plot of the day      {plot}" in done.stdout
    assert cv2.imread(str(plot)).shape == (PLOT_HEIGHT, PLOT_WIDTH, 3)
    assert "occupancy peak 1, at the end 0" in done.stdout
    assert "day        arrival  07:20-07:40     1 through the gates, 0.05 per minute" in done.stdout
    assert "gate-out   exit      1 people,    1 checks,    1 through; refused: none" in done.stdout


@pytest.mark.slow  # starts a process
def test_a_crowd_going_out_at_a_config_without_an_exit_leaves_by_one_the_simulator_adds(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    scenario = tmp_path / "out.csv"
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,direction\n"
        "A,10,36.5,20,green,in\nB,20,36.6,20,green,in\nA,300,36.5,20,green,out\n",
        encoding="utf-8",
    )
    record = tmp_path / "record.sqlite"
    results = tmp_path / "results.csv"
    done = simulate(scenario, record, broker, "--results", str(results))
    assert done.returncode == 0, done.stderr
    # every row of the scenario, under its own name, at whichever gate it came to
    rows = results.read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[:3] for row in rows[1:]] == [
        ["A", "admit", "admitted"],
        ["B", "admit", "admitted"],
        ["A", "admit", "admitted"],
    ]
    assert (
        "1 of the crowd go out and the config has no exit gate: they leave by gate-1-out, an exit"
        " gate the simulator adds to zone plant-hall"
    ) in done.stderr
    assert "gate-1-out exit      1 people,    1 checks,    1 through" in done.stdout
    assert "at the end 1" in done.stdout  # A left, B is inside
    exits = Record(record.with_name("record.gate-1-out.sqlite")).checks()
    assert [(c["person_id"], c["direction"], c["reason"]) for c in exits] == [
        ("A", "exit", "admitted")
    ]


def test_the_shipped_day_config_loads(tmp_path: Path) -> None:
    config: Config = load(DAY_CONFIG)
    assert config.simulator.fire_drill_at_s is not None
    assert config.zone.capacity is not None and config.zone.anti_passback == "deny"
    assert load_scenario(REPO / "simulator" / "scenarios" / "day.csv", day_gates(config))


def test_the_simulated_gates_are_the_zones_and_someone_must_let_them_out(tmp_path: Path) -> None:
    path = tmp_path / "day.toml"
    path.write_text(DAY_CONFIG.read_text().replace('gate-out = "exit" }', 'gate-9 = "exit" }'))
    with pytest.raises(ConfigError, match=r"simulator.zone_gates.gate-9: not another gate of zone"):
        load(path)
    config = load(DAY_CONFIG)
    alone = config.model_copy(
        update={"simulator": config.simulator.model_copy(update={"zone_gates": {}})}
    )
    leaving = SimPerson("A", 0, 36.5, 20, "green", direction="out")
    with pytest.raises(ScenarioError, match=r"A goes out, and no gate of the day is an exit gate"):
        people_at_gates(alone, [leaving])
    warehouse = SimPerson("W", 0, 36.5, 20, "green", group="warehouse")
    assert people_at_gates(config, [leaving, warehouse]) == {
        "gate-1": [],
        "gate-2": [warehouse],  # the first entry gate serving the group
        "gate-out": [leaving],
    }


def test_another_gates_record_is_replaced_only_if_the_simulator_made_it(tmp_path: Path) -> None:
    precious = tmp_path / "day.gate-2.sqlite"
    precious.write_text("a real gate's record", encoding="utf-8")
    with pytest.raises(RecordInUse, match=r"day.gate-2.sqlite: exists and is not a record the sim"):
        run_simulation(
            load(DAY_CONFIG),
            scenario=REPO / "simulator" / "scenarios" / "day.csv",
            record_path=tmp_path / "day.sqlite",
        )
    assert precious.read_text(encoding="utf-8") == "a real gate's record"
    assert not (tmp_path / "day.sqlite").exists()
