"""On a wired Pi only: GATE_HARDWARE=1 .venv/bin/python -m pytest -m hardware

The camera is the one the gate's config names: GATE_CAMERA_KIND ("usb" or "csi", default usb) and
GATE_CAMERA_DEVICE (a /dev/v4l/by-id path or a number, default 0)."""

from __future__ import annotations

import os

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


def test_the_board_is_a_pi_4_or_5_driven_through_lgpio() -> None:
    from drivers.board import import_gpio, supported_board

    assert supported_board().generation in (4, 5)
    gpio = import_gpio()  # rpi-lgpio, told the header's gpiochip
    assert os.environ.get("RPI_LGPIO_CHIP", "").isdigit()
    gpio.setmode(gpio.BCM)


def test_the_camera_gives_grey_frames_at_the_decoders_size() -> None:
    from drivers.camera import Camera

    kind = os.environ.get("GATE_CAMERA_KIND", "usb")
    device: int | str = os.environ.get("GATE_CAMERA_DEVICE", "0")
    device = int(device) if str(device).isdigit() else device
    camera = Camera.open_device(device, 640, 480, kind)  # type: ignore[arg-type]
    try:
        frame = camera.read_frame()
        assert frame is not None and frame.shape == (480, 640)
    finally:
        camera.close()


def test_the_fire_alarm_contact_reads_all_is_well() -> None:
    """With the panel wired as the README shows (normally closed, closed while all is well):
    the gate must not start in an emergency. A failure here is a wiring fault: fail-safe, the
    gate would hold the turnstile free."""
    import time

    from drivers.board import import_gpio
    from drivers.inputs import DigitalInput

    alarm = DigitalInput(import_gpio(), 6, active_high=True, pull="up", debounce_ms=50.0)
    time.sleep(0.1)
    alarm.poll()
    assert not alarm.active
