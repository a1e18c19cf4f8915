"""Screening: how a forehead is measured and judged, and the replay of recorded readings."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from terminal.config.base import (
    Section,
)


class ScreeningConfig(Section):
    """Fever screening. Bounds and cross-checks keep a configuration from hiding a fever."""

    # "relative": each reading against the recent people at this gate; "absolute": against a
    # published forehead-by-air table (docs/screening.md). Relative falls back to absolute until
    # it has seen enough people.
    estimator: Literal["relative", "absolute"] = "relative"
    # the absolute estimator flags an estimated core at or above this
    fever_threshold_c: float = Field(default=37.3, ge=37.0, le=38.0)
    # the relative estimator flags a forehead at or above this quantile of the recent people in
    # similar air plus relative_offset_c (the forehead rise of a 37.5 °C core: 0.7 x 0.8)
    reference_quantile: float = Field(default=0.05, ge=0.01, le=0.5)
    relative_offset_c: float = Field(default=0.55, ge=0.2, le=1.0)
    reference_people: int = Field(default=30, ge=5, le=500)  # the running reference's window
    reference_min_people: int = Field(default=10, ge=3, le=200)  # fewer similar: absolute
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

    @model_validator(mode="after")
    def _consistent(self) -> ScreeningConfig:
        if self.max_distance_cm >= self.presence_cm:
            raise ValueError("max_distance_cm must be below presence_cm")
        if self.ambient_min_c >= self.ambient_max_c:
            raise ValueError("ambient_min_c must be below ambient_max_c")
        if self.plausible_max_c < self.fever_threshold_c + 3.0:
            raise ValueError("plausible_max_c must be at least fever_threshold_c + 3")
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
