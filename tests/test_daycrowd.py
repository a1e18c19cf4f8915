"""A whole day's crowd for the config's own timetable (``simulate --day --workers N``): people
come around their group's windows as people come to work (rare, heavy-tailed lateness, shuttle
buses), go out and back at meals, leave in the leaving window, and whoever the timetable sends
home does not come again; end to end through the zone's gates."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from simulator.daycrowd import DayHabits, day_crowd
from simulator.timetable import expected_shift
from terminal.config import Config, load
from tests.support.cli import REPO, run

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

DAY_CONFIG = REPO / "config" / "simulator-day.toml"


@pytest.fixture(scope="module")
def config() -> Config:
    return load(DAY_CONFIG)


def at(config: Config, person: SimPerson) -> datetime:
    zone = ZoneInfo(config.gate.timezone)
    start = datetime.fromisoformat(config.simulator.shift_start).replace(tzinfo=zone)
    return start + timedelta(seconds=person.arrival_s)


def rows_of(people: list[SimPerson]) -> dict[str, list[SimPerson]]:
    rows: dict[str, list[SimPerson]] = defaultdict(list)
    for person in people:
        rows[person.scenario_id or person.person_id].append(person)
    return rows


def test_everyone_comes_in_first_and_a_later_row_is_a_visit_on_their_own_code(
    config: Config,
) -> None:
    people = day_crowd(config, 200, seed=3)
    assert [p.arrival_s for p in people] == sorted(p.arrival_s for p in people)
    rows = rows_of(people)
    assert len(rows) == 200
    for name, visits in rows.items():
        first, *later = visits
        assert (first.person_id, first.direction, first.code_of) == (name, "in", None)
        assert first.group in config.shifts.groups
        for visit in later:
            assert visit.code_of == name and visit.person_id.startswith(f"{name}.visit")
        # in and out in turn: never out twice, never in twice running
        directions = [v.direction for v in visits]
        assert all(a != b for a, b in itertools.pairwise(directions)), name


def test_lateness_is_rare_and_heavy_tailed_and_buses_bring_people_at_once(config: Config) -> None:
    habits = DayHabits()
    people = day_crowd(config, 3000, seed=11, habits=habits)
    # the groups this gate serves (the warehouse's come to its own gate)
    firsts = [
        visits[0]
        for visits in rows_of(people).values()
        if config.shifts.groups[visits[0].group or ""].serves(config.gate.id)
    ]
    late_min, early = [], 0
    for person in firsts:
        expected = expected_shift(config, person.group or "", at(config, person))
        assert expected is not None
        if expected.reason == "shift_late":
            # minutes past the window's close (the window the timetable says they missed)
            _, closes = _arrival_window(config, person)
            late_min.append((at(config, person).replace(tzinfo=None) - closes).total_seconds() / 60)
        elif expected.reason == "shift_early":
            early += 1
    share = len(late_min) / len(firsts)
    # a tenth of those not on a bus are late, less those within the late grace: of a 1/t tail
    # from 1 to 60 minutes, the share past 3 minutes is 1 - ln 3 / ln 60
    grace = config.shifts.late_grace_min
    expected = (1 - habits.bus_share) * habits.late_share * (1 - math.log(grace) / math.log(60))
    assert share == pytest.approx(expected, rel=0.25)
    # a 1/t density between 1 and 60 minutes: half of them are later than about sqrt(60) min
    beyond_grace = [m for m in late_min if m > grace]
    assert statistics.median(beyond_grace) == pytest.approx(math.sqrt(60 * grace), rel=0.35)
    assert max(late_min) <= 60.0
    assert 0 < early / len(firsts) < habits.early_share
    # the bus: at least bus_riders people of one group within half a minute
    times = sorted(p.arrival_s for p in firsts)
    busiest = max(
        sum(1 for t in times[i:] if t - start <= habits.bus_spread_s)
        for i, start in enumerate(times)
    )
    assert busiest >= habits.bus_riders


def _arrival_window(config: Config, person: SimPerson) -> tuple[datetime, datetime]:
    from simulator.timetable import windows_on

    day = at(config, person).date()
    windows = windows_on(config, person.group or "", day)
    return next((o, c) for o, c, kind in windows if kind == "arrival")


def test_whoever_the_timetable_sends_home_does_not_come_again(config: Config) -> None:
    people = day_crowd(config, 400, seed=5)
    for name, visits in rows_of(people).items():
        for number, visit in enumerate(visits):
            if visit.direction != "in" or visit.group is None:
                continue
            expected = expected_shift(config, visit.group, at(config, visit))
            if expected is not None and expected.reason is not None:
                assert number == len(visits) - 1, f"{name} came again after being sent home"


def test_a_day_with_no_arrival_window_is_one_line(config: Config, tmp_path: Path) -> None:
    holiday = config.simulator.model_copy(update={"shift_start": "2027-02-07T07:00:00"})
    with pytest.raises(ValueError, match=r"shifts.groups: no group has an arrival window on 2027"):
        day_crowd(config.model_copy(update={"simulator": holiday}), 10, seed=1)


@pytest.mark.soak  # a whole day: make soak
def test_simulate_day_for_workers_runs_the_timetable_through_the_zone(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    record = tmp_path / "record.sqlite"
    done = run(
        "simulate",
        "--day",
        "--workers",
        "16",
        "--record",
        str(record),
        "--broker",
        f"{broker.host}:{broker.port}",
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "through the gates" in done.stdout
    assert "gate-out   exit" in done.stdout
    assert (tmp_path / "simulated-day.png").is_file()
