"""From a forehead reading to an estimate of core temperature and a flag: two estimators behind
one interface, chosen by ``screening.estimator``.

- ``absolute``: core from forehead skin with an ambient-dependent correction, a table of the
  forehead temperature of people without fever by air temperature (docs/screening.md gives its
  sources), plus the sensor's calibration offset. How long a person has been inside and their
  own offset are large beside a 0.5 °C fever margin, and no table knows them: in cool air it
  misses most fevers (docs/screening.md has the figures).
- ``relative``: each reading compared with the recent people screened at this gate under similar
  air, as thermal screening cameras do. It cancels what the people in the queue share: the air,
  the weather they came from, the sensor's drift. What it cannot cancel is how much those people
  differ from each other (their own offsets, how long each has been inside), and in cool air
  that spread is wide and skewed (people just in from the cold read far low). A fever's reading
  is that person's normal reading plus the fever's rise; to catch most borderline fevers the flag
  sits at a low quantile of the crowd (``reference_quantile``, the 5th percentile) plus the rise
  of a 37.5 °C core (``relative_offset_c``), whatever the crowd's shape. With ``reference_quantile``
  0.5 it is the median plus an offset, the cameras' rule. Until enough similar people have been
  seen it falls back to ``absolute``.
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
# reading is also flagged from WARMUP_BELOW_MEDIAN_C below their median plus the offset (in mild
# air the 5th percentile lies about that far below the median; in a cool lobby further), so the
# absolute table's misses in cold air are not the only word
WARMUP_PEOPLE = 3
WARMUP_BELOW_MEDIAN_C = 1.3
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


def quantile(values: list[float], share: float) -> float:
    """Linear interpolation between order statistics at ``share x (n + 1)`` (the Weibull,
    "exclusive" definition): from a few dozen readings it does not sit above the crowd's true
    quantile as the "inclusive" one does. Below the lowest reading it is the lowest."""
    ordered = sorted(values)
    position = max(0.0, share * (len(ordered) + 1) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


class RelativeEstimator:
    def __init__(
        self,
        *,
        offset_c: float,
        low_quantile: float,
        fallback: AbsoluteEstimator,
        window_people: int = 30,
        min_people: int = 10,
        max_age_s: float = 1800.0,
        ambient_band_c: float = 2.0,
    ) -> None:
        self.offset_c = offset_c
        self.low_quantile = low_quantile
        self.fallback = fallback
        self.min_people = min_people
        self.max_age_s = max_age_s
        self.ambient_band_c = ambient_band_c
        self.window_people = window_people
        # a longer history than the window: when the air changes, the similar people are further
        # back (people screened in other air are skipped, not counted)
        self._seen: deque[Reading] = deque(maxlen=HISTORY_WINDOWS * window_people)

    def similar(self, reading: Reading) -> list[float]:
        """The foreheads of the recent people screened under similar air, most recent first."""
        similar: list[float] = []
        for seen in reversed(self._seen):
            if reading.at_s - seen.at_s > self.max_age_s or len(similar) >= self.window_people:
                break
            if abs(seen.ambient_c - reading.ambient_c) <= self.ambient_band_c:
                similar.append(seen.object_c)
        return similar

    def estimate(self, reading: Reading) -> Estimate:
        similar = self.similar(reading)
        if len(similar) < self.min_people:
            fallback = self.fallback.estimate(reading)
            if len(similar) < WARMUP_PEOPLE or fallback.flagged:
                return fallback
            threshold_c = statistics.median(similar) + self.offset_c - WARMUP_BELOW_MEDIAN_C
            return replace(fallback, flagged=reading.object_c >= threshold_c)
        median_c = statistics.median(similar)
        threshold_c = quantile(similar, self.low_quantile) + self.offset_c
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
