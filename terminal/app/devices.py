"""The Raspberry Pi's device factory: configuration turned into devices on RPi.GPIO (rpi-lgpio, one
code path for the Pi 4 and the Pi 5), the I2C bus and the cameras (USB through V4L2, CSI through
Picamera2), the way gpiozero's pin factories do. The board is read at start and must be a Pi 4 or
5; its model goes into the gate's status. The simulator's factory (simulator/factory.py) makes
twins under the same drivers; the command line picks one by ``gate.hardware``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from drivers.board import MODEL_PATH, BoardError, import_gpio, supported_board
from drivers.camera import Camera, CameraError
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
    MachineRefused,
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


def build_pi_devices(config: Config, gpio: Any, board: str | None = None) -> Devices:
    """The gate's devices on ``gpio`` (RPi.GPIO as rpi-lgpio provides it, or a twin), on a
    board whose model is ``board`` (for the status)."""
    from smbus2 import SMBus

    try:
        bus = SMBus(config.thermometer.i2c_bus)
    except OSError as exc:
        raise DeviceError(
            f"{config.source}: thermometer.i2c_bus = {config.thermometer.i2c_bus}: cannot open "
            f"/dev/i2c-{config.thermometer.i2c_bus} ({exc.strerror}); is I2C enabled "
            "(firmware/config.txt)?"
        ) from None
    gpio.setwarnings(False)
    clock = SystemClock()
    opened: list[Callable[[], None]] = [bus.close]
    try:
        camera = open_camera(config, config.camera, "camera")
        opened.append(camera.close)
        with _pins(config):
            outputs = build_outputs(gpio, config, clock.sleep)
            inputs = build_inputs(gpio, config, clock.time, clock.sleep)
            exit_side = build_exit_side(
                gpio,
                config,
                lambda side: open_camera(config, side, "exit_side.camera"),
                clock.time,
                clock.sleep,
            )
    except BaseException:
        for close in reversed(opened):
            close()
        raise
    devices = Devices(
        camera=camera,
        decoder=make_decoder(config.camera.decoder, config.camera.min_code_px),
        thermometer=MLX90614(bus, config.thermometer.address),
        outputs=outputs,
        clock=clock,
        # GPIO.cleanup is not called: it would let the relay pin float
        closers=[bus.close, camera.close],
        distance=VL53L0X(bus, config.distance.address, sleep=clock.sleep, now=time.monotonic),
        more_thermometers=[MLX90614(bus, a) for a in config.thermometer.more_addresses],
        inputs=inputs,
        exit_side=exit_side,
        board=board,
    )
    if exit_side is not None:
        devices.closers.append(exit_side.camera.close)
    return devices


@contextmanager
def _pins(config: Config) -> Iterator[None]:
    """The pins set up, or one line saying why not (rpi-lgpio raises lgpio's own error, a plain
    Exception, for a gpiochip it cannot open or a pin another program holds)."""
    try:
        yield
    except (DeviceError, ConfigError):
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DeviceError(
            f"{config.source}: the GPIO pins cannot be set up ({detail}); is the gate's user in "
            "the gpio group, and is no other program holding a pin ([outputs], [inputs])? "
            "RPI_LGPIO_CHIP in the unit's environment names the header's gpiochip if not found"
        ) from None


class PiDevices:
    """The devices of a Raspberry Pi 4 or 5: RPi.GPIO on lgpio, the I2C bus, the cameras.
    ``model_path``: where the board's model is read (the device tree's, unless a test says)."""

    def __init__(self, model_path: Path = MODEL_PATH) -> None:
        self.model_path = model_path

    def board(self, config: Config) -> str:
        """The board's model, if the gate supports it; one line naming what to do otherwise."""
        try:
            return supported_board(self.model_path).model
        except BoardError as exc:
            raise MachineRefused(
                f"{config.source}: gate.hardware = 'pi' but {exc} (gate.hardware = 'simulated' "
                "runs without one)"
            ) from None

    def open_devices(self, config: Config, roster: Roster) -> Devices:
        board = self.board(config)
        try:
            gpio = import_gpio()
        except BoardError as exc:
            raise MachineRefused(f"{config.source}: {board}: {exc}") from None
        return build_pi_devices(config, gpio, board)

    def open_i2c(self, config: Config, blackbody_c: float) -> I2CBus:
        from smbus2 import SMBus

        try:
            return I2CBus(SMBus(config.thermometer.i2c_bus), time.sleep)
        except OSError as exc:
            raise ConfigError(
                f"{config.source}: thermometer.i2c_bus = {config.thermometer.i2c_bus}: "
                f"cannot open it ({exc.strerror})"
            ) from None


def camera_hint(camera: CameraConfig) -> str:
    if camera.kind == "csi":
        return 'rpicam-hello --list-cameras lists the CSI cameras; a USB camera is kind = "usb"'
    return (
        "ls -l /dev/v4l/by-id/ lists the USB cameras plugged in; a ribbon-cable camera is "
        'kind = "csi"'
    )


def open_camera(config: Config, camera: CameraConfig, key: str = "camera") -> Camera:
    """The camera of the config's section ``key`` ("camera" or "exit_side.camera"), opened and
    giving grey frames at its configured size; :class:`DeviceError` in one line naming the key
    when it cannot be opened."""
    try:
        return Camera.open_device(camera.device, camera.width, camera.height, camera.kind)
    except CameraError as exc:
        detail = " ".join(str(exc).split())
        raise DeviceError(
            f"{config.source}: {key}.device = {camera.device!r} ({key}.kind = "
            f'"{camera.kind}"): cannot open it: {detail}; {camera_hint(camera)}'
        ) from None
