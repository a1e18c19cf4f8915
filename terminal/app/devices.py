"""The Raspberry Pi's device factory: configuration turned into devices on RPi.GPIO, the I2C bus
and the camera, the way gpiozero's pin factories do. The simulator's factory (simulator/factory.py)
makes twins under the same drivers; the command line picks one by ``gate.hardware``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.camera import Camera
from drivers.inputs import DigitalInput
from drivers.mlx90614 import MLX90614
from drivers.qr import make_decoder
from drivers.relay import DigitalOutput, Relay
from drivers.vl53l0x import VL53L0X
from terminal.config import CameraConfig, Config, ConfigError, InputPin
from terminal.devices import (
    DeviceError,
    Devices,
    ExitSideDevices,
    I2CBus,
    Inputs,
    Outputs,
    SystemClock,
)
from terminal.rules.roster import Roster


def build_outputs(gpio: Any, config: Config, sleep: Callable[[float], None]) -> Outputs:
    out = config.outputs
    return Outputs(
        relay=Relay(gpio, out.relay_pin, active_high=out.relay_active_high, sleep=sleep),
        green_lamp=DigitalOutput(gpio, out.green_lamp_pin, active_high=out.lamps_active_high),
        red_lamp=DigitalOutput(gpio, out.red_lamp_pin, active_high=out.lamps_active_high),
        buzzer=DigitalOutput(gpio, out.buzzer_pin, active_high=out.buzzer_active_high),
    )


def _wired(
    gpio: Any,
    wire: InputPin | None,
    now: Callable[[], float],
    sleep: Callable[[float], None],
) -> DigitalInput | None:
    if wire is None:
        return None
    return DigitalInput(
        gpio,
        wire.pin,
        active_high=wire.active_high,
        pull=wire.pull,
        debounce_ms=wire.debounce_ms,
        now=now,
        sleep=sleep,
    )


def build_inputs(
    gpio: Any, config: Config, now: Callable[[], float], sleep: Callable[[float], None]
) -> Inputs:
    wires = config.inputs
    return Inputs(
        _wired(gpio, wires.passage, now, sleep),
        _wired(gpio, wires.fire_alarm, now, sleep),
        _wired(gpio, wires.staff_button, now, sleep),
    )


def build_exit_side(
    gpio: Any,
    config: Config,
    open_camera: Callable[[CameraConfig], Camera],
    now: Callable[[], float],
    sleep: Callable[[float], None],
) -> ExitSideDevices | None:
    """The way out's devices when the gate serves both directions; None otherwise.
    ``open_camera`` opens the side's camera from its [exit_side.camera] section."""
    side = config.exit_side
    if side is None:
        return None
    relay = Relay(gpio, side.relay.pin, active_high=side.relay.active_high, sleep=sleep)
    inputs = Inputs(
        passage=_wired(gpio, side.passage, now, sleep),
        staff_button=_wired(gpio, side.staff_button, now, sleep),
    )
    camera = open_camera(side.camera)
    decoder = make_decoder(side.camera.decoder, side.camera.min_code_px)
    return ExitSideDevices(camera, decoder, relay, inputs)


def build_pi_devices(config: Config) -> Devices:
    try:
        import RPi.GPIO as GPIO
    except (ImportError, RuntimeError) as exc:
        raise DeviceError(
            f"{config.source}: gate.hardware = 'pi' but RPi.GPIO cannot be used here ({exc}); "
            "on a Raspberry Pi install it with: pip install 'gate-terminal[pi]'"
        ) from None
    from smbus2 import SMBus

    try:
        bus = SMBus(config.thermometer.i2c_bus)
    except OSError as exc:
        raise DeviceError(
            f"{config.source}: thermometer.i2c_bus = {config.thermometer.i2c_bus}: cannot open "
            f"/dev/i2c-{config.thermometer.i2c_bus} ({exc.strerror}); is I2C enabled "
            "(firmware/config.txt)?"
        ) from None
    GPIO.setwarnings(False)
    clock = SystemClock()
    camera = _open_camera(config.camera)
    outputs = build_outputs(GPIO, config, clock.sleep)
    exit_side = build_exit_side(GPIO, config, _open_camera, clock.time, clock.sleep)
    devices = Devices(
        camera=camera,
        decoder=make_decoder(config.camera.decoder, config.camera.min_code_px),
        thermometer=MLX90614(bus, config.thermometer.address),
        outputs=outputs,
        clock=clock,
        # GPIO.cleanup is not called: it would let the relay pin float
        closers=[bus.close, camera.close],
        distance=VL53L0X(bus, config.distance.address, sleep=clock.sleep),
        more_thermometers=[MLX90614(bus, a) for a in config.thermometer.more_addresses],
        inputs=build_inputs(GPIO, config, clock.time, clock.sleep),
        exit_side=exit_side,
    )
    if exit_side is not None:
        devices.closers.append(exit_side.camera.close)
    return devices


class PiDevices:
    """The devices of a Raspberry Pi: RPi.GPIO, the I2C bus, the camera."""

    def open_devices(self, config: Config, roster: Roster) -> Devices:
        return build_pi_devices(config)

    def open_i2c(self, config: Config, blackbody_c: float) -> I2CBus:
        from smbus2 import SMBus

        try:
            return I2CBus(SMBus(config.thermometer.i2c_bus), time.sleep)
        except OSError as exc:
            raise ConfigError(
                f"{config.source}: thermometer.i2c_bus = {config.thermometer.i2c_bus}: "
                f"cannot open it ({exc.strerror})"
            ) from None


def _open_camera(camera: CameraConfig) -> Camera:
    return Camera.open_device(camera.device, camera.width, camera.height)
