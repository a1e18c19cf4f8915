"""The thermometer driver against the MLX90614 twin, byte for byte on the wire."""

from __future__ import annotations

import errno

import pytest

from drivers.mlx90614 import (
    MLX90614,
    RAM_TA,
    RAM_TOBJ1,
    ErrorFlagError,
    PECMismatchError,
    smbus_pec,
)
from simulator.clock import SimClock
from simulator.mlx90614 import FakeSMBus, MLX90614Twin, Scene


def rig(object_c: float = 28.01, ambient_c: float = 22.0, noise_c: float = 0.0):
    clock = SimClock(1_000.0)
    scene = Scene(ambient_c=ambient_c, object_c=object_c)
    twin = MLX90614Twin(clock.time, lambda _t: scene, noise_c=noise_c)
    clock.sleep(MLX90614Twin.POWER_UP_S)
    return clock, scene, twin, MLX90614(FakeSMBus(twin))


def test_pec_of_the_datasheet_example() -> None:
    # address 0x5A: B4 07 B5 D2 3A -> PEC 0x30
    assert smbus_pec([0xB4, 0x07, 0xB5, 0xD2, 0x3A]) == 0x30


def test_datasheet_example_on_the_wire() -> None:
    _, _, twin, sensor = rig(object_c=28.01)
    assert sensor.object_celsius == pytest.approx(28.01, abs=1e-9)
    command, sent = twin.reads[-1]
    assert command == RAM_TOBJ1
    assert sent == bytes([0xD2, 0x3A, 0x30])  # 0x3AD2 x 0.02 - 273.15 = 28.01 degC


def test_ambient_reads_ram_0x06() -> None:
    _, _, twin, sensor = rig(ambient_c=23.5)
    assert sensor.ambient_celsius == pytest.approx(23.5, abs=0.01)
    assert twin.reads[-1][0] == RAM_TA


def test_bad_pec_never_becomes_a_temperature() -> None:
    _, _, twin, sensor = rig()
    twin.inject("bad_pec")
    with pytest.raises(PECMismatchError, match="PEC"):
        _ = sensor.object_celsius
    assert sensor.object_celsius == pytest.approx(28.01)  # the next read is clean


def test_error_flag_raises() -> None:
    _, _, twin, sensor = rig()
    twin.inject("error_flag")
    with pytest.raises(ErrorFlagError, match="error flag"):
        _ = sensor.object_celsius
    _, msb, _ = twin.reads[-1][1]
    assert msb & 0x80  # bit 15 really was on the wire


def test_no_acknowledge_is_the_bus_oserror() -> None:
    _, _, twin, sensor = rig()
    twin.inject("nack")
    with pytest.raises(OSError) as raised:
        _ = sensor.object_celsius
    assert raised.value.errno == errno.EREMOTEIO


def test_wrong_address_is_not_acknowledged() -> None:
    _, _, twin, _ = rig()
    with pytest.raises(OSError) as raised:
        _ = MLX90614(FakeSMBus(twin), address=0x5B).object_celsius
    assert raised.value.errno == errno.ENXIO


def test_no_temperature_before_power_up_completes() -> None:
    clock = SimClock(0.0)
    twin = MLX90614Twin(clock.time, lambda _t: Scene(object_c=30.0))
    sensor = MLX90614(FakeSMBus(twin))
    with pytest.raises(ErrorFlagError):
        _ = sensor.object_celsius
    clock.sleep(MLX90614Twin.POWER_UP_S)
    assert sensor.object_celsius == pytest.approx(30.0, abs=0.1)


def test_object_reading_settles_after_a_step_like_the_iir_filter() -> None:
    clock, scene, _, sensor = rig(object_c=22.0)
    assert sensor.object_celsius == pytest.approx(22.0, abs=0.02)
    scene.object_c = 34.0  # a forehead arrives
    clock.sleep(0.02)
    early = sensor.object_celsius
    clock.sleep(0.7)  # the datasheet's settling time is about 0.65 s
    settled = sensor.object_celsius
    assert 22.0 < early < 33.0
    assert settled == pytest.approx(34.0, abs=0.05)


def test_factory_emissivity_is_one() -> None:
    _, _, _, sensor = rig()
    assert sensor.emissivity == pytest.approx(1.0)


def test_invalid_address_is_refused() -> None:
    with pytest.raises(ValueError, match="address"):
        MLX90614(FakeSMBus(), address=0x80)
