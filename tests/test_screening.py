"""Temperature screening: the real driver over the thermometer twin, on a simulated clock."""

from __future__ import annotations

import pytest

from drivers.mlx90614 import MLX90614
from simulator.clock import SimClock
from simulator.mlx90614 import FakeSMBus, Fault, MLX90614Twin, Scene
from simulator.world import skin_celsius
from terminal.config import ScreeningConfig
from terminal.screening import Screener

AMBIENT_C = 18.0


def screener(scene_at, config: ScreeningConfig | None = None, noise_c: float = 0.03):
    clock = SimClock(10_000.0)
    twin = MLX90614Twin(clock.time, scene_at, noise_c=noise_c, seed=4)
    clock.sleep(MLX90614Twin.POWER_UP_S)
    return (
        clock,
        twin,
        Screener(MLX90614(FakeSMBus(twin)), config or ScreeningConfig(), clock.sleep),
    )


def person(core_c: float):
    return lambda _t: Scene(AMBIENT_C, skin_celsius(core_c, AMBIENT_C))


@pytest.mark.parametrize("core_c", [36.2, 36.8, 37.1])
def test_core_estimate_is_within_a_tenth_of_a_degree(core_c: float) -> None:
    _, _, s = screener(person(core_c))
    reading = s.measure()
    assert reading.fault is None and reading.remeasure_c is None
    assert reading.first_c == pytest.approx(core_c, abs=0.1)


def test_a_fever_is_measured_twice_after_a_pause() -> None:
    clock, _, s = screener(person(38.2))
    started = clock.time()
    reading = s.measure()
    assert reading.first_c == pytest.approx(38.2, abs=0.1)
    assert reading.remeasure_c == pytest.approx(38.2, abs=0.1)
    assert clock.time() - started >= ScreeningConfig().remeasure_delay_s


def test_a_passing_hot_reading_is_not_confirmed() -> None:
    hot_until = 10_002.0  # a phone warm from the sun held near the sensor, then taken away

    def scene(t: float) -> Scene:
        core = 38.5 if t < hot_until else 36.6
        return Scene(AMBIENT_C, skin_celsius(core, AMBIENT_C))

    _, _, s = screener(scene)
    reading = s.measure()
    assert reading.first_c is not None and reading.first_c >= 37.3
    assert reading.remeasure_c == pytest.approx(36.6, abs=0.1)


def test_one_bad_word_is_retried() -> None:
    _, twin, s = screener(person(36.6))
    twin.inject("bad_pec")
    twin.inject("nack")
    reading = s.measure()
    assert reading.fault is None
    assert reading.first_c == pytest.approx(36.6, abs=0.1)


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ("nack", "OSError errno 121"),
        ("bad_pec", "PECMismatchError"),
        ("error_flag", "ErrorFlagError"),
    ],
)
def test_a_sensor_that_keeps_failing_gives_a_fault_not_a_number(fault: Fault, named: str) -> None:
    _, twin, s = screener(person(36.6))
    twin.inject(fault, count=100)
    reading = s.measure()
    assert reading.first_c is None and reading.final_c is None
    assert reading.fault == named


def test_nobody_in_front_is_implausible_not_a_temperature() -> None:
    _, _, s = screener(lambda _t: Scene(AMBIENT_C, AMBIENT_C))
    assert s.someone_in_front() is False
    reading = s.measure()
    assert reading.fault == "implausible reading"


def test_presence_of_a_face() -> None:
    _, twin, s = screener(person(36.6))
    assert s.someone_in_front() is True
    twin.inject("nack", count=100)
    assert s.someone_in_front() is None
