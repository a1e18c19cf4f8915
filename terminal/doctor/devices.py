"""The gate's devices, each checked on its own through the device factory: the I2C bus, each
thermometer, the distance sensor, the camera, the relay and the inputs."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from drivers.camera import CameraError
from drivers.inputs import DigitalInput
from drivers.mlx90614 import (
    ERROR_FLAG,
    MLX90614,
    RAM_TOBJ1,
    ErrorFlagError,
    PECMismatchError,
    raw_to_celsius,
)
from drivers.relay import Relay
from drivers.vl53l0x import VL53L0X, VL53L0XError
from terminal.common.errors import GateError
from terminal.config import Config
from terminal.devices import Clock, DeviceFactory, Devices, I2CBus
from terminal.doctor import Row, failed, not_checked, passed
from terminal.doctor.text import Said, say
from terminal.rules.roster import Roster

THERMOMETER_READS = 10
# what a thermometer may see in front of a gate: a wall, the street, a face
OBJECT_RANGE_C = (-20.0, 60.0)
# what the simulated thermometers look at (a wall at room temperature)
WALL_C = 22.0
CAMERA_FRAMES = 15
# a camera read that has not returned by then is a hung camera, not a slow one
CAMERA_TIMEOUT_S = 10.0
HUNG = "no answer in time: the read hangs"
INPUT_READS = 5
INPUT_READ_GAP_S = 0.02

T = TypeVar("T")


def _error(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]


@dataclass
class DeviceRows:
    rows: list[Row]
    clock: Clock | None  # the devices' clock, when they opened


def check_devices(
    config: Config, factory: DeviceFactory, roster: Roster, actuate: bool
) -> DeviceRows:
    rows, bus_ok = bus_rows(config, factory)
    try:
        devices = factory.open_devices(config, roster)
    except (GateError, CameraError, OSError, RuntimeError, ValueError) as exc:
        return DeviceRows(rows + _unopened(exc, bus_ok), None)
    try:
        camera = camera_row(config, devices)
        if camera.detail.params.get("error") == HUNG:
            # closing a capture that another thread is stuck in may take the process down
            devices.closers[:] = [c for c in devices.closers if c != devices.camera.close]
        rows += [camera, relay_row(config, devices, actuate), inputs_row(devices)]
    finally:
        devices.close()
    return DeviceRows(rows, devices.clock)


def _unopened(exc: BaseException, bus_ok: bool) -> list[Row]:
    """The rows of the devices opened together, when they did not open: the one the error names
    fails, the others are not checked."""
    why = say("no_devices", error=_error(exc))
    rows = {name: not_checked(name, why) for name in ("camera", "relay", "inputs")}
    if not bus_ok:  # the bus's own row says what to do first
        return list(rows.values())
    if isinstance(exc, CameraError):
        rows["camera"] = failed("camera", say("camera.bad", error=_error(exc)), _camera_fix(None))
    else:  # the pins: RPi.GPIO missing, or a pin refused
        rows["relay"] = failed("relay", say("config.bad", error=_error(exc)), say("gpio.fix"))
    return list(rows.values())


# --- the I2C bus and what is on it --------------------------------------------------------------
def bus_rows(config: Config, factory: DeviceFactory) -> tuple[list[Row], bool]:
    number = config.thermometer.i2c_bus
    try:
        bus = factory.open_i2c(config, WALL_C)
    except (GateError, OSError) as exc:
        row = failed("i2c", say("i2c.bad", bus=number, error=_error(exc)), say("i2c.fix"))
        skipped = say("no_bus")
        return [row, not_checked("thermometer", skipped), not_checked("distance", skipped)], False
    try:
        rows = [passed("i2c", say("i2c.ok", bus=number))]
        rows += [thermometer_row(config, bus, a) for a in config.thermometer.addresses]
        rows.append(distance_row(config, bus))
    finally:
        bus.close()
    return rows, True


def thermometer_row(config: Config, bus: I2CBus, address: int) -> Row:
    where = f"{address:#04x}"
    sensor = MLX90614(bus.bus, address)
    words: list[int] = []
    ambient: list[float] = []
    corrupted = flagged = 0
    for _ in range(THERMOMETER_READS):
        try:
            words.append(sensor.read_word(RAM_TOBJ1))
            ambient.append(sensor.ambient_celsius)
        except PECMismatchError:
            corrupted += 1
        except ErrorFlagError:
            flagged += 1
        except OSError as exc:
            nack = say("thermometer.nack", address=where, error=_error(exc))
            return failed("thermometer", nack, say("thermometer.nack_fix", bus=bus_number(config)))
        bus.sleep(config.screening.sample_interval_s)
    if corrupted:
        bad = say("thermometer.pec", address=where, bad=corrupted, n=THERMOMETER_READS)
        return failed("thermometer", bad, say("thermometer.pec_fix"))
    flagged += sum(1 for word in words if word & ERROR_FLAG)
    if flagged:
        flag = say("thermometer.flag", address=where)
        return failed("thermometer", flag, say("thermometer.flag_fix"))
    if len(words) > 1 and len(set(words)) == 1:
        seconds = f"{THERMOMETER_READS * config.screening.sample_interval_s:.0f}"
        stuck = say("thermometer.stuck", address=where, n=len(words), seconds=seconds)
        return failed("thermometer", stuck, say("thermometer.stuck_fix"))
    object_c = statistics.median(raw_to_celsius(word) for word in words)
    ambient_c = statistics.median(ambient)
    screening = config.screening
    for what, value, (low, high) in (
        ("object", object_c, OBJECT_RANGE_C),
        ("ambient", ambient_c, (screening.ambient_min_c, screening.ambient_max_c)),
    ):
        if not low <= value <= high:
            outside = say(
                "thermometer.range", address=where, value=f"{value:.1f}", what=say(what),
                low=f"{low:g}", high=f"{high:g}",
            )  # fmt: skip
            return failed("thermometer", outside, say("thermometer.range_fix"))
    ok = say(
        "thermometer.ok", address=where, object_c=f"{object_c:.1f}", ambient_c=f"{ambient_c:.1f}",
        n=len(words),
    )  # fmt: skip
    return passed("thermometer", ok)


def bus_number(config: Config) -> int:
    return config.thermometer.i2c_bus


def distance_row(config: Config, bus: I2CBus) -> Row:
    where = f"{config.distance.address:#04x}"
    # one single-shot range: no clock of its own is needed beyond the bus's sleep
    sensor = VL53L0X(bus.bus, config.distance.address, sleep=bus.sleep, now=time.monotonic)
    try:
        millimetres = sensor.distance_mm()
    except (OSError, VL53L0XError) as exc:
        fix = say("distance.fix", bus=bus_number(config))
        return failed("distance", say("distance.bad", address=where, error=_error(exc)), fix)
    if millimetres is None:
        return passed("distance", say("distance.empty", address=where))
    return passed("distance", say("distance.ok", address=where, cm=f"{millimetres / 10:.0f}"))


# --- the camera ---------------------------------------------------------------------------------
def _camera_fix(config: Config | None) -> Said:
    device = "camera.device" if config is None else repr(config.camera.device)
    return say("camera.fix", device=device)


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work``'s answer, or TimeoutError when it has not answered in ``seconds`` (a hung camera
    read): it is left running in a thread of its own, and doctor goes on."""
    answer: list[T] = []
    problem: list[BaseException] = []

    def run() -> None:
        try:
            answer.append(work())
        except BaseException as exc:
            problem.append(exc)

    worker = threading.Thread(target=run, name="doctor-camera", daemon=True)
    worker.start()
    worker.join(seconds)
    if problem:
        raise problem[0]
    if not answer:
        raise TimeoutError(HUNG)
    return answer[0]


def camera_row(config: Config, devices: Devices) -> Row:
    def look() -> Row:
        size: dict[str, int] = {}
        seen = False
        for _ in range(CAMERA_FRAMES):
            frame = devices.camera.read_frame()
            if frame is None:
                continue
            size = {"width": frame.shape[1], "height": frame.shape[0]}
            scan = devices.decoder.scan(frame)
            if scan.texts:  # the code's text is a person's: never shown
                return passed("camera", say("camera.code", **size))
            seen = seen or scan.unreadable > 0
        if not size:
            return failed("camera", say("camera.no_frames", n=CAMERA_FRAMES), _camera_fix(config))
        return passed("camera", say("camera.unreadable" if seen else "camera.frame", **size))

    try:
        return within(CAMERA_TIMEOUT_S, look)
    except (CameraError, OSError, TimeoutError) as exc:
        return failed("camera", say("camera.bad", error=_error(exc)), _camera_fix(config))


# --- the relay and the inputs -------------------------------------------------------------------
def _level_problem(relay: Relay, active: bool) -> Row | None:
    wanted = int(relay.gpio.HIGH if active == relay.active_high else relay.gpio.LOW)
    level = int(relay.gpio.input(relay.pin))
    if level == wanted:
        return None
    said = say("relay.readback", pin=relay.pin, level=level, wanted=wanted)
    return failed("relay", said, say("relay.readback_fix"))


def relay_row(config: Config, devices: Devices, actuate: bool) -> Row:
    relays = [(devices.outputs.relay, config.outputs.relay_pulse_s)]
    if devices.exit_side is not None and config.exit_side is not None:
        relays.append((devices.exit_side.relay, config.exit_side.relay.pulse_s))
    pins = ", ".join(str(relay.pin) for relay, _ in relays)
    try:
        for relay, pulse_s in relays:
            problem = _level_problem(relay, False)
            if problem is None and actuate:
                relay.set(True)
                try:
                    problem = _level_problem(relay, True)
                    devices.clock.sleep(pulse_s)
                finally:
                    relay.set(False)
                problem = problem or _level_problem(relay, False)
            if problem is not None:
                return problem
    except (RuntimeError, OSError, ValueError) as exc:
        return failed("relay", say("config.bad", error=_error(exc)), say("gpio.fix"))
    if actuate:
        seconds = "/".join(f"{pulse_s:g}" for _, pulse_s in relays)
        return passed("relay", say("relay.clicked", pins=pins, seconds=seconds))
    return passed("relay", say("relay.idle", pins=pins))


def _wired_inputs(devices: Devices) -> list[tuple[str, DigitalInput]]:
    sides: list[tuple[str, Any]] = [("inputs", devices.inputs)]
    if devices.exit_side is not None:
        sides.append(("exit_side", devices.exit_side.inputs))
    return [
        (f"{section}.{name}", wire)
        for section, inputs in sides
        for name in ("passage", "fire_alarm", "staff_button")
        if (wire := getattr(inputs, name, None)) is not None
    ]


def inputs_row(devices: Devices) -> Row:
    wired = _wired_inputs(devices)
    if not wired:
        return passed("inputs", say("inputs.none"))
    levels = []
    for section, wire in wired:
        name = section.split(".", 1)[1]
        reads = set()
        for _ in range(INPUT_READS):
            reads.add(wire.read_raw())
            devices.clock.sleep(INPUT_READ_GAP_S)
        where = {"name": name, "pin": wire.pin, "section": section}
        if len(reads) > 1:
            floating = say("inputs.floating", **where)
            return failed("inputs", floating, say("inputs.floating_fix", **where))
        active = reads.pop()
        if active and name == "fire_alarm":
            return failed("inputs", say("inputs.alarm", pin=wire.pin), say("inputs.alarm_fix"))
        if active:
            return failed("inputs", say("inputs.stuck", **where), say("inputs.stuck_fix", **where))
        levels.append(say("inputs.level", name=name, pin=wire.pin, state=say("inputs.rest")))
    return passed("inputs", say("inputs.ok", levels=levels))
