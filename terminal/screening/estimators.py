"""From a forehead reading to an estimate of core temperature and a flag: two estimators behind
one interface, chosen by ``screening.estimator``.

- ``absolute``: core from forehead skin with an ambient-dependent correction, a table of the
  forehead temperature of people without fever by air temperature (docs/screening.md gives its
  sources), plus the sensor's calibration offset. The air and the person's own offset are large
  beside a 0.5 °C fever margin, so this errs on the side of flagging.
- ``relative``: each reading compared with a robust running reference (the median) of the people
  screened just before at this gate under similar air, flagging at reference + offset, as thermal
  screening cameras do. It cancels what the people in the queue share: the air, the weather they
  came from, the sensor's drift. What it cannot cancel is how much those people differ from each
  other (their own offsets, how long each has been inside): a fever shows as a rise over the
  reference, but among people who differ more a fever's rise is more often hidden. So the offset
  shrinks by ``spread_z`` times the crowd's robust spread (1.4826 x the median absolute
  deviation): the flag keeps catching fevers when the crowd is noisy (cold mornings, people just
  in from the weather), at the price of more secondary checks. Until enough similar people have
  been seen it falls back to ``absolute``.
"""

from __future__ import annotations

import bisect
import statistics
from collections import deque
from dataclasses import dataclass, replace
from typing import Literal, Protocol

Mode = Literal["absolute", "relative"]

# core temperature of the median person without fever (oral/axillary ~36.7-36.8 °C)
NORMAL_CORE_C = 36.8
# how much of a core rise shows on the forehead, for turning a forehead difference into a core one
FOREHEAD_PER_CORE = 0.8
HISTORY_WINDOWS = 20  # readings kept, in windows of reference_people
# while fewer than min_people similar readings are known (a gate just switched on, or the air
# just changed), the few there are still say something: with at least WARMUP_PEOPLE of them, a
# reading is also flagged against their median with a crowd spread of at least WARMUP_SPREAD_C,
# so the absolute table's misses in cold air are not the only word
WARMUP_PEOPLE = 3
WARMUP_SPREAD_C = 0.8
# forehead skin of people without fever, by air temperature (°C, °C): see docs/screening.md
NORMAL_FOREHEAD_BY_AIR_C: tuple[tuple[float, float], ...] = (
    (5.0, 30.5),
    (10.0, 31.8),
    (15.0, 32.9),
    (20.0, 33.9),
    (25.0, 34.7),
    (30.0, 35.3),
    (35.0, 35.7),
    (40.0, 36.0),
)


@dataclass(frozen=True)
class Reading:
    """One person's measurement: the robust object temperature (calibration applied), the
    sensor's ambient, where they stood, and when."""

    object_c: float
    ambient_c: float
    at_s: float
    distance_cm: float | None = None


@dataclass(frozen=True)
class Estimate:
    core_c: float  # the estimated core temperature
    flagged: bool  # send to the secondary check
    mode: Mode  # the estimator that decided (relative falls back to absolute)
    reference_c: float | None = None  # the forehead reference in use (relative mode)
    threshold_c: float | None = None  # the forehead reading at or above which it flags


class Estimator(Protocol):
    def estimate(self, reading: Reading) -> Estimate: ...

    def learn(self, reading: Reading) -> None:
        """Take a valid reading of a person into the estimator's view of this gate."""
        ...


def normal_forehead_c(ambient_c: float) -> float:
    """The table, linearly interpolated, held flat beyond its ends."""
    airs = [air for air, _ in NORMAL_FOREHEAD_BY_AIR_C]
    if ambient_c <= airs[0]:
        return NORMAL_FOREHEAD_BY_AIR_C[0][1]
    if ambient_c >= airs[-1]:
        return NORMAL_FOREHEAD_BY_AIR_C[-1][1]
    upper = bisect.bisect_right(airs, ambient_c)
    (a0, f0), (a1, f1) = NORMAL_FOREHEAD_BY_AIR_C[upper - 1], NORMAL_FOREHEAD_BY_AIR_C[upper]
    return f0 + (f1 - f0) * (ambient_c - a0) / (a1 - a0)


class AbsoluteEstimator:
    def __init__(self, fever_threshold_c: float) -> None:
        self.fever_threshold_c = fever_threshold_c

    def estimate(self, reading: Reading) -> Estimate:
        excess_c = reading.object_c - normal_forehead_c(reading.ambient_c)
        core_c = NORMAL_CORE_C + excess_c / FOREHEAD_PER_CORE
        return Estimate(round(core_c, 2), core_c >= self.fever_threshold_c, "absolute")

    def learn(self, reading: Reading) -> None:
        pass


class RelativeEstimator:
    def __init__(
        self,
        *,
        offset_c: float,
        spread_z: float,
        fallback: AbsoluteEstimator,
        window_people: int = 30,
        min_people: int = 10,
        max_age_s: float = 1800.0,
        ambient_band_c: float = 2.0,
    ) -> None:
        self.offset_c = offset_c
        self.spread_z = spread_z
        self.fallback = fallback
        self.min_people = min_people
        self.max_age_s = max_age_s
        self.ambient_band_c = ambient_band_c
        self.window_people = window_people
        # a longer history than the window: when the air changes, the similar people are further
        # back (people screened in other air are skipped, not counted)
        self._seen: deque[Reading] = deque(maxlen=HISTORY_WINDOWS * window_people)

    def reference(
        self, reading: Reading, at_least: int | None = None
    ) -> tuple[float, float] | None:
        """Median and robust spread of the foreheads of the recent people screened under similar
        air; None when fewer than ``at_least`` (default ``min_people``)."""
        similar: list[float] = []
        for seen in reversed(self._seen):  # the most recent first
            if reading.at_s - seen.at_s > self.max_age_s or len(similar) >= self.window_people:
                break
            if abs(seen.ambient_c - reading.ambient_c) <= self.ambient_band_c:
                similar.append(seen.object_c)
        if len(similar) < (self.min_people if at_least is None else at_least):
            return None
        median = statistics.median(similar)
        spread = 1.4826 * statistics.median(abs(value - median) for value in similar)
        return median, spread

    def estimate(self, reading: Reading) -> Estimate:
        reference = self.reference(reading)
        if reference is None:
            fallback = self.fallback.estimate(reading)
            few = self.reference(reading, at_least=WARMUP_PEOPLE)
            if few is None or fallback.flagged:
                return fallback
            median_c, spread_c = few
            threshold_c = median_c + self.offset_c - self.spread_z * max(spread_c, WARMUP_SPREAD_C)
            return replace(fallback, flagged=reading.object_c >= threshold_c)
        median_c, spread_c = reference
        threshold_c = median_c + self.offset_c - self.spread_z * spread_c
        core_c = NORMAL_CORE_C + (reading.object_c - median_c) / FOREHEAD_PER_CORE
        return Estimate(
            round(core_c, 2),
            reading.object_c >= threshold_c,
            "relative",
            round(median_c, 2),
            round(threshold_c, 2),
        )

    def learn(self, reading: Reading) -> None:
        self._seen.append(reading)
