"""The self-check of a simulated zone: every gate's record, and the zone's figures, against the
world's truth."""

from __future__ import annotations

from simulator.replays import held_when_shown
from simulator.rig import Rig
from simulator.screened import rests_in
from simulator.truth import (
    WayThrough,
    checks_against_the_truth,
    drills_against_the_record,
    let_out_as_the_world_knows,
    passages_against_the_truth,
    rests_against_the_truth,
    rows_by_person,
    way_out_against_the_truth,
)
from simulator.world import Visit
from simulator.zone import (
    ZoneGate,
    ZoneTally,
    entries_of_someone_inside,
    zone_problems,
    zone_tally,
)
from terminal.config import Config
from terminal.record.store import Record


def ways_through(gate: str, direction: str, rig: Rig) -> dict[str, tuple[str, list[Visit]]]:
    """A gate's people as they went, by the way they went: a gate that serves both ways has a
    queue at each."""
    if rig.exit_world is None:
        return {gate: (direction, rig.world.visits)}
    return {gate: ("entry", rig.world.visits), f"{gate}/out": ("exit", rig.exit_world.visits)}


def peers_way_out(peer: ZoneGate) -> WayThrough | None:
    """The way out of a zone's other gate that serves both ways."""
    exit_world = peer.rig.exit_world
    return None if exit_world is None else WayThrough(exit_world, peer.who_went_out)


def zone_against_the_truth(
    config: Config,
    record: Record,
    rig: Rig,
    peers: list[ZoneGate],
    way_out: WayThrough | None = None,
) -> tuple[ZoneTally, list[str]]:
    """The zone's figures from every gate's record, and the simulator's checks of it: never
    over capacity, every gate counting as the main one, nobody in on the code of someone
    inside (the world's truth), and at each other gate what the main gate's checks are."""
    records = {config.gate.id: (config.gate.direction, record)}
    records.update({p.config.gate.id: (p.config.gate.direction, p.record) for p in peers})
    tally = zone_tally(config, records)
    problems = zone_problems(tally, records)
    visits = ways_through(config.gate.id, config.gate.direction, rig)
    for p in peers:
        visits.update(ways_through(p.config.gate.id, p.config.gate.direction, p.rig))
    problems.extend(entries_of_someone_inside(visits))
    exits = [way_out] if way_out is not None else []
    exits += [
        WayThrough(p.rig.world, p.who_was_there) for p in peers if p.config.gate.direction == "exit"
    ]
    exits += [leaving for leaving in map(peers_way_out, peers) if leaving is not None]
    problems.extend(let_out_as_the_world_knows(config, exits, visits))
    for gate in records:
        tally.people[gate] = sum(
            len(gate_visits)
            for way, (_, gate_visits) in visits.items()
            if way.split("/")[0] == gate
        )
    for peer in peers:
        visits_there = peer.rig.world.visits
        leaving = peers_way_out(peer)
        every_check, passages = peer.record.checks(), peer.record.passages()
        held = held_when_shown(visits_there, rows_by_person(peer.who_was_there), peer.rig.config)
        found = checks_against_the_truth(visits_there, peer.who_was_there, held=held)
        found += rests_against_the_truth(visits_there, peer.who_was_there, rests_in(peer.record))
        found += passages_against_the_truth(
            [p for p in passages if leaving is None or p["direction"] != "exit"],
            visits_there,
            peer.who_was_there,
        )
        drills, drill_problems = drills_against_the_record(
            peer.rig.world,
            peer.record,
            every_check,
            also_freed=[leaving.world] if leaving is not None else [],
        )
        if drills and not drill_problems:
            tally.drill_freed.append(peer.config.gate.id)
        found += drill_problems
        if leaving is not None:
            _, out_found = way_out_against_the_truth(
                leaving,
                [c for c in every_check if c["direction"] == "exit"],
                [p for p in passages if p["gate"] is None and p["direction"] == "exit"],
            )
            found += out_found
        problems.extend(f"at {peer.config.gate.id}: {problem}" for problem in found)
    return tally, problems
