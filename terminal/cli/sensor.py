"""``gate-terminal sensor ...``: calibrate a thermometer against a reference, and provision an
MLX90614's EEPROM (its SMBus address, its emissivity) with the tools under ``firmware/``.

On a simulated gate (``gate.hardware = "simulated"``) the same commands run against the
thermometer twin, whose sensor reads a little low, looking at a blackbody at the reference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from drivers.errors import DriverError
from drivers.mlx90614 import MLX90614
from terminal.config import Config, ConfigError, load

if TYPE_CHECKING:  # a centre's install has no camera or GPIO stack to import
    from terminal.devices import I2CBus

CALIBRATION_INTERVAL_S = 0.1


def _address(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an address like 0x5A, got {text!r}") from None
    if not 0x01 <= value <= 0x7F:
        raise argparse.ArgumentTypeError(f"an SMBus address is 0x01..0x7F, got {text}")
    return value


def add_commands(commands: Any, existing_file: Callable[[str], Any]) -> None:
    sensor = commands.add_parser("sensor", help="calibrate or provision a thermometer")
    actions = sensor.add_subparsers(dest="sensor_command", required=True)

    calibrate = actions.add_parser(
        "calibrate", help="store a thermometer's offset against a blackbody or reference"
    )
    calibrate.add_argument("--config", type=existing_file, required=True, metavar="FILE")
    calibrate.add_argument(
        "--reference", type=float, required=True, metavar="C", help="the reference's temperature"
    )
    calibrate.add_argument("--address", type=_address, default=None, help="default: the first")
    calibrate.add_argument("--samples", type=int, default=20, choices=range(5, 201), metavar="N")

    address = actions.add_parser("set-address", help="give an MLX90614 a new SMBus address")
    address.add_argument("--config", type=existing_file, required=True, metavar="FILE")
    address.add_argument("--from", dest="old", type=_address, required=True)
    address.add_argument("--to", dest="new", type=_address, required=True)

    emissivity = actions.add_parser("set-emissivity", help="write an MLX90614's emissivity")
    emissivity.add_argument("--config", type=existing_file, required=True, metavar="FILE")
    emissivity.add_argument("--address", type=_address, default=None)
    emissivity.add_argument("--value", type=float, required=True, help="human skin: 0.98")


def _calibrate(config: Config, args: argparse.Namespace, bus: I2CBus) -> int:
    from terminal.screening.calibration import MAX_OFFSET_C, calibration_file, save_offset

    address = args.address or config.thermometer.address
    if address not in config.thermometer.addresses:
        raise ConfigError(f"{config.source}: thermometer: no thermometer at {address:#04x}")
    path = calibration_file(config)
    if path is None:
        raise ConfigError(f"{config.source}: thermometer.calibration_path: not set")
    sensor = MLX90614(bus.bus, address)
    readings = []
    for _ in range(args.samples):
        readings.append(sensor.object_celsius)
        bus.sleep(CALIBRATION_INTERVAL_S)
    if max(readings) - min(readings) > 1.0:
        print(
            "gate-terminal: readings vary by more than 1 °C: is the reference steady and filling"
            " the view?",
            file=sys.stderr,
        )
        return 1
    offset = args.reference - statistics.median(readings)
    if abs(offset) > MAX_OFFSET_C:
        print(
            f"gate-terminal: offset {offset:+.2f} °C is beyond ±{MAX_OFFSET_C} °C: is the "
            "reference in view?",
            file=sys.stderr,
        )
        return 1
    save_offset(path, address, offset, args.reference)
    print(f"thermometer {address:#04x}: offset {offset:+.2f} °C stored in {path}")
    return 0


def dispatch(args: argparse.Namespace) -> int:
    from firmware.mlx90614_eeprom import set_address, set_emissivity

    config = load(args.config)
    blackbody_c = args.reference if args.sensor_command == "calibrate" else 37.0
    # here, not at import: a centre's install has no camera or GPIO stack to import
    from terminal.cli.hardware import device_factory

    bus = device_factory(config).open_i2c(config, blackbody_c)
    try:
        if args.sensor_command == "calibrate":
            return _calibrate(config, args, bus)
        if args.sensor_command == "set-address":
            value = set_address(MLX90614(bus.bus, args.old), args.new, bus.sleep)
            print(
                f"thermometer {args.old:#04x}: EEPROM address cell now {value:#06x}; switch the "
                f"power off and on, then it answers at {args.new:#04x} (set "
                "thermometer.more_addresses to match)"
            )
            return 0
        value = set_emissivity(
            MLX90614(bus.bus, args.address or config.thermometer.address), args.value, bus.sleep
        )
        print(f"emissivity cell now {value:#06x} ({args.value})")
        return 0
    except (OSError, DriverError, ValueError) as exc:  # the device's answer, not the input
        print(f"gate-terminal: sensor {args.sensor_command}: {exc}", file=sys.stderr)
        return 1
    finally:
        bus.close()
