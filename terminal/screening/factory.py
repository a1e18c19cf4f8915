"""The estimator the configuration asks for."""

from __future__ import annotations

from terminal.config import ScreeningConfig
from terminal.screening.estimators import AbsoluteEstimator, Estimator, RelativeEstimator


def make_estimator(config: ScreeningConfig) -> Estimator:
    absolute = AbsoluteEstimator(config.fever_threshold_c)
    if config.estimator == "absolute":
        return absolute
    return RelativeEstimator(
        offset_c=config.relative_offset_c,
        low_quantile=config.reference_quantile,
        fallback=absolute,
        window_people=config.reference_people,
        min_people=config.reference_min_people,
        max_age_s=config.reference_max_age_s,
        ambient_band_c=config.reference_ambient_band_c,
    )
