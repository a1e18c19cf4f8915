"""The gate's devices and where they come from: a device factory turns configuration into
devices, the way gpiozero's pin factories do. The Pi's factory is here; the simulator's twins
under the same drivers come from the simulator's factory. The command line picks one by
``gate.hardware``; nothing else in the gate knows which it got."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from drivers.camera import Camera
from drivers.inputs import DigitalInput
from drivers.mlx90614 import MLX90614
from drivers.qr import QRDecoder, make_decoder
from drivers.relay import DigitalOutput, Relay
from drivers.vl53l0x import VL53L0X
from terminal.common.errors import GateError
from terminal.config import CameraConfig, Config, ConfigError, InputPin
from terminal.rules.roster import Roster


class Clock(Protocol):
    """Wall time on a Pi; simulated time in the simulator."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def synchronised(self) -> bool:
        """Is the time known to be right? A Pi has no battery clock: after a power cut without
        network it starts from whenever it last saved the time."""
        ...


class Switch(Protocol):
    """An output that is on or off: a lamp, a buzzer."""

    def set(self, active: bool) -> None: ...


class Unwired:
    """An output a side of the gate does not have (the way out has no lamps of its own)."""

    def set(self, active: bool) -> None:
        pass


@dataclass(frozen=True)
class Outputs:
    relay: Relay
    green_lamp: Switch
    red_lamp: Switch
    buzzer: DigitalOutput | None = None  # calls security to the gate


@dataclass(frozen=True)
class Inputs:
    """The contacts the gate reads; None where nothing is wired."""

    passage: DigitalInput | None = None
    fire_alarm: DigitalInput | None = None
    staff_button: DigitalInput | None = None


def ntp_synchronised() -> bool:
    """The kernel's NTP status as systemd reports it, whichever NTP client keeps the time."""
    try:
        answer = subprocess.run(
            ["timedatectl", "show", "--property=NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer.stdout.strip() == "yes"


class SystemClock:
    RECHECK_S = 30.0

    def __init__(self, query: Callable[[], bool] = ntp_synchronised) -> None:
        self._query = query
        self._known: bool | None = None
        self._asked_at = 0.0

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def synchronised(self) -> bool:
        now = time.monotonic()
        if self._known is None or now - self._asked_at >= self.RECHECK_S:
            self._known, self._asked_at = self._query(), now
        return self._known


class DeviceError(GateError, RuntimeError):
    pass


@dataclass(frozen=True)
class ExitSideDevices:
    """The way out of a gate that serves both directions: its own reader and relay channel,
    and its contacts where wired. No thermometer: nobody is screened on the way out."""

    camera: Camera
    decoder: QRDecoder
    relay: Relay
    inputs: Inputs = field(default_factory=Inputs)  # passage and staff button only


@dataclass
class Devices:
    camera: Camera
    decoder: QRDecoder
    thermometer: MLX90614
    outputs: Outputs
    clock: Clock
    closers: list[Callable[[], None]] = field(default_factory=list)
    distance: Any = None  # the VL53L0X (anything with distance_cm())
    display: Callable[[str], None] | None = None  # the worker's display: the measuring state
    more_thermometers: list[MLX90614] = field(default_factory=list)  # further heights
    inputs: Inputs = field(default_factory=Inputs)
    exit_side: ExitSideDevices | None = None  # gate.direction = "both"

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


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


@dataclass(frozen=True)
class I2CBus:
    """The thermometers' bus as the sensor commands use it, with the sleep that goes with its
    clock (the simulated bus lives on a simulated clock)."""

    bus: Any  # anything with the SMBus methods the MLX90614 driver calls
    sleep: Callable[[float], None]

    def close(self) -> None:
        self.bus.close()


class DeviceFactory(Protocol):
    """Where a gate's devices come from: one implementation per kind of hardware."""

    def open_devices(self, config: Config, roster: Roster) -> Devices:
        """The gate's devices, opened. ``roster``: the people the gate expects (a simulated
        gate brings them to its camera; real hardware has no use for it)."""
        ...

    def open_i2c(self, config: Config, blackbody_c: float) -> I2CBus:
        """The thermometers' bus alone, for calibrating and provisioning them. ``blackbody_c``:
        what a simulated thermometer sees (a real one sees whatever is held in front of it)."""
        ...


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
