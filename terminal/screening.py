"""Forehead temperature screening on top of the infrared thermometer.

The MLX90614 sees skin, not the body's core. Forehead skin sits between the core and the air, so
the estimate undoes that: ``core = air + (skin - air) / skin_fraction``, with ``skin_fraction``
calibrated for the sensor's mounting. A reading at or above the fever threshold is taken again
after a pause, because one high reading (a hot phone held near the sensor, sun on the forehead) is
not yet a fever.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Protocol

from drivers.mlx90614 import MLX90614Error
from terminal.config import ScreeningConfig
from terminal.policy import Temperature


class Thermometer(Protocol):
    @property
    def object_celsius(self) -> float: ...

    @property
    def ambient_celsius(self) -> float: ...


class ReadingFailed(Exception):
    pass


def _fault_name(exc: BaseException) -> str:
    errno = getattr(exc, "errno", None)
    return f"{type(exc).__name__} errno {errno}" if errno else type(exc).__name__


class Screener:
    def __init__(
        self, thermometer: Thermometer, config: ScreeningConfig, sleep: Callable[[float], None]
    ) -> None:
        """``sleep`` spends the pauses (settling, between samples, before a re-measure); the gate
        gives one that keeps watching its camera."""
        self.thermometer = thermometer
        self.config = config
        self._sleep = sleep

    def _read(self, what: Callable[[], float]) -> float:
        last: BaseException | None = None
        for _ in range(self.config.read_attempts):
            try:
                return what()
            except (OSError, MLX90614Error) as exc:
                last = exc
        raise ReadingFailed(_fault_name(last) if last else "no reading")

    def _object(self) -> float:
        return self.thermometer.object_celsius

    def _ambient(self) -> float:
        return self.thermometer.ambient_celsius

    def someone_in_front(self) -> bool | None:
        """Is a warm face in front of the sensor? None when the sensor cannot tell."""
        try:
            return (
                self._read(self._object) - self._read(self._ambient) >= self.config.presence_delta_c
            )
        except ReadingFailed:
            return None

    def _estimate_core_c(self) -> float:
        ambient = self._read(self._ambient)
        skins = []
        for index in range(self.config.samples):
            if index:
                self._sleep(self.config.sample_interval_s)
            skins.append(self._read(self._object))
        skin = statistics.median(skins)
        core = ambient + (skin - ambient) / self.config.skin_fraction
        if not self.config.plausible_min_c <= core <= self.config.plausible_max_c:
            # not a forehead: a hat, hair, a hand, or nobody close enough
            raise ReadingFailed("implausible reading")
        return round(core, 2)

    def measure(self) -> Temperature:
        """Settle, measure, and re-measure a fever. Never raises: a fault is in the result."""
        self._sleep(self.config.settle_s)
        try:
            first = self._estimate_core_c()
        except ReadingFailed as exc:
            return Temperature(first_c=None, fault=str(exc))
        if first < self.config.fever_threshold_c:
            return Temperature(first_c=first)
        self._sleep(self.config.remeasure_delay_s)
        try:
            return Temperature(first_c=first, remeasure_c=self._estimate_core_c())
        except ReadingFailed as exc:
            return Temperature(first_c=first, fault=str(exc))
