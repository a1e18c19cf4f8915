"""What the gate has seen: the recent people screened in similar air (the crowd's reference), each
worker's own usual reading (their baseline), and the recent scores the thresholds are drawn from.

A reading is held against what is expected of that person here: the crowd's median in similar air
cancels what everybody in the lobby shares (the air, the weather they came from, the sensor's
drift); a returning worker's baseline then cancels their own offset, which is as large as a fever's
rise on the forehead. The crowd and the scores are kept apart for first readings and readings
after a rest, which come from differently acclimatised skin.
"""

from __future__ import annotations

import bisect
import statistics
from collections import deque

from terminal.screening.estimators import Reading

HISTORY_WINDOWS = 20  # readings kept, in windows of the reference's size
BASELINE_KEPT = 15
SHRINK_READINGS = 3  # a worker's most recent residuals per stage: a few weeks of shifts


def quantile(values: list[float], share: float) -> float:
    """Linear interpolation between order statistics at ``share x (n + 1)`` (the Weibull,
    "exclusive" definition): from a few dozen values it does not sit above the true quantile as
    the "inclusive" one does. Below the lowest value it is the lowest; above the highest, the
    highest."""
    return sorted_quantile(sorted(values), share)


def sorted_quantile(ordered: list[float], share: float) -> float:
    """:func:`quantile` of values already in order."""
    position = min(max(0.0, share * (len(ordered) + 1) - 1), len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


class Crowd:
    """The recent readings of one stage at this gate, for the reference in similar air."""

    def __init__(
        self, *, window_people: int, min_people: int, max_age_s: float, ambient_band_c: float
    ) -> None:
        self.window_people = window_people
        self.min_people = min_people
        self.max_age_s = max_age_s
        self.ambient_band_c = ambient_band_c
        # a longer history than the window: when the air changes, the similar people are further
        # back (people screened in other air are skipped, not counted)
        self._seen: deque[Reading] = deque(maxlen=HISTORY_WINDOWS * window_people)

    def similar(self, reading: Reading) -> list[float]:
        """The readings of the recent people screened under similar air, most recent first."""
        similar: list[float] = []
        for seen in reversed(self._seen):
            if reading.at_s - seen.at_s > self.max_age_s or len(similar) >= self.window_people:
                break
            if abs(seen.ambient_c - reading.ambient_c) <= self.ambient_band_c:
                similar.append(seen.object_c)
        return similar

    def reference_c(self, reading: Reading, min_people: int | None = None) -> float | None:
        """The median of the similar readings; None while fewer than ``min_people`` are known."""
        similar = self.similar(reading)
        if len(similar) < (self.min_people if min_people is None else min_people):
            return None
        return statistics.median(similar)

    def add(self, reading: Reading) -> None:
        self._seen.append(reading)


class Baselines:
    """Each worker's usual reading, as their residual against the crowd's reference at the time:
    the crowd's median in similar air moves with the air and the weather, a person's place in it
    does not. A first reading is held against the first readings' crowd and a rested one against
    the rested crowd, so both residuals measure the same place, and one baseline takes both (it
    fills twice as fast). The median of their recent residuals, so that a few readings taken while
    they were ill do not move it; readings the screening sent to the guard are not taken at all."""

    def __init__(self, min_readings: int) -> None:
        self.min_readings = min_readings
        self._residuals: dict[str, deque[float]] = {}

    def offset_c(self, person_id: str | None) -> float | None:
        if person_id is None:
            return None
        kept = self._residuals.get(person_id)
        if kept is None or len(kept) < self.min_readings:
            return None
        # a few readings say less than many: the median is drawn towards the crowd's (0) by as
        # many readings as it takes to trust it half (the day's wobble and the time each morning
        # since coming in are in every residual)
        return statistics.median(kept) * len(kept) / (len(kept) + SHRINK_READINGS)

    def add(self, person_id: str, residual_c: float) -> None:
        kept = self._residuals.setdefault(person_id, deque(maxlen=BASELINE_KEPT))
        kept.append(residual_c)

    def people(self) -> int:
        return len(self._residuals)


class Scores:
    """The recent scores (reading minus what was expected of that person) of one stage and basis,
    sorted for quantiles. A long window, several days of a gate's people, so that one day's
    outbreak does not lift the thresholds: then many people score high and all are sent on."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._order: deque[float] = deque()
        self._sorted: list[float] = []

    def add(self, score: float) -> None:
        self._order.append(score)
        bisect.insort(self._sorted, score)
        if len(self._order) > self.size:
            gone = self._order.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, gone)]

    def __len__(self) -> int:
        return len(self._sorted)

    def quantile(self, share: float) -> float:
        return sorted_quantile(self._sorted, share)

    def share_at_or_above(self, threshold: float) -> float:
        """The share of the window at or above ``threshold``."""
        if not self._sorted:
            return 0.0
        return 1.0 - bisect.bisect_left(self._sorted, threshold) / len(self._sorted)
