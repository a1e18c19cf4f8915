"""The simulated day (``simulate --day``): a compressed day of the shipped day config, a few people
in each window, through the whole simulated gate and a real broker; its figures checked against a
count made here from the scenario itself, and its plot a real PNG."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import ScenarioError, SimPerson, load_scenario
from simulator.day import PLOT_HEIGHT, PLOT_WIDTH, DayFigures, passage_direction
from simulator.rig import shift_start_epoch
from simulator.runner import run_simulation
from terminal.config import Config, load
from tests.test_cli import REPO, run

DAY_CONFIG = REPO / "config" / "simulator-day.toml"
MIN = 60
FLAGGED_FOREHEAD_C = 36.4  # in 20 °C air: a fever's forehead, on a person without one

# (person, minutes after 07:00, group, direction, goes through): few people in each window, none
# near a window's edge, so that each passage falls in the window its arrival does
DAY = [
    ("D1", 25, "day", "in", True),
    ("D2", 28, "day", "in", True),
    ("D3", 31, "day", "in", True),
    ("E1", 22, "day-b", "in", False),  # early: day-b's window opens at 07:35 (3 min grace)
    # a bus: four of day-b at 07:45 at once; three wait behind the first
    ("B1", 45, "day-b", "in", True),
    ("B2", 45, "day-b", "in", True),
    ("B3", 45, "day-b", "in", True),
    ("B4", 45, "day-b", "in", True),
    ("L1", 50, "day", "in", False),  # late: day's window closed at 07:40 (3 min grace)
    # a warm forehead at 09:00, flagged: the guard's clinical reading is normal and they go in
    # within the guard's walk, not hours later when the next person comes
    ("V1", 2 * 60, "", "in", True),
    ("D1.meal-out", 4 * 60 + 33, "", "out", True),
    ("D2.meal-out", 4 * 60 + 36, "", "out", True),
    ("D1.meal-in", 4 * 60 + 50, "day", "in", True),
    ("D2.meal-in", 4 * 60 + 53, "day", "in", True),
    ("D1.out", 12 * 60 + 35, "", "out", True),
    ("D2.out", 12 * 60 + 38, "", "out", True),
    ("D3.out", 12 * 60 + 41, "", "out", True),
    ("B1.out", 13 * 60 + 5, "", "out", True),
    ("B2.out", 13 * 60 + 8, "", "out", True),
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
    lines = ["person_id,arrival_s,core_c,ambient_c,code,group,direction,object_c"]
    for person, minute, group, direction, _ in DAY:
        forehead = FLAGGED_FOREHEAD_C if person == "V1" else ""
        lines.append(f"{person},{minute * MIN},36.5,20.0,green,{group},{direction},{forehead}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> DayFigures:
    folder = tmp_path_factory.mktemp("day")
    config = load(DAY_CONFIG)
    run = run_simulation(
        config,
        scenario=write_day(folder / "day.csv"),
        broker=(broker.host, broker.port),
        record_path=folder / "day.sqlite",
        plot=folder / "day.png",
    )
    assert run.summary.problems == []
    assert (run.summary.flagged, run.summary.admitted_by_staff) == (1, 1)  # V1
    assert run.summary.day is not None
    return run.summary.day


def test_the_day_counts_people_per_window_as_the_scenario_has_them(day: DayFigures) -> None:
    start = shift_start_epoch(load(DAY_CONFIG))
    shown = [
        (w.group, w.kind, round((w.start_s - start) / MIN), round((w.end_s - start) / MIN))
        for w in day.windows
    ]
    expected = [(g, k, minutes_of_day(s), minutes_of_day(e)) for g, k, s, e in WINDOWS]
    assert shown == expected
    for window, (group, kind, opens, closes) in zip(day.windows, expected, strict=True):
        through = sum(1 for _, minute, _, _, goes in DAY if goes and opens <= minute < closes)
        assert window.persons == through, (group, kind)
        assert window.per_minute == pytest.approx(through / (closes - opens))
    assert day.windows[1].persons == 4  # day-b's arrival: the bus


def test_the_peak_queue_is_the_bus_behind_its_first_passenger(day: DayFigures) -> None:
    bus = max(sum(1 for p in DAY if p[1] == minute) for _, minute, *_ in DAY)
    assert day.peak_queue == bus - 1
    assert day.peak_queue_at_s == pytest.approx(shift_start_epoch(load(DAY_CONFIG)) + 45 * MIN)


def test_occupancy_over_the_day_follows_who_went_in_and_out(day: DayFigures) -> None:
    start = shift_start_epoch(load(DAY_CONFIG))

    def inside_at(minute: int) -> int:
        steps = [value for at, value in day.occupancy if at <= start + minute * MIN]
        return steps[-1] if steps else 0

    def counted_at(minute: int) -> int:
        return sum(
            (1 if direction == "in" else -1)
            for _, arrives, _, direction, goes in DAY
            if goes and arrives < minute
        )

    for minute in (10, 40, 60, 2 * 60 + 5, 4 * 60 + 40, 4 * 60 + 59, 12 * 60 + 50, 13 * 60 + 30):
        assert inside_at(minute) == counted_at(minute), minute
    ins = sum(1 for p in DAY if p[4] and p[3] == "in")
    outs = sum(1 for p in DAY if p[4] and p[3] == "out")
    assert day.final_occupancy == ins - outs == 3
    assert day.peak_occupancy == 8


def test_the_plot_is_a_png_of_the_day(day: DayFigures) -> None:
    assert day.plot is not None and day.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(day.plot))
    assert image is not None and image.shape == (PLOT_HEIGHT, PLOT_WIDTH, 3)
    # the fire drill at 10:00 is drawn: its red band, and more than the white page
    assert len({tuple(pixel) for pixel in image.reshape(-1, 3)[::7]}) > 10


def test_the_record_says_the_direction_once_it_knows_it() -> None:
    leaving = {"L": SimPerson("L", 0, 36.5, 20, "green", direction="out")}
    assert passage_direction({"person_id": "L", "outcome": "passed"}, leaving) == -1
    assert passage_direction({"person_id": "X", "outcome": "passed"}, leaving) == 1
    # the record's own direction wins over the scenario's
    assert passage_direction({"person_id": "L", "direction": "in"}, leaving) == 1


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


def test_simulate_day_says_where_the_plot_is(tmp_path: Path, broker: PrivateBroker) -> None:
    scenario = tmp_path / "short.csv"
    scenario.write_text(
        "person_id,arrival_s,core_c,ambient_c,code,group,direction\n"
        "A,1500,36.5,20.0,green,day,in\nB,43200,36.5,20.0,green,,out\n",
        encoding="utf-8",
    )
    record = tmp_path / "day" / "record.sqlite"
    record.parent.mkdir()
    done = run(
        "simulate",
        "--day",
        "--scenario",
        str(scenario),
        "--record",
        str(record),
        "--broker",
        f"{broker.host}:{broker.port}",
    )
    assert done.returncode == 0, done.stderr
    plot = record.parent / "simulated-day.png"
    assert f"plot of the day      {plot}" in done.stdout
    assert cv2.imread(str(plot)).shape == (PLOT_HEIGHT, PLOT_WIDTH, 3)
    assert "occupancy peak 1, at the end 0" in done.stdout
    assert "day        arrival  07:20-07:40     1 through the gate, 0.05 per minute" in done.stdout


def test_the_shipped_day_config_loads(tmp_path: Path) -> None:
    config: Config = load(DAY_CONFIG)
    assert config.simulator.fire_drill_at_s is not None
    assert load_scenario(REPO / "simulator" / "scenarios" / "day.csv")
