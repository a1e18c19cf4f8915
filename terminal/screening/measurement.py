"""One forehead measurement as a state machine the worker and the record see.

waiting -> come_closer (too far, or not in view: the worker is asked to come closer; neither a
pass nor a fault) -> settling (the MLX90614's output takes about 0.65 s to follow a new scene)
-> measuring (several samples, spaced so the bus is not polled continuously; their median) ->
done, or sensor_fault.

The distance comes from a VL53L0X time-of-flight sensor on the same bus: a reading is taken only
with the face within ``max_distance_cm``, where it fills the thermometer's field of view.

Several thermometers (two heights, say) are read in each round; each has its own calibration
offset and its own health check, and the warmest median is the forehead (the others see a chin,
a collar or hair). A fault in any of them is a fault: the one that failed may have been the one
facing the forehead.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import partial
from typing import Protocol, runtime_checkable

from drivers.mlx90614 import MLX90614Error
from drivers.vl53l0x import VL53L0XError
from terminal.common.errors import GateError
from terminal.config import ScreeningConfig
from terminal.rules.policy import Temperature
from terminal.screening.health import SensorHealth
from terminal.screening.judge import RestTaken, Screening

log = logging.getLogger(__name__)
COME_CLOSER_POLL_S = 0.2
MAX_POSITIONINGS = 2  # a person who steps back mid-measurement is asked again, once
# stepping back means going this much beyond max_distance_cm: the ranging's own noise (about
# 3 % of the distance) at the edge is not a step
STEPPED_BACK_CM = 5.0


class MeasureState(StrEnum):
    WAITING = "waiting"
    COME_CLOSER = "come_closer"
    SETTLING = "settling"
    MEASURING = "measuring"
    DONE = "done"
    SENSOR_FAULT = "sensor_fault"


class Thermometer(Protocol):
    @property
    def object_celsius(self) -> float: ...

    @property
    def ambient_celsius(self) -> float: ...


class DistanceSensor(Protocol):
    def distance_cm(self) -> float | None: ...


@runtime_checkable
class Pauses(Protocol):
    """All a measurement asks of whoever runs it: its pauses (settling, between samples, while
    the worker comes closer) spent. The gate spends them reading its camera; a bench sleeps."""

    def wait(self, seconds: float) -> None: ...


class Sleeps:
    """Pauses spent asleep."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self.sleep = sleep

    def wait(self, seconds: float) -> None:
        self.sleep(seconds)


class ReadingFailed(GateError):
    pass


def _object_of(sensor: Thermometer) -> float:
    return sensor.object_celsius


def _fault_name(exc: BaseException) -> str:
    errno = getattr(exc, "errno", None)
    return f"{type(exc).__name__} errno {errno}" if errno else type(exc).__name__


class Screener:
    def __init__(
        self,
        thermometer: Thermometer | Sequence[Thermometer],
        config: ScreeningConfig,
        pauses: Pauses | Callable[[float], None],
        *,
        distance: DistanceSensor,
        now: Callable[[], float],
        calibration_offsets_c: list[float] | None = None,
        on_state: Callable[[MeasureState], None] | None = None,
        on_event: Callable[[str, str], None] | None = None,
        screening: Screening | None = None,
    ) -> None:
        """``pauses`` spends the pauses (or a plain ``sleep``): the gate gives its codes in
        view, which keep reading the camera meanwhile. ``on_state`` is the worker's display;
        ``on_event`` hears the sensor's fault and recovery. A measurement is judged once the gate
        knows whose forehead it was (:meth:`judge`)."""
        self.thermometers: list[Thermometer] = (
            list(thermometer) if isinstance(thermometer, Sequence) else [thermometer]
        )
        self.offsets_c = calibration_offsets_c or [0.0] * len(self.thermometers)
        if len(self.offsets_c) != len(self.thermometers):
            raise ValueError("one calibration offset per thermometer")
        self.distance = distance
        self.config = config
        self.pauses = pauses if isinstance(pauses, Pauses) else Sleeps(pauses)
        self._now = now
        self._on_state = on_state or (lambda state: None)
        self.health = SensorHealth(config, on_event)
        self.screening = screening or Screening(config)
        self.state: MeasureState | None = None

    def _enter(self, state: MeasureState) -> None:
        if state != self.state:
            self.state = state
            self._on_state(state)

    def _read(self, what: Callable[[], float]) -> float:
        last: BaseException | None = None
        for _ in range(self.config.read_attempts):
            try:
                return what()
            except (OSError, MLX90614Error) as exc:
                last = exc
        raise ReadingFailed(_fault_name(last) if last else "no reading")

    def _ambient(self) -> float:
        return self.thermometers[0].ambient_celsius

    def _distance_cm(self) -> float | None:
        try:
            return self.distance.distance_cm()
        except (OSError, VL53L0XError) as exc:
            raise ReadingFailed(f"distance sensor: {_fault_name(exc)}") from None

    def anyone_in_range(self) -> bool | None:
        """Does the distance sensor see anything in its range? None when it cannot tell."""
        try:
            return self._distance_cm() is not None
        except ReadingFailed:
            return None

    def someone_in_front(self) -> bool | None:
        """Is someone in front of the gate? None when the distance sensor cannot tell."""
        try:
            distance = self._distance_cm()
        except ReadingFailed:
            return None
        return distance is not None and distance <= self.config.presence_cm

    def _fault(
        self,
        problem: str,
        object_c: float | None = None,
        ambient_c: float | None = None,
        distance_cm: float | None = None,
    ) -> Temperature:
        self.health.failed(problem)
        self._enter(MeasureState.SENSOR_FAULT)
        return Temperature(
            first_c=None,
            fault=problem,
            state=MeasureState.SENSOR_FAULT,
            object_c=object_c,
            ambient_c=ambient_c,
            distance_cm=distance_cm,
        )

    def _in_position(self) -> float | None:
        """Wait for the face to be close enough, asking the worker to come closer; its distance,
        or None when they never came close enough."""
        deadline = self._now() + self.config.come_closer_s
        while True:
            distance = self._distance_cm()
            if distance is not None and distance <= self.config.max_distance_cm:
                return distance
            self._enter(MeasureState.COME_CLOSER)
            if self._now() >= deadline:
                return None
            self.pauses.wait(COME_CLOSER_POLL_S)

    def measure(self) -> Temperature:
        """Never raises: a fault, or a person who never came (or stayed) close enough, is in the
        result."""
        self.state = None  # each measurement starts afresh, and the display is told so
        self._enter(MeasureState.WAITING)
        for _ in range(MAX_POSITIONINGS):
            try:
                distance = self._in_position()
            except ReadingFailed as exc:
                return self._fault(str(exc))
            if distance is None:
                break
            self._enter(MeasureState.SETTLING)
            self.pauses.wait(self.config.settle_s)
            self._enter(MeasureState.MEASURING)
            try:
                ambient_c = self._read(self._ambient)
                samples: list[list[float]] = [[] for _ in self.thermometers]
                for index in range(self.config.samples):
                    if index:
                        self.pauses.wait(self.config.sample_interval_s)
                    for sensor, taken in zip(self.thermometers, samples, strict=True):
                        taken.append(self._read(partial(_object_of, sensor)))
                still = self._distance_cm()
            except ReadingFailed as exc:
                return self._fault(str(exc), distance_cm=distance)
            if still is None or still > self.config.max_distance_cm + STEPPED_BACK_CM:
                continue  # they stepped back while it measured: not their forehead; again
            return self._judge(samples, ambient_c, distance)
        log.info("measurement: nobody came close enough")
        return Temperature(first_c=None, state=MeasureState.COME_CLOSER)

    def _judge(
        self, samples: list[list[float]], ambient_c: float, distance_cm: float
    ) -> Temperature:
        medians = [
            statistics.median(taken) + offset
            for taken, offset in zip(samples, self.offsets_c, strict=True)
        ]
        warmest = max(range(len(medians)), key=lambda index: medians[index])
        object_c = round(medians[warmest], 2)
        problem = None
        for taken in samples:  # any sensor stuck is a fault, even one not facing the forehead
            problem = problem or self.health.no_variation(taken)
        problem = problem or self.health.problem(samples[warmest], ambient_c, object_c)
        if problem is not None:
            return self._fault(problem, object_c, round(ambient_c, 2), distance_cm)
        self.health.accepted(object_c)
        self._enter(MeasureState.DONE)
        # not judged yet: ``first_c`` stays empty (which never admits) until :meth:`judge`
        return Temperature(
            first_c=None,
            state=MeasureState.DONE,
            object_c=object_c,
            ambient_c=round(ambient_c, 2),
            distance_cm=distance_cm,
            at_s=self._now(),
        )

    def judge(
        self,
        measured: Temperature,
        person_id: str | None,
        rested: RestTaken | None = None,
        *,
        learn: bool = True,
    ) -> Temperature:
        """The measurement judged for the person whose code was read (``person_id``; None when
        none was): against their own baseline or the crowd, as a first reading or, ``rested``,
        the one after a rest."""
        return self.screening.judge(measured, person_id, rested, learn=learn)

    def estimated_catch(self) -> float | None:
        return self.screening.estimated_catch()
