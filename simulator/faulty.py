"""A simulated gate at rest, nobody in front of it, with faults injected: the device factory
doctor's tests pick (terminal/cli/hardware.py's ``factory_for_tests``). The twins are the
simulator's own, under the gate's drivers; each fault is one a real gate shows: a thermometer that
does not answer (NACK), sends corrupted words (bad PEC), sets its error flag or is stuck; no
distance sensor on the bus; a camera that gives no frames, or hangs; a clock that is not
synchronised; a fire alarm wire cut."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from drivers.camera import Camera
from drivers.mlx90614 import MLX90614
from drivers.qr import make_decoder
from drivers.vl53l0x import VL53L0X
from simulator.clock import SimClock
from simulator.frames import FrameRenderer, Pose, qr_modules
from simulator.gpio import FakeGPIO
from simulator.mlx90614 import FakeSMBus, Fault, MLX90614Twin, Scene
from simulator.vl53l0x import VL53L0XTwin
from terminal.app.devices import build_exit_side, build_inputs, build_outputs
from terminal.config import CameraConfig, Config
from terminal.devices import Devices, I2CBus
from terminal.rules.roster import Roster

WALL_C = 22.0  # the air, and the wall across the lane the thermometers look at
WALL_CM = 90.0  # what the distance sensor sees with nobody in front


@dataclass(frozen=True)
class Faults:
    thermometer: Fault | None = None  # on every read of the first thermometer
    no_distance: bool = False  # no VL53L0X answers on the bus
    camera: bool = False  # the camera gives no frame
    camera_hangs: bool = False  # a read of the camera never returns (until it is closed)
    unsynced_clock: bool = False
    fire_alarm_cut: bool = False  # the fire alarm panel's wire cut: it reads as the alarm
    code: str | None = None  # a QR code held up to the camera (its text)


class _Clock(SimClock):
    def __init__(self, synchronised: bool) -> None:
        super().__init__(time.time())
        self._synchronised = synchronised

    def synchronised(self) -> bool:
        return self._synchronised


class _Still:
    """A camera looking at the lane, with a code held up or not; or a camera that fails."""

    def __init__(self, camera: CameraConfig, faults: Faults) -> None:
        renderer = FrameRenderer(np.random.default_rng(0), camera.width, camera.height)
        gray = renderer.background
        if faults.code is not None:
            modules = qr_modules(faults.code)
            side_px = 0.5 * min(camera.width, camera.height)
            centre_x, centre_y = renderer.width / 2, renderer.height / 2
            pose = Pose(side_px / (modules.shape[0] + 12), 0.0, centre_x, centre_y, False)
            gray = renderer.place(modules, pose)
        self.frame = renderer.noisy(gray)
        self.failing = faults.camera
        self.hangs = faults.camera_hangs
        self.released = threading.Event()

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.hangs:
            self.released.wait()
        if self.failing or self.released.is_set():
            return False, None
        return True, self.frame.copy()

    def release(self) -> None:
        self.released.set()


class FaultyDevices:
    """The device factory of a gate at rest with ``faults``: both ``open_i2c`` and
    ``open_devices`` give the same bus and twins."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.clock = _Clock(not self.faults.unsynced_clock)
        self.gpio = FakeGPIO(self.clock.time)
        self.bus: FakeSMBus | None = None

    def _bus(self, config: Config) -> FakeSMBus:
        if self.bus is None:
            fault = self.faults.thermometer
            twins = [
                MLX90614Twin(
                    self.clock.time,
                    lambda _t: Scene(WALL_C, WALL_C),
                    address=address,
                    noise_c=0.05,
                    seed=index,
                    persistent_fault=(lambda: fault) if index == 0 else None,
                )
                for index, address in enumerate(config.thermometer.addresses)
            ]
            self.bus = FakeSMBus(*twins)
            if not self.faults.no_distance:
                address = config.distance.address
                self.bus.attach(VL53L0XTwin(self.clock.time, lambda _t: WALL_CM, address=address))
            self.clock.sleep(MLX90614Twin.POWER_UP_S)
        self.bus.closed = False
        return self.bus

    def open_i2c(self, config: Config, blackbody_c: float) -> I2CBus:
        return I2CBus(self._bus(config), self.clock.sleep)

    def open_devices(self, config: Config, roster: Roster) -> Devices:
        bus, clock, gpio = self._bus(config), self.clock, self.gpio
        alarm = config.inputs.fire_alarm
        if alarm is not None and not self.faults.fire_alarm_cut:
            gpio.drive(alarm.pin, int(not alarm.active_high))  # the panel's contact, closed
        capture = _Still(config.camera, self.faults)
        return Devices(
            camera=Camera(capture),
            decoder=make_decoder(config.camera.decoder, config.camera.min_code_px),
            thermometer=MLX90614(bus, config.thermometer.address),
            outputs=build_outputs(gpio, config, clock.sleep),
            clock=clock,
            closers=[bus.close, capture.release],
            distance=VL53L0X(bus, config.distance.address, sleep=clock.sleep, now=clock.time),
            more_thermometers=[MLX90614(bus, a) for a in config.thermometer.more_addresses],
            inputs=build_inputs(gpio, config, clock.time, clock.sleep),
            exit_side=build_exit_side(gpio, config, self._exit_camera, clock.time, clock.sleep),
        )

    def _exit_camera(self, camera: CameraConfig) -> Camera:
        return Camera(_Still(camera, self.faults))
