"""On a wired Pi only: GATE_HARDWARE=1 .venv/bin/python -m pytest -m hardware"""

from __future__ import annotations

import pytest

from drivers.mlx90614 import MLX90614

pytestmark = pytest.mark.hardware


def test_the_thermometer_answers_with_a_plausible_room_temperature() -> None:
    from smbus2 import SMBus

    with SMBus(1) as bus:
        sensor = MLX90614(bus)
        assert -10.0 < sensor.ambient_celsius < 50.0
        assert -10.0 < sensor.object_celsius < 50.0
        assert sensor.emissivity == pytest.approx(1.0, abs=0.05)


def test_the_camera_gives_frames() -> None:
    from drivers.camera import Camera

    camera = Camera.open_device(0, 640, 480)
    try:
        frame = camera.read_frame()
        assert frame is not None and frame.shape[:2] == (480, 640)
    finally:
        camera.close()


def test_the_fire_alarm_contact_reads_all_is_well() -> None:
    """With the panel wired as the README shows (normally closed, closed while all is well):
    the gate must not start in an emergency. A failure here is a wiring fault: fail-safe, the
    gate would hold the turnstile free."""
    import time

    import RPi.GPIO as GPIO

    from drivers.inputs import DigitalInput

    alarm = DigitalInput(GPIO, 6, active_high=True, pull="up", debounce_ms=50.0)
    time.sleep(0.1)
    alarm.poll()
    assert not alarm.active
