"""What a gate is made of, as the lane and the screening see it: its devices (camera, decoder,
thermometers, distance sensor, relay, lamps, inputs, clock) in one bundle, and the interface of a
device factory that opens them. Factories live where the hardware is chosen: the Pi's in
terminal/app/devices.py, the simulator's in simulator/factory.py; nothing below the command line
knows which it got, the way gpiozero's devices do not know their pin factory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from drivers.camera import Camera
from drivers.inputs import DigitalInput
from drivers.mlx90614 import MLX90614
from drivers.qr import QRDecoder
from drivers.relay import DigitalOutput, Relay
from terminal.common.clock_sync import SyncStatus
from terminal.common.errors import GateError
from terminal.config import Config
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


class SystemClock(SyncStatus):
    """The Pi's own clock; whether it is synchronised asked of systemd at most every
    ``RECHECK_S``."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class DeviceError(GateError, RuntimeError):
    pass


class MachineRefused(DeviceError):
    """The machine itself will not do (not a supported Raspberry Pi, no GPIO library that drives
    it): no restart helps, so the service stops (exit 2) rather than restart forever."""


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
    board: str | None = None  # the Raspberry Pi's model, for the status; None when simulated

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


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
