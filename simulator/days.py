"""A scenario over several days: the same ``person_id`` on several days is the same worker, who
goes home in the evening and comes back the next morning.

``arrival_s`` counts from the scenario's start across days (86,400 s a day). Between two visits
of a worker on different days the simulator adds their way home (a row going out, as a
scenario's own ``out`` rows do), unless the scenario already has them leave: so under
anti-passback their next morning's entry is not a second entry, and each morning's readings
build up their own history in the gate's record.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # crowd imports this module: the class is only named here
    from simulator.crowd import SimPerson

DAY_S = 86400.0
# a worker goes home this long after their last way in of the day, or halfway to their next
# visit if that comes sooner
WORKDAY_S = 8.5 * 3600


def going_home_between_days(people: list[SimPerson], named: set[str]) -> list[SimPerson]:
    """``people`` (by arrival) with a way home added for each worker between two days they
    come on; ``named``: every name the scenario's rows use, which an added row's name avoids."""
    added: list[SimPerson] = []
    by_worker: dict[str, list[SimPerson]] = {}
    for person in people:
        by_worker.setdefault(person.worker_id, []).append(person)
    for worker, rows in by_worker.items():
        for before, after in pairwise(rows):
            if before.direction == "out" or after.direction == "out":
                continue  # they leave (or come back) as the scenario says
            if before.day == after.day:
                continue  # in twice on one day: the scenario's business (anti-passback)
            gap_s = after.arrival_s - before.arrival_s
            added.append(
                replace(
                    before,
                    person_id=_home_id(worker, before.day, named),
                    scenario_id=worker,
                    arrival_s=round(before.arrival_s + min(WORKDAY_S, gap_s / 2), 3),
                    direction="out",
                    gate=None,  # the first exit gate, or the one the simulator adds
                    code="green",  # a valid code says who leaves, whatever its colour
                    code_of=worker,
                    passes=True,
                    sensor_fault=None,
                    distance_cm=30.0,
                    object_c=None,  # nobody screens them on the way out
                    object_rested_c=None,
                    rest_tau_min=None,
                    going_home=True,
                    line=None,
                )
            )
    return sorted([*people, *added], key=lambda p: p.arrival_s)


def _home_id(worker: str, day: int, named: set[str]) -> str:
    """The way home's own name in the simulation, apart from every name the scenario uses."""
    row_id = f"{worker}.home{day + 1}"
    while row_id in named:
        row_id += "_"
    named.add(row_id)
    return row_id


def days_of(people: list[SimPerson]) -> int:
    """How many days the crowd comes on (1 for a crowd within one day)."""
    return 1 + max((person.day for person in people), default=0)
