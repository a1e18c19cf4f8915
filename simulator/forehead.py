"""The simulator's own model of what an infrared thermometer sees on a forehead.

It is built from the physiology literature (sources in docs/screening.md), not from the gate's
estimators, and it is deliberately shaped differently from them: a heat balance across the tissue
whose resistance changes with the air (vasoconstriction in the cold, sweating in the heat), a skin
that is still recovering from the weather outside, a person's own offset, a field of view that a
forehead fills only up close, and the sensor's noise.

- Steady forehead skin: ``skin = core - k(air) * (core - air) - sweat(air)``. ``k`` is the share of
  the core-to-air difference lost across the tissue: about 0.17 at 20 °C (a forehead near 34 °C),
  rising in the cold as the skin constricts, and evaporation caps the skin in the heat.
- After coming in from outside the skin relaxes from its outdoor value towards its indoor value
  with a time constant of several minutes (acclimation takes at least 10 minutes).
- Each person has their own offset (normal distribution, ``person_sd_c``), kept for life: a worker
  who comes back each day brings it, with a day-to-day wobble around it (``day_wobble_c``).
- Field of view: the spot the sensor averages grows with distance; where the forehead does not
  fill it, the rest is hair, face edge and the room behind, cooler than skin.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class ForeheadModel:
    name: str = "own model"
    k_at_20c: float = 0.17  # share of core-to-air difference lost across the tissue at 20 °C
    k_per_c_colder: float = 0.004  # vasoconstriction: more is lost for each °C below 20
    sweat_onset_c: float = 29.0  # above this air temperature, evaporation cools the forehead
    sweat_c_per_c: float = 0.07
    fever_gain: float = 1.0  # share of a core rise above 37 °C that the forehead's balance sees
    person_sd_c: float = 0.25  # a person's own forehead offset, kept for life
    day_wobble_c: float = 0.1  # how a returning worker's offset varies from one day to the next
    acclimation_tau_min: float = 3.5  # equalised after about 10 minutes indoors
    minutes_inside_median: float = 2.5  # the gate stands in a lobby people have just entered
    outdoor_gate: bool = False  # the gate is out of doors: people come straight from elsewhere
    fov_deg: float = 5.0  # nominal (50 %) field of view of the thermometer
    forehead_cm: float = 5.0  # diameter of the forehead patch the sensor can use
    noise_c: float = 0.1


# the variations the benchmark also measures, none of them tuned to
VARIATIONS = {
    "own model": ForeheadModel(),
    "steeper skin response": ForeheadModel(
        name="steeper skin response",
        k_at_20c=0.22,
        k_per_c_colder=0.010,
        sweat_onset_c=26.0,
        sweat_c_per_c=0.04,
        fever_gain=0.8,
    ),
    "larger spread": ForeheadModel(name="larger spread", person_sd_c=0.5, acclimation_tau_min=6.0),
    "outdoor gate": ForeheadModel(name="outdoor gate", outdoor_gate=True),
}


def variant(name: str) -> ForeheadModel:
    return VARIATIONS[name]


@dataclass(frozen=True)
class Forehead:
    """One person's forehead at the gate."""

    model: ForeheadModel
    core_c: float
    air_c: float
    outside_c: float
    minutes_inside: float
    offset_c: float
    sun_c: float = 0.0  # extra warmth from the sun on the forehead (outdoor gate)

    def _k(self, air_c: float) -> float:
        m = self.model
        return m.k_at_20c + m.k_per_c_colder * max(0.0, 20.0 - air_c)

    def _steady_skin_c(self, air_c: float) -> float:
        m = self.model
        core_seen = (
            37.0 + m.fever_gain * (self.core_c - 37.0) if self.core_c > 37.0 else self.core_c
        )
        skin = core_seen - self._k(air_c) * (core_seen - air_c)
        skin -= m.sweat_c_per_c * max(0.0, air_c - m.sweat_onset_c) * (skin - 30.0) / 5.0
        return skin + self.offset_c

    def skin_c(self) -> float:
        indoor = self._steady_skin_c(self.air_c)
        outdoor = self._steady_skin_c(self.outside_c)
        recovery = math.exp(-self.minutes_inside / self.model.acclimation_tau_min)
        return indoor + (outdoor - indoor) * recovery + self.sun_c

    def fill(self, distance_cm: float) -> float:
        """Share of the sensor's spot that is forehead. The effective spot, tails included, is
        about twice the nominal field of view."""
        spot_cm = 2 * distance_cm * math.tan(math.radians(self.model.fov_deg))
        return min(1.0, (self.model.forehead_cm / max(spot_cm, 1e-6)) ** 2)

    def object_c(self, distance_cm: float) -> float:
        skin = self.skin_c()
        surround = self.air_c + 0.3 * (skin - self.air_c)
        fill = self.fill(distance_cm)
        return fill * skin + (1 - fill) * surround


def draw_forehead(
    model: ForeheadModel,
    core_c: float,
    air_c: float,
    rng: random.Random,
    *,
    outside_c: float | None = None,
    minutes_inside: float | None = None,
    offset_c: float | None = None,
) -> Forehead:
    """A person from the model's population at a gate whose air is ``air_c``. ``offset_c``: a
    returning worker's own offset (:func:`worker_offset_c`); the day's wobble is added to it.
    Without it, a stranger: an offset drawn from the population."""
    own = rng.gauss(0.0, model.person_sd_c) if offset_c is None else offset_c
    if offset_c is not None:
        own += rng.gauss(0.0, model.day_wobble_c)
    sun = 0.0
    if model.outdoor_gate:
        # the gate's air is the outdoor air; they come from a car, a bus or a heated flat
        origin = rng.gauss(21.0, 2.0)
        if outside_c is None:
            outside_c = origin
        minutes = rng.uniform(1.0, 12.0) if minutes_inside is None else minutes_inside
        # the skin has been relaxing from the place they came from (``outside_c`` here) towards
        # the gate's air for ``minutes``
        if air_c > 18.0 and rng.random() < 0.4:
            sun = rng.uniform(0.0, 1.0)
        return Forehead(model, core_c, air_c, outside_c, minutes, own, sun)
    if outside_c is None:
        if air_c < 20.0:
            outside_c = air_c + rng.gauss(-6.0, 5.0)
        elif air_c > 28.0:
            outside_c = air_c + rng.gauss(3.0, 3.0)
        else:
            outside_c = air_c + rng.gauss(-2.0, 4.0)
    if minutes_inside is None:
        minutes_inside = rng.lognormvariate(math.log(model.minutes_inside_median), 0.8)
    return Forehead(model, core_c, air_c, outside_c, minutes_inside, own)


def worker_offset_c(model: ForeheadModel, rng: random.Random) -> float:
    """A worker's own forehead offset, drawn once and kept for every day they come."""
    return rng.gauss(0.0, model.person_sd_c)
