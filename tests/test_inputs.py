"""Inputs asserted against the fake pins: levels, pull resistors, an open circuit, debounce."""

from __future__ import annotations

import pytest

from drivers.inputs import DigitalInput
from simulator.clock import SimClock
from simulator.gpio import FakeGPIO


def rig(start_s: float = 0.0) -> tuple[SimClock, FakeGPIO]:
    clock = SimClock(start_s)
    return clock, FakeGPIO(clock.time)


def contact(gpio: FakeGPIO, clock: SimClock, pin: int = 5, **options: object) -> DigitalInput:
    """A contact to ground with the chip's pull-up: active low, as most contacts are wired."""
    settings: dict = {"active_high": False, "pull": "up", "debounce_ms": 20.0, **options}
    return DigitalInput(gpio, pin, now=clock.time, sleep=clock.sleep, **settings)


def test_an_open_contact_reads_its_pull_resistor_and_a_closed_one_its_level() -> None:
    clock, gpio = rig()
    button = contact(gpio, clock)
    assert gpio.input(5) == gpio.HIGH and not button.active  # the pull-up: idle
    gpio.drive(5, gpio.LOW)  # pressed: the contact pulls the pin to ground
    change = button.poll()
    assert change is not None and change.active and button.active
    gpio.disconnect(5)
    assert button.poll() is not None and not button.active


def test_with_a_pull_down_the_same_open_circuit_reads_low() -> None:
    clock, gpio = rig()
    alarm = contact(gpio, clock, pin=6, active_high=False, pull="down")
    assert gpio.input(6) == gpio.LOW
    assert alarm.active  # active low and nothing connected: it reads active


def test_a_floating_pin_reads_noise() -> None:
    clock, gpio = rig()
    contact(gpio, clock, pin=7, pull="off")
    assert {gpio.input(7) for _ in range(6)} == {gpio.LOW, gpio.HIGH}


def test_a_glitch_shorter_than_the_debounce_is_not_a_change() -> None:
    clock, gpio = rig(100.0)
    passage = contact(gpio, clock, debounce_ms=20.0)
    gpio.pulse_input(5, gpio.LOW, at_s=100.001, length_s=0.004)  # 4 ms of interference
    clock.sleep(0.002)
    assert passage.poll() is None and not passage.active
    assert gpio.pulses(5, active_level=gpio.LOW) == [(100.001, pytest.approx(0.004))]


def test_a_bouncing_contact_is_one_press_once_it_settles() -> None:
    clock, gpio = rig(0.0)
    button = contact(gpio, clock, debounce_ms=20.0)
    for index, at_ms in enumerate([10, 11, 13, 14, 16]):  # closes, bounces, stays closed at 16
        gpio.drive(5, gpio.LOW if index % 2 == 0 else None, at_s=at_ms / 1000)
    gpio.disconnect(5, at_s=0.300)  # released after 300 ms
    changes = []
    while clock.time() < 0.5:
        change = button.poll()
        if change is not None:
            changes.append((change.active, round(change.at_s, 3)))
        clock.sleep(0.007)  # polled as often as a camera gives frames, and more
    assert [active for active, _ in changes] == [True, False]
    pressed_at = changes[0][1]
    assert 0.016 + 0.020 <= pressed_at < 0.016 + 0.020 + 0.007 + 0.001  # settled, then confirmed
    assert changes[1][1] >= 0.300 + 0.020


def test_no_debounce_believes_the_first_read() -> None:
    clock, gpio = rig()
    passage = contact(gpio, clock, debounce_ms=0.0)
    gpio.drive(5, gpio.LOW)
    started = clock.time()
    assert passage.poll() is not None
    assert clock.time() == started  # nothing waited for


def test_active_high_input_and_its_change_time() -> None:
    clock, gpio = rig(50.0)
    alarm = contact(gpio, clock, pin=6, active_high=True, pull="up", debounce_ms=40.0)
    assert alarm.active  # an open circuit with the pull-up is the alarm: fail-safe
    gpio.drive(6, gpio.LOW)  # the panel's closed contact: all is well
    change = alarm.poll()
    assert change is not None and not change.active
    assert change.at_s == pytest.approx(50.04)


def test_a_held_button_at_start_is_not_a_press() -> None:
    clock, gpio = rig()
    gpio.drive(5, gpio.LOW)
    button = contact(gpio, clock)
    assert button.active and button.poll() is None


def test_an_input_refuses_reads_before_setup_like_rpi_gpio() -> None:
    gpio = FakeGPIO(lambda: 0.0)
    gpio.setmode(gpio.BCM)
    with pytest.raises(RuntimeError, match="setup"):
        gpio.input(5)
    with pytest.raises(ValueError, match="debounce"):
        DigitalInput(gpio, 5, active_high=True, pull="up", debounce_ms=-1)
