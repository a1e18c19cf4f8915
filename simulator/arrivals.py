"""Who comes to a simulated day, and to which of its gates."""

from __future__ import annotations

from pathlib import Path

from simulator.crowd import (
    ScenarioError,
    SimPerson,
    check_groups,
    crowd_mix,
    in_groups,
    load_scenario,
    random_crowd,
)
from terminal.config import Config


def crowd_for(
    config: Config, workers: int | None, seed: int | None, scenario: Path | None
) -> list[SimPerson]:
    if scenario is not None:
        people = load_scenario(scenario, day_gates(config))
        check_groups(people, set(config.shifts.groups), str(scenario))
        return people
    sim = config.simulator
    mix = crowd_mix(config)
    crowd = random_crowd(workers or sim.workers, seed if seed is not None else sim.seed, mix)
    return in_groups(crowd, list(sim.groups))


def day_gates(config: Config) -> dict[str, str]:
    """The simulated gates and their directions: the config's own first, then the zone's
    others (``simulator.zone_gates``)."""
    return {config.gate.id: config.gate.direction, **config.simulator.zone_gates}


def _serves(config: Config, gate: str, direction: str, person: SimPerson) -> bool:
    wanted = "exit" if person.direction == "out" else "entry"
    if direction not in (wanted, "both"):
        return False
    group = config.shifts.groups.get(person.group or "")
    return wanted == "exit" or group is None or group.gates is None or gate in group.gates


def people_at_gates(config: Config, people: list[SimPerson]) -> dict[str, list[SimPerson]]:
    """Who comes to which gate: the one their row names, else, going in, the first entry gate
    that serves their group, and going out, the first exit gate."""
    gates = day_gates(config)
    at: dict[str, list[SimPerson]] = {gate: [] for gate in gates}
    for person in people:
        gate = person.gate or next(
            (g for g, direction in gates.items() if _serves(config, g, direction, person)), None
        )
        if gate is None or gate not in gates:
            way = (
                "out, and no gate of the day is an exit gate"
                if person.direction == "out"
                else ("in, and no entry gate of the day serves their group")
            )
            raise ScenarioError(
                f"{config.source}: {person.person_id} goes {way} (gate.direction,"
                " simulator.zone_gates)"
            )
        at[gate].append(person)
    return at
