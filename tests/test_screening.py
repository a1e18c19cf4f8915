"""Temperature screening: the measurement state machine with the real MLX90614 and VL53L0X
drivers over their register-level twins, on a simulated clock; the sensor's health; the
estimators."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from drivers.mlx90614 import MLX90614
from drivers.vl53l0x import VL53L0X
from simulator.clock import SimClock
from simulator.mlx90614 import FakeSMBus, Fault, MLX90614Twin, Scene
from simulator.vl53l0x import VL53L0XTwin
from terminal.config import ScreeningConfig
from terminal.rules.policy import CodeSeen, Reason, decide
from terminal.screening import MeasureState, Screener
from terminal.screening.estimators import (
    AbsoluteEstimator,
    Reading,
    RelativeEstimator,
    normal_forehead_c,
)

AMBIENT_C = 20.0
FOREHEAD_C = 34.0


class Bench:
    """A thermometer and a distance sensor on one simulated bus, and a person in front."""

    def __init__(
        self,
        object_c: Callable[[float], float] | float = FOREHEAD_C,
        distance_cm: float | None = 15.0,
        *,
        config: ScreeningConfig | None = None,
        ambient_c: float = AMBIENT_C,
        closer_cm: float | None = None,
    ) -> None:
        self.clock = SimClock(10_000.0)
        self.states: list[str] = []
        self.events: list[tuple[str, str]] = []
        self.distance = distance_cm
        self.closer_cm = closer_cm
        self.in_position_at: float | None = None
        scene_object = object_c if callable(object_c) else (lambda _t: object_c)
        self.twin = MLX90614Twin(
            self.clock.time, lambda t: Scene(ambient_c, scene_object(t)), noise_c=0.1, seed=4
        )
        self.ranger = VL53L0XTwin(self.clock.time, lambda _t: self.distance, seed=2)
        bus = FakeSMBus(self.twin, self.ranger)
        self.clock.sleep(MLX90614Twin.POWER_UP_S)
        self.screener = Screener(
            MLX90614(bus),
            config or ScreeningConfig(),
            self.clock.sleep,
            distance=VL53L0X(bus, sleep=self.clock.sleep),
            now=self.clock.time,
            on_state=self._show,
            on_event=lambda kind, detail: self.events.append((kind, detail)),
        )

    def _show(self, state: MeasureState) -> None:
        self.states.append(state.value)
        if state is MeasureState.COME_CLOSER and self.closer_cm is not None:
            self.distance = self.closer_cm  # the worker steps up
        if state is MeasureState.SETTLING:
            self.in_position_at = self.clock.time()


def test_a_forehead_in_position_is_measured_after_settling_with_spaced_samples() -> None:
    bench = Bench()
    reading = bench.screener.measure()
    assert bench.states == ["waiting", "settling", "measuring", "done"]
    assert reading.fault is None and reading.state == "done"
    assert reading.object_c == pytest.approx(FOREHEAD_C, abs=0.15)
    assert reading.ambient_c == pytest.approx(AMBIENT_C, abs=0.05)
    assert reading.distance_cm == pytest.approx(15.0, abs=2.0)
    # the MLX90614 settles in about 0.65 s: no object read before that, and none back to back
    config = ScreeningConfig()
    assert bench.in_position_at is not None
    object_reads = [
        t
        for (command, _), t in zip(bench.twin.reads, bench.twin.read_times, strict=True)
        if command == 0x07
    ]
    assert len(object_reads) == config.samples
    assert min(object_reads) - bench.in_position_at >= 0.65
    gaps = [b - a for a, b in itertools.pairwise(object_reads)]
    assert min(gaps) >= config.sample_interval_s - 1e-9


def test_too_far_away_asks_to_come_closer_then_measures() -> None:
    bench = Bench(distance_cm=45.0, closer_cm=12.0)
    reading = bench.screener.measure()
    assert bench.states == ["waiting", "come_closer", "settling", "measuring", "done"]
    assert reading.fault is None and reading.object_c is not None


def test_a_person_who_never_comes_closer_is_neither_passed_nor_a_fault() -> None:
    bench = Bench(distance_cm=45.0)
    reading = bench.screener.measure()
    assert bench.states == ["waiting", "come_closer"]
    assert reading.fault is None and reading.final_c is None and reading.state == "come_closer"
    assert not bench.twin.reads  # nothing was measured from that far
    decision = decide(reading, CodeSeen("none"), None)
    assert decision.reason is Reason.NOT_MEASURED and not decision.admit
    assert bench.events == []


def test_one_bad_word_is_retried() -> None:
    bench = Bench()
    bench.twin.inject("bad_pec")
    bench.twin.inject("nack")
    reading = bench.screener.measure()
    assert reading.fault is None
    assert reading.object_c == pytest.approx(FOREHEAD_C, abs=0.15)


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ("nack", "OSError errno 121"),
        ("bad_pec", "PECMismatchError"),
        ("error_flag", "ErrorFlagError"),
    ],
)
def test_a_sensor_that_keeps_failing_gives_a_fault_not_a_number(fault: Fault, named: str) -> None:
    bench = Bench()
    bench.twin.inject(fault, count=1000)
    reading = bench.screener.measure()
    assert reading.first_c is None and reading.final_c is None
    assert reading.fault == named and bench.states[-1] == "sensor_fault"


def test_no_forehead_in_view_is_implausible_not_a_temperature() -> None:
    bench = Bench(object_c=AMBIENT_C + 0.5)  # a hat, or hair: hardly warmer than the air
    assert bench.screener.measure().fault == "implausible reading"


def test_ambient_out_of_range_is_a_fault() -> None:
    bench = Bench(ambient_c=48.0, object_c=50.0)
    assert bench.screener.measure().fault == "ambient out of range"


def test_hotter_than_any_forehead_goes_to_the_secondary_check_not_a_pass() -> None:
    bench = Bench(object_c=44.0)
    reading = bench.screener.measure()
    assert reading.fault is None and reading.flagged


def test_a_stuck_thermometer_is_noticed_by_the_first_person() -> None:
    bench = Bench()
    stuck: list[Fault | None] = [None]
    bench.twin._persistent_fault = lambda: stuck[0]
    assert bench.screener.measure().fault is None
    stuck[0] = "stuck"
    reading = bench.screener.measure()
    assert reading.fault == "stuck: no variation across samples"
    assert bench.events == [("sensor_fault", "stuck: no variation across samples")]


def test_a_thermometer_reading_the_same_for_everyone_is_stuck() -> None:
    config = ScreeningConfig()
    bench = Bench(object_c=FOREHEAD_C)  # live noise, but every "person" the very same
    faults = [bench.screener.measure().fault for _ in range(100)]
    # a live sensor whose median of 5 samples keeps every person within 0.15 °C
    assert "stuck: no variation across people" in faults
    first = faults.index("stuck: no variation across people")
    assert first >= config.stuck_people - 1
    assert ("sensor_fault", "stuck: no variation across people") in bench.events


def test_a_run_of_faults_is_one_event_and_the_sensor_recovers_by_itself() -> None:
    config = ScreeningConfig(fault_run=3)
    bench = Bench(config=config)
    bench.twin.inject("nack", count=3 * config.read_attempts)
    faults = [bench.screener.measure().fault for _ in range(3)]
    assert all(faults)
    assert bench.events == [("sensor_fault", "OSError errno 121")]
    assert bench.screener.measure().fault is None
    assert bench.events[-1] == ("sensor_recovered", "measurements succeed again")


def test_the_distance_sensor_failing_is_a_fault_and_presence_unknown() -> None:
    bench = Bench()
    bench.ranger._failing = lambda: True
    assert bench.screener.someone_in_front() is None
    assert bench.screener.measure().fault == "distance sensor: OSError errno 121"


# --- estimators --------------------------------------------------------------------------------
def test_the_absolute_table_rises_with_the_air() -> None:
    airs = [5, 10, 15, 20, 25, 30, 35, 40]
    values = [normal_forehead_c(a) for a in airs]
    assert values == sorted(values)
    assert normal_forehead_c(-10) == values[0] and normal_forehead_c(60) == values[-1]
    absolute = AbsoluteEstimator(fever_threshold_c=37.3)
    normal = absolute.estimate(Reading(normal_forehead_c(22.0), 22.0, 0.0))
    assert normal.core_c == pytest.approx(36.8) and not normal.flagged
    assert absolute.estimate(Reading(normal_forehead_c(22.0) + 0.6, 22.0, 0.0)).flagged


def relative(**kwargs: float) -> RelativeEstimator:
    options: dict = {"offset_c": 0.55, "low_quantile": 0.05, "min_people": 10, **kwargs}
    return RelativeEstimator(fallback=AbsoluteEstimator(37.3), **options)


def test_relative_falls_back_to_absolute_until_it_has_seen_enough_people() -> None:
    estimator = relative()
    for index in range(9):
        reading = Reading(33.0 + 0.1 * (index % 3), 15.0, float(index))
        assert estimator.estimate(reading).mode == "absolute"
        estimator.learn(reading)
    estimator.learn(Reading(33.1, 15.0, 9.0))
    assert estimator.estimate(Reading(33.0, 15.0, 10.0)).mode == "relative"


def test_relative_flags_against_the_people_before_not_the_weather() -> None:
    # a cold morning: everyone's forehead is low, and a fever shows against them
    estimator = relative()
    for index in range(20):
        estimator.learn(Reading(31.0 + 0.1 * (index % 5 - 2), 12.0, float(index)))
    normal = estimator.estimate(Reading(31.0, 12.0, 30.0))
    fever = estimator.estimate(Reading(31.8, 12.0, 30.0))
    assert normal.reference_c == pytest.approx(31.0) and not normal.flagged
    assert fever.flagged and fever.mode == "relative"
    # the absolute table alone would have passed that fever in the cold
    assert not AbsoluteEstimator(37.3).estimate(Reading(31.8, 12.0, 30.0)).flagged


def test_relative_flags_more_readily_when_the_crowd_differs_more() -> None:
    tight, loose = relative(), relative()
    for index in range(30):
        tight.learn(Reading(34.0 + 0.05 * (index % 5 - 2), 22.0, float(index)))
        loose.learn(Reading(34.0 + 0.4 * (index % 5 - 2), 22.0, float(index)))
    probe = Reading(34.3, 22.0, 40.0)
    assert not tight.estimate(probe).flagged
    assert loose.estimate(probe).flagged


def test_relative_ignores_people_screened_in_other_air_or_long_ago() -> None:
    estimator = relative(max_age_s=600.0, ambient_band_c=2.0)
    for index in range(20):
        estimator.learn(Reading(35.0, 30.0, float(index)))  # the hot afternoon
    assert estimator.estimate(Reading(32.0, 15.0, 25.0)).mode == "absolute"
    assert estimator.estimate(Reading(35.0, 30.0, 10_000.0)).mode == "absolute"


def test_relative_finds_the_similar_people_further_back_when_the_air_jumps() -> None:
    estimator = relative()
    for index in range(200):  # two kinds of air, alternating person by person
        air = 12.0 if index % 2 else 30.0
        estimator.learn(Reading(31.0 if air < 20 else 35.0, air, float(index)))
    cold = estimator.estimate(Reading(31.0, 12.0, 201.0))
    hot = estimator.estimate(Reading(35.0, 30.0, 201.0))
    assert (cold.mode, cold.reference_c) == ("relative", 31.0)
    assert (hot.mode, hot.reference_c) == ("relative", 35.0)


def test_standing_at_the_edge_of_the_range_is_measured_not_sent_away() -> None:
    # the ranging's noise at 24.8 cm crosses 25 cm now and then: that is not stepping back
    for seed in range(5):
        bench = Bench(distance_cm=24.8)
        bench.ranger._rng.seed(seed)
        reading = bench.screener.measure()
        assert reading.state == "done", seed
