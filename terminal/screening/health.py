"""Is the thermometer telling the truth? Checks on each measurement and across people, and the
fault state they drive.

- ambient out of range: the sensor's own temperature outside what the gate can screen in;
- implausible: in cool air, no warmer than the air (a hat, hair, the wall); colder than any
  forehead, or well below the air;
- stuck: samples with no variation at all (a live thermopile always varies in its last bits), or
  several people in a row reading the same to within a hair;
- a run of failed measurements puts the sensor in fault; the first good one takes it out.
Each change of state is an event the gate records and sends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from terminal.config import ScreeningConfig

# people in a row whose readings all lie within this of each other: no real crowd does that
STUCK_ACROSS_PEOPLE_C = 0.15
NO_VARIATION_C = 0.005  # below one LSB (0.02 K): the samples are the same word
# below this air temperature a face reads clearly warmer than the air; in hotter air a forehead
# comes close to the air's temperature and the difference says nothing
FACE_WARMER_BELOW_AIR_C = 28.0
# no forehead reads this much colder than the air around it
COLDER_THAN_AIR_C = 3.0


class SensorHealth:
    def __init__(
        self, config: ScreeningConfig, on_event: Callable[[str, str], None] | None = None
    ) -> None:
        self.config = config
        self._on_event = on_event or (lambda kind, detail: None)
        self._recent: deque[float] = deque(maxlen=config.stuck_people)
        self.failures_in_a_row = 0
        self.in_fault = False

    def no_variation(self, samples: list[float]) -> str | None:
        if max(samples) - min(samples) < NO_VARIATION_C:
            return "stuck: no variation across samples"
        return None

    def problem(self, samples: list[float], ambient_c: float, object_c: float) -> str | None:
        """What is wrong with this measurement, if anything."""
        config = self.config
        if not config.ambient_min_c <= ambient_c <= config.ambient_max_c:
            return "ambient out of range"
        if self.no_variation(samples):
            return "stuck: no variation across samples"
        not_warmer = (
            object_c - ambient_c < config.presence_delta_c and ambient_c < FACE_WARMER_BELOW_AIR_C
        )
        if (
            not_warmer
            or object_c < config.plausible_min_c
            or object_c < ambient_c - COLDER_THAN_AIR_C
        ):
            return "implausible reading"
        recent = [*self._recent, object_c]
        if len(recent) >= config.stuck_people and max(recent) - min(recent) < STUCK_ACROSS_PEOPLE_C:
            return "stuck: no variation across people"
        return None

    def accepted(self, object_c: float) -> None:
        self._recent.append(object_c)
        self.failures_in_a_row = 0
        if self.in_fault:
            self.in_fault = False
            self._on_event("sensor_recovered", "measurements succeed again")

    def failed(self, problem: str) -> None:
        self.failures_in_a_row += 1
        if problem.startswith("stuck"):
            self._recent.clear()  # the stuck value must not vouch for itself later
        if not self.in_fault and (
            self.failures_in_a_row >= self.config.fault_run or problem.startswith("stuck")
        ):
            self.in_fault = True
            self._on_event("sensor_fault", problem)
