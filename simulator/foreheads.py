"""What the thermometer sees of the person in front: a scenario's planned reading, or a forehead
drawn from the simulator's model.

A planned reading (``object_c``) is served as the scenario gives it; with ``object_rested_c`` and
``rest_tau_min`` it relaxes towards the rested value with the minutes since the person arrived
for this visit, so a re-scan after a rest reads what the scenario says a rested forehead reads.
A drawn forehead is the person's own: the same draws each time they step up in a run, a worker
named on several rows keeping one offset for life, and a person back after a rest having spent
that much longer indoors.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import replace
from typing import TYPE_CHECKING

from simulator.forehead import Forehead, ForeheadModel, draw_forehead, worker_offset_c

if TYPE_CHECKING:
    from simulator.crowd import SimPerson


class Foreheads:
    """Each person's forehead for a world whose shift starts at ``start_s`` (a clock time)."""

    def __init__(self, model: ForeheadModel, seed: int, start_s: float) -> None:
        self.model = model
        self._seed = seed
        self._start_s = start_s
        # each visit's arrival and first step up, by the visit's name: a rest sends them back
        # into the queue, and they are the same visit when they step up again
        self._first_seen: dict[str, tuple[float, float]] = {}

    def step_up(self, person: SimPerson, at_s: float) -> tuple[Forehead, float]:
        """The forehead of ``person`` stepping up at ``at_s``, and where they stand once asked
        to come closer (cm)."""
        _, first_front_s = self._first_seen.setdefault(
            person.person_id, (self._start_s + person.arrival_s, at_s)
        )
        rng = random.Random(zlib.crc32(f"{self._seed}:{person.person_id}".encode()))
        forehead = draw_forehead(
            self.model,
            person.core_c,
            person.ambient_c,
            rng,
            outside_c=person.outside_c,
            minutes_inside=person.minutes_inside,
            offset_c=self._own_offset_c(person),
        )
        if at_s > first_front_s:  # back after a rest: their skin has had longer indoors
            minutes = forehead.minutes_inside + (at_s - first_front_s) / 60.0
            forehead = replace(forehead, minutes_inside=minutes)
        return forehead, round(rng.uniform(8.0, 20.0), 1)

    def _own_offset_c(self, person: SimPerson) -> float | None:
        """A worker named on several rows keeps their own offset, drawn once from their name;
        anyone else is a stranger drawn from the population (None)."""
        if not person.returning:
            return None
        rng = random.Random(zlib.crc32(f"{self._seed}:worker:{person.worker_id}".encode()))
        return worker_offset_c(self.model, rng)

    def arrived_s(self, person: SimPerson) -> float:
        """When ``person`` arrived for this visit, as a clock time."""
        seen = self._first_seen.get(person.person_id)
        return self._start_s + person.arrival_s if seen is None else seen[0]

    def object_c(
        self, person: SimPerson, forehead: Forehead, distance_cm: float, t: float
    ) -> float:
        """What the thermometer sees at ``t`` of ``person`` standing ``distance_cm`` away."""
        planned_c = person.object_c_at((t - self.arrived_s(person)) / 60.0)
        if planned_c is not None:
            return planned_c
        return forehead.object_c(distance_cm)
