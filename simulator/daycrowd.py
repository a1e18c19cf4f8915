"""A whole day's crowd for a park's own shift timetable (``simulate --day --workers N``): each
worker of a group comes in around their group's arrival window, goes out and back at its meal
windows, and leaves in its leaving window, so that a park can see its queue and its occupancy over
the day before it sets its windows.

The people are modelled from what is known of how people come to work, not from the gate's rules:

- **Lateness** is rare and heavy-tailed. Arrival records of a large industrial firm show the time
  lost in one late arrival following a power law of exponent about 1 for incidents longer than a
  few minutes (Dishon-Berkovits & Berkovits, *Fractals* 5(2), 1997): a density falling as 1/t,
  that is log-uniform between a minute and an hour here. About a tenth of shifts start late
  (clock-in records of US food-service workers: 11 % of shifts; British workforce survey
  (Clark, Peters & Tomlinson): 70 % never late in a month), so ``late_share`` is 0.1.
- **Company shuttle buses** bring a share of each group at once (a common arrangement at Chinese
  industrial parks, and the crowd that staggered windows are meant to thin): a bus's riders reach
  the gate within half a minute of each other. Share and bus size are assumptions of this model,
  stated as parameters.
- **Early** arrivals before the window opens are a smaller, shorter tail (log-uniform, 1 to 20
  minutes): an assumption, as no source was found.
- **Meals**: a share of the group goes out at a meal window and comes back after 15 to 35
  minutes; some come back after their window has closed, and the gate says so.

Nothing here reads the gate's code: windows come from the simulator's own reading of the
timetable (:mod:`simulator.timetable`)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.crowd import SimPerson
from simulator.timetable import expected_shift, windows_on
from terminal.config import Config


@dataclass(frozen=True)
class DayHabits:
    late_share: float = 0.10  # late for the arrival window (past its close)
    late_min: tuple[float, float] = (1.0, 60.0)  # log-uniform: a 1/t density (power law ~1)
    early_share: float = 0.05  # before the window opens
    early_min: tuple[float, float] = (1.0, 20.0)
    bus_share: float = 0.4  # of a group, who come by the company's shuttle buses
    bus_riders: int = 30  # people a bus brings
    bus_spread_s: float = 30.0  # riders reach the gate within this of each other
    meal_out_share: float = 0.6  # who goes out at a meal window (a canteen outside the zone)
    meal_min: tuple[float, float] = (15.0, 35.0)  # how long they are out
    fever_share: float = 0.005  # a fever on the day (core 37.6 to 39.0 °C)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _groups_of_the_day(
    config: Config, day: datetime
) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """The groups with windows of their own on ``day`` (open-at-any-time groups have none)."""
    found = {}
    for name, group in config.shifts.groups.items():
        if "*" in group.windows:
            continue
        windows = windows_on(config, name, day.date())
        if any(kind == "arrival" for _, _, kind in windows):
            found[name] = sorted(windows)
    return found


def day_crowd(
    config: Config, workers: int, seed: int, habits: DayHabits | None = None
) -> list[SimPerson]:
    """``workers`` people spread over the day's groups in turn, each a row per time they come to
    a gate (in, out for a meal, back, out at the end), by arrival; seconds from the simulated
    shift start (``simulator.shift_start``)."""
    habits = habits or DayHabits()
    zone = ZoneInfo(config.gate.timezone)
    start = datetime.fromisoformat(config.simulator.shift_start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    groups = _groups_of_the_day(config, start)
    if not groups:
        raise ValueError(
            f"{config.source}: shifts.groups: no group has an arrival window on "
            f"{start:%Y-%m-%d} (simulator.shift_start): nobody to simulate a day for"
        )
    rng = random.Random(seed)
    names = sorted(groups)
    members: dict[str, list[str]] = {name: [] for name in names}
    for index in range(workers):
        members[names[index % len(names)]].append(f"W{index + 1:04d}")

    def seconds(moment: datetime) -> float:
        return (moment.replace(tzinfo=zone) - start).total_seconds()

    rows: list[tuple[float, str, str | None, str]] = []  # (seconds, person, group, in/out)
    for name in names:
        windows = groups[name]
        opens, closes, _ = next(w for w in windows if w[2] == "arrival")
        people = members[name]
        riders = set(rng.sample(people, round(len(people) * habits.bus_share)))
        buses = max(1, math.ceil(len(riders) / habits.bus_riders))
        bus_times = [rng.uniform(seconds(opens), seconds(closes)) for _ in range(buses)]
        for number, person in enumerate(sorted(riders)):
            bus_at = bus_times[number % buses]
            rows.append((bus_at + rng.uniform(0, habits.bus_spread_s), person, name, "in"))
        for person in people:
            if person in riders:
                continue
            draw = rng.random()
            if draw < habits.late_share:
                minutes = _log_uniform(rng, *habits.late_min)
                at = seconds(closes) + 60 * minutes
            elif draw < habits.late_share + habits.early_share:
                at = seconds(opens) - 60 * _log_uniform(rng, *habits.early_min)
            else:
                at = rng.uniform(seconds(opens), seconds(closes))
            rows.append((at, person, name, "in"))
        arrived = {person: at for at, person, group, _ in rows if group == name}
        for meal_opens, meal_closes, kind in windows:
            if kind != "meal":
                continue
            for person in people:
                if rng.random() >= habits.meal_out_share:
                    continue
                out = rng.uniform(seconds(meal_opens), seconds(meal_closes) - 10 * 60)
                if out <= arrived[person]:
                    continue
                back = out + 60 * rng.uniform(*habits.meal_min)
                rows.append((out, person, None, "out"))
                rows.append((back, person, name, "in"))
        leaving = [w for w in windows if w[2] == "leaving" and seconds(w[0]) > seconds(opens)]
        if leaving:
            leave_opens, leave_closes, _ = leaving[0]
            for person in people:
                at = rng.uniform(seconds(leave_opens), seconds(leave_closes))
                rows.append((at, person, None, "out"))
    return _as_people(_until_sent_home(config, sorted(rows), zone, start), rng, habits, start)


def _until_sent_home(
    config: Config,
    rows: list[tuple[float, str, str | None, str]],
    zone: ZoneInfo,
    start: datetime,
) -> list[tuple[float, str, str | None, str]]:
    """Someone who comes in after their window (late from home, or back from a meal) is sent
    away by the gate, by the simulator's own reading of the timetable: they do not come again
    that day."""
    gone: set[str] = set()
    kept = []
    for row in rows:
        at, person, group, direction = row
        if person in gone:
            continue
        kept.append(row)
        if direction == "in" and group is not None:
            moment = (start + timedelta(seconds=at)).astimezone(zone)
            expected = expected_shift(config, group, moment)
            if expected is not None and expected.reason is not None:
                gone.add(person)
    return kept


def _as_people(
    rows: list[tuple[float, str, str | None, str]],
    rng: random.Random,
    habits: DayHabits,
    start: datetime,
) -> list[SimPerson]:
    """The rows as the simulator's people: a person's later rows are visits of theirs, showing
    their own code; the air warms through the morning and cools in the evening."""
    core = {
        person: (
            round(rng.uniform(37.6, 39.0), 2)
            if rng.random() < habits.fever_share
            else round(min(rng.gauss(36.6, 0.2), 37.0), 2)
        )
        for _, person, _, _ in rows
    }
    visits: dict[str, int] = {}
    people = []
    for at, person, group, direction in rows:
        visits[person] = visits.get(person, 0) + 1
        hour = (start + timedelta(seconds=at)).hour + (start + timedelta(seconds=at)).minute / 60
        ambient = 20.0 + 6.0 * math.sin(math.pi * (hour - 8.0) / 12.0) + rng.gauss(0, 0.3)
        later = visits[person] > 1
        if later and core[person] >= 37.5:
            continue  # a fever: at the isolation room, not coming back today
        people.append(
            SimPerson(
                person_id=f"{person}.visit{visits[person]}" if later else person,
                arrival_s=round(max(at, 0.0), 3),
                core_c=core[person],
                ambient_c=round(ambient, 2),
                code="green",
                group=group,
                direction=direction,  # type: ignore[arg-type]
                code_of=person if later else None,
                scenario_id=person if later else None,
            )
        )
    return people
