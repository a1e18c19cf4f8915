"""Relay and lamps asserted on the fake pins' recorded levels and times."""

from __future__ import annotations

import pytest

from drivers.relay import DigitalOutput, Relay
from simulator.clock import SimClock
from simulator.gpio import FakeGPIO


def test_pulse_is_the_configured_length_on_the_pin() -> None:
    clock = SimClock(100.0)
    gpio = FakeGPIO(clock.time)
    relay = Relay(gpio, 17, sleep=clock.sleep)
    assert gpio.levels[17] == gpio.LOW  # starts shut
    relay.pulse(0.5)
    assert gpio.pulses(17) == [(100.0, 0.5)]
    assert gpio.levels[17] == gpio.LOW


def test_active_low_relay_idles_high_and_pulses_low() -> None:
    clock = SimClock(0.0)
    gpio = FakeGPIO(clock.time)
    relay = Relay(gpio, 23, active_high=False, sleep=clock.sleep)
    assert gpio.levels[23] == gpio.HIGH
    relay.pulse(0.3)
    assert gpio.pulses(23, active_level=gpio.LOW) == [(0.0, pytest.approx(0.3))]
    assert gpio.levels[23] == gpio.HIGH


def test_relay_falls_back_shut_when_the_wait_is_interrupted() -> None:
    clock = SimClock(0.0)
    gpio = FakeGPIO(clock.time)

    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    relay = Relay(gpio, 17, sleep=interrupted)
    with pytest.raises(KeyboardInterrupt):
        relay.pulse(0.5)
    assert gpio.levels[17] == gpio.LOW


def test_output_refuses_use_before_setup_like_rpi_gpio() -> None:
    gpio = FakeGPIO(lambda: 0.0)
    gpio.setmode(gpio.BCM)
    with pytest.raises(RuntimeError, match="OUTPUT"):
        gpio.output(5, 1)


def test_lamp_follows_set_and_stays_driven_off_after_close() -> None:
    gpio = FakeGPIO(lambda: 0.0)
    lamp = DigitalOutput(gpio, 27)
    lamp.set(True)
    assert gpio.levels[27] == gpio.HIGH and lamp.active
    lamp.close()
    assert gpio.levels[27] == gpio.LOW
    assert gpio.directions[27] == gpio.OUT  # still an output: not released to float
