"""The published forehead-by-air table, and the reading the screening judges.

The table gives the forehead skin of people without fever by air temperature (docs/screening.md
gives its sources). A reading is turned into an estimated core temperature by its difference from
what is expected (the table, the crowd, or the person's own baseline: :mod:`judge`), seen on the
forehead at ``FOREHEAD_PER_CORE``. How long a person has been inside and their own offset are
large beside a 0.5 °C fever margin, and no table knows them: in cool air the table alone misses
most fevers (docs/screening.md has the figures), so it only speaks until the gate knows its crowd.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

# core temperature of the median person without fever (oral/axillary ~36.7-36.8 °C)
NORMAL_CORE_C = 36.8
# how much of a core rise shows on the forehead, for turning a forehead difference into a core one
FOREHEAD_PER_CORE = 0.8
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


def table_core_c(reading: Reading) -> float:
    """The core temperature the table alone estimates from a reading."""
    excess_c = reading.object_c - normal_forehead_c(reading.ambient_c)
    return NORMAL_CORE_C + excess_c / FOREHEAD_PER_CORE
