"""A workforce over several days at the simulated gates: each day the roster the gates hold
shows each worker's test as of that day, as a park's roster import would.

The rig's roster dates a worker's nucleic-acid test from their first row; over a week a test
that old expires (``roster.nat_valid_h``). So at the start of each scenario day (every 86,400 s
from its start) the gates are given that day's roster: each worker's test dated from their first
row of the day (or their last before it), with what that row says of it (``nat``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from simulator.crowd import SimPerson
from simulator.days import DAY_S, days_of
from simulator.rig import roster_for, shift_start_epoch
from terminal.config import Config
from terminal.rules.roster import Roster


class HoldsARoster(Protocol):
    roster: Roster


def roster_on_day(people: list[SimPerson], config: Config, day: int) -> Roster:
    """The roster as of scenario day ``day``: each worker by the row that says most about them
    that day (their first row of the day, else their last before it, else their first)."""
    chosen: dict[str, SimPerson] = {}
    for person in sorted(people, key=lambda p: p.arrival_s):
        if person.going_home:
            continue
        held = chosen.get(person.worker_id)
        if held is None or held.day < person.day <= day:
            chosen[person.worker_id] = person
    # the gate knows a worker by their code's name, the scenario's: not a visit's own name
    return roster_for(
        [replace(p, person_id=worker, scenario_id=None) for worker, p in chosen.items()], config
    )


def renew_tests_each_day(
    people: list[SimPerson],
    config: Config,
    gates: Sequence[tuple[Callable[[Callable[[float], None]], None], HoldsARoster]],
) -> None:
    """From each scenario day on, ``gates`` (each: its clock's ``on_advance`` and the gate)
    hold that day's roster. A crowd of one day keeps the rig's roster."""
    if days_of(people) < 2:
        return
    start_s = shift_start_epoch(config)
    for on_advance, gate in gates:
        on_advance(_renewer(people, config, start_s, gate))


def _renewer(
    people: list[SimPerson], config: Config, start_s: float, gate: HoldsARoster
) -> Callable[[float], None]:
    current = [0]  # the day whose roster the gate holds

    def renew(now_s: float) -> None:
        day = int((now_s - start_s) // DAY_S)
        if day > current[0]:
            current[0] = day
            gate.roster = roster_on_day(people, config, day)

    return renew
