"""The VL53L0X driver over its register-level twin: the wire, the timing, no target."""

from __future__ import annotations

import pytest

from drivers.vl53l0x import (
    IDENTIFICATION_MODEL_ID,
    RESULT_INTERRUPT_STATUS,
    SYSTEM_INTERRUPT_CONFIG_GPIO,
    VL53L0X,
    VL53L0XError,
)
from simulator.clock import SimClock
from simulator.mlx90614 import FakeSMBus, MLX90614Twin
from simulator.vl53l0x import VL53L0XTwin


def rig(distance_cm: float | None = 20.0) -> tuple[SimClock, VL53L0XTwin, VL53L0X, list]:
    clock = SimClock(1000.0)
    seen: list[float | None] = [distance_cm]
    twin = VL53L0XTwin(clock.time, lambda _t: seen[0], seed=1)
    return clock, twin, VL53L0X(FakeSMBus(twin), sleep=clock.sleep, now=clock.time), seen


def test_start_checks_the_part_and_sets_the_new_sample_interrupt() -> None:
    _, twin, sensor, _ = rig()
    sensor.start()
    assert sensor._stop_variable == 0x3C  # read from the private page
    assert twin.registers[IDENTIFICATION_MODEL_ID] == 0xEE
    assert twin.registers[SYSTEM_INTERRUPT_CONFIG_GPIO] == 0x04
    assert twin.registers[0x89] & 0x01  # 2.8 V I/O


def test_a_single_range_takes_the_timing_budget_and_reads_millimetres() -> None:
    clock, twin, sensor, _ = rig(20.0)
    started = clock.time()
    distances = [sensor.distance_mm() for _ in range(20)]
    assert all(d is not None and d == pytest.approx(200, abs=30) for d in distances)
    per_range_s = (clock.time() - started) / 20
    assert VL53L0XTwin.TIMING_BUDGET_S <= per_range_s < 2 * VL53L0XTwin.TIMING_BUDGET_S
    assert twin.ranges_started == 20
    assert twin.registers[RESULT_INTERRUPT_STATUS] == 0  # every interrupt cleared


def test_read_every_frame_the_sensor_ranges_once_and_follows_the_person() -> None:
    clock, twin, sensor, seen = rig(40.0)
    bus = sensor.bus
    assert isinstance(bus, FakeSMBus)
    first = sensor.distance_cm()
    assert first == pytest.approx(40.0, abs=5.0)
    transactions = bus.transactions[twin.address]
    for _ in range(30):  # two seconds of frames at 15 a second
        clock.sleep(1 / 15)
        assert sensor.distance_cm() == pytest.approx(seen[0], abs=5.0)
        seen[0] -= 0.5  # the person steps closer
    assert twin.ranges_started == 1  # ranging back to back, not started again per reading
    # a fresh sample each frame: the new-sample flag, the status, the range, the clear
    assert bus.transactions[twin.address] - transactions == 30 * 4


def test_asked_again_within_the_timing_budget_the_bus_is_left_alone() -> None:
    clock, twin, sensor, seen = rig(30.0)
    bus = sensor.bus
    assert isinstance(bus, FakeSMBus)
    first = sensor.distance_cm()
    transactions = bus.transactions[twin.address]
    seen[0] = 60.0
    clock.sleep(VL53L0XTwin.TIMING_BUDGET_S / 3)
    assert [sensor.distance_cm() for _ in range(5)] == [first] * 5
    assert bus.transactions[twin.address] == transactions
    clock.sleep(VL53L0XTwin.TIMING_BUDGET_S)
    assert sensor.distance_cm() == pytest.approx(60.0, abs=5.0)


def test_a_sensor_that_comes_back_is_started_again() -> None:
    clock = SimClock(0.0)
    failing = [False]
    twin = VL53L0XTwin(clock.time, lambda _t: 25.0, failing=lambda: failing[0])
    sensor = VL53L0X(FakeSMBus(twin), sleep=clock.sleep, now=clock.time)
    assert sensor.distance_cm() == pytest.approx(25.0, abs=3.0)
    failing[0] = True
    clock.sleep(0.1)
    with pytest.raises(OSError):
        sensor.distance_cm()
    failing[0] = False
    twin._back_to_back = False  # it lost its power: idle again
    twin._ready_at = None
    clock.sleep(0.1)
    assert sensor.distance_cm() == pytest.approx(25.0, abs=3.0)
    assert twin.ranges_started == 2


def test_a_failed_sensor_is_not_asked_again_by_the_next_reader_of_the_same_frame() -> None:
    """The presence check and the frame's triage both read the distance: a sensor that failed
    the first is not asked again (and waited on again) by the second within its budget."""
    clock = SimClock(0.0)
    twin = VL53L0XTwin(clock.time, lambda _t: 25.0, failing=lambda: True)
    bus = FakeSMBus(twin)
    sensor = VL53L0X(bus, sleep=clock.sleep, now=clock.time)
    with pytest.raises(OSError):
        sensor.distance_cm()
    asked, waited_until = bus.transactions[twin.address], clock.time()
    with pytest.raises(OSError):  # the same failure, said again
        sensor.distance_cm()
    assert (bus.transactions[twin.address], clock.time()) == (asked, waited_until)


def test_nothing_in_range_is_none_not_a_distance() -> None:
    clock, _, sensor, seen = rig(None)
    assert sensor.distance_cm() is None
    seen[0] = 150.0  # beyond a face's reach in default mode
    clock.sleep(VL53L0XTwin.TIMING_BUDGET_S)
    assert sensor.distance_cm() is None
    seen[0] = 40.0
    clock.sleep(VL53L0XTwin.TIMING_BUDGET_S)
    assert sensor.distance_cm() == pytest.approx(40.0, abs=5.0)


def test_another_device_at_the_address_is_refused() -> None:
    clock = SimClock(0.0)
    impostor = VL53L0XTwin(clock.time, lambda _t: 20.0)
    impostor.registers[IDENTIFICATION_MODEL_ID] = 0xAA  # another part answering at 0x29
    with pytest.raises(VL53L0XError, match="not a VL53L0X"):
        VL53L0X(FakeSMBus(impostor), sleep=clock.sleep, now=clock.time).start()


def test_a_silent_sensor_is_the_bus_error() -> None:
    clock = SimClock(0.0)
    twin = VL53L0XTwin(clock.time, lambda _t: 20.0, failing=lambda: True)
    with pytest.raises(OSError):
        VL53L0X(FakeSMBus(twin), sleep=clock.sleep, now=clock.time).distance_cm()


def test_both_sensors_share_one_bus() -> None:
    clock = SimClock(0.0)
    bus = FakeSMBus(MLX90614Twin(clock.time), VL53L0XTwin(clock.time, lambda _t: 12.0))
    clock.sleep(MLX90614Twin.POWER_UP_S)
    from drivers.mlx90614 import MLX90614

    assert MLX90614(bus).ambient_celsius == pytest.approx(22.0, abs=0.1)
    sensor = VL53L0X(bus, sleep=clock.sleep, now=clock.time)
    assert sensor.distance_cm() == pytest.approx(12.0, abs=2.0)
