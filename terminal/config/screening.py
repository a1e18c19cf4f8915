"""Screening: how a forehead is measured and judged, and the replay of recorded readings."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from terminal.config.base import (
    PlainText,
    Section,
)

# keys of earlier versions whose job secondary_budget now does: named in the error, not ignored
REPLACED_BY_BUDGET = ("estimator", "reference_quantile", "relative_offset_c")


class ScreeningConfig(Section):
    """Fever screening. Bounds and cross-checks keep a configuration from hiding a fever."""

    # the park's operating point: the share of people without fever the guards can check at
    # the secondary check point. The gate aims at about that share from its own model and the
    # crowd it sees, catching as many fevers as it can within it (docs/screening.md tables the
    # trade at 5, 10 and 20 %). A reading that is high whatever the crowd is always sent on.
    secondary_budget: float = Field(default=0.10, ge=0.01, le=0.5)
    # rest and re-screen: a first reading raised but not clearly high sends the person to rest
    # this long in rest_area, then scan again; the second reading decides
    rest: bool = True
    rest_min: float = Field(default=5.0, ge=2.0, le=30.0)
    # the share of people asked to rest, at most (the rest threshold sits at this quantile of
    # the crowd's first readings, held against each person's own baseline where it is known)
    rest_share: float = Field(default=0.4, ge=0.05, le=0.9)
    # told to rest and not back this long after the rest is over: recorded as not returned
    rest_return_min: float = Field(default=15.0, ge=1.0, le=240.0)
    rest_area: PlainText = Field(
        default="the waiting area beside the gate", min_length=1, max_length=120
    )
    # each worker's own baseline: their usual reading, from at least this many earlier
    # screenings (readings the record keeps), before the crowd gives way to it
    baseline: bool = True
    baseline_min_readings: int = Field(default=3, ge=2, le=50)
    # until the crowd is known (a gate just switched on, the air just changed) readings are held
    # against a published forehead-by-air table: an estimated core at or above this sends on
    fever_threshold_c: float = Field(default=37.3, ge=37.0, le=38.0)
    # an estimated core at or above this is clearly high whatever the crowd: to the guard at once
    clearly_high_c: float = Field(default=38.0, ge=37.5, le=40.0)
    reference_people: int = Field(default=60, ge=5, le=500)  # the running crowd's window
    reference_min_people: int = Field(default=10, ge=3, le=200)  # fewer similar: the table
    reference_max_age_s: float = Field(default=1800.0, ge=60.0, le=4 * 3600.0)
    reference_ambient_band_c: float = Field(default=2.0, ge=0.5, le=5.0)  # "similar air"
    # MLX90614: output settles about 0.65 s after the scene changes (datasheet); samples spaced
    # so the bus is not polled continuously
    settle_s: float = Field(default=0.7, ge=0.65, le=5.0)
    samples: int = Field(default=5, ge=3, le=50)
    sample_interval_s: float = Field(default=0.1, ge=0.05, le=1.0)
    read_attempts: int = Field(default=3, ge=1, le=10)
    # distance from the VL53L0X: measure only this close; farther, ask to come closer
    max_distance_cm: float = Field(default=25.0, ge=5.0, le=80.0)
    presence_cm: float = Field(default=60.0, ge=10.0, le=120.0)  # someone is in front
    come_closer_s: float = Field(default=6.0, ge=1.0, le=60.0)  # then a fault: no reading
    presence_delta_c: float = Field(default=1.5, gt=0.0, le=20.0)
    # a forehead reads between these (object temperature, calibration applied): below is not a
    # forehead (hat, hair, hand); above is sent to the secondary check, never passed
    plausible_min_c: float = Field(default=20.0, ge=15.0, le=32.0)
    plausible_max_c: float = Field(default=42.5, ge=40.0, le=45.0)
    # the thermometer's own (ambient) temperature outside this: the gate cannot screen
    ambient_min_c: float = Field(default=5.0, ge=-20.0, le=20.0)
    ambient_max_c: float = Field(default=42.0, ge=25.0, le=60.0)
    # people in a row whose readings did not vary at all: the sensor is stuck
    stuck_people: int = Field(default=12, ge=3, le=50)
    # measurements in a row that failed: the sensor is in fault until one succeeds
    fault_run: int = Field(default=3, ge=1, le=20)

    @model_validator(mode="before")
    @classmethod
    def _replaced(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in REPLACED_BY_BUDGET:
                if key in data:
                    raise ValueError(
                        f"{key} is replaced by secondary_budget (the share of people without "
                        "fever the guards can check); remove it"
                    )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ScreeningConfig:
        if self.max_distance_cm >= self.presence_cm:
            raise ValueError("max_distance_cm must be below presence_cm")
        if self.ambient_min_c >= self.ambient_max_c:
            raise ValueError("ambient_min_c must be below ambient_max_c")
        if self.plausible_max_c < self.fever_threshold_c + 3.0:
            raise ValueError("plausible_max_c must be at least fever_threshold_c + 3")
        if self.clearly_high_c <= self.fever_threshold_c:
            raise ValueError("clearly_high_c must be above fever_threshold_c")
        if self.rest_share < self.secondary_budget:
            raise ValueError("rest_share must be at least secondary_budget")
        if self.reference_min_people > self.reference_people:
            raise ValueError("reference_min_people must not exceed reference_people")
        return self


class ReplayConfig(Section):
    """A code that admitted someone does not admit again at this gate for a while: one
    screenshot, passed back over the turnstile, must not let a second person in."""

    mode: Literal["deny", "record_only"] = "deny"
    # how long: by default until the end of the window that admitted the person; hold_h instead
    # makes it a fixed time
    hold_h: float | None = Field(default=None, gt=0.0, le=72.0)
    # for people allowed in at any time (no window to end)
    any_time_hold_h: float = Field(default=12.0, gt=0.0, le=72.0)
