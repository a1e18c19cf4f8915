"""Forehead temperature screening: the measurement state machine, the estimators, the sensor's
health, and the secondary check that follows a flag."""

from collections.abc import Callable

from terminal.calibration import load_offsets
from terminal.config import Config
from terminal.devices import DeviceError, Devices
from terminal.screening.measurement import (
    DistanceSensor,
    MeasureState,
    ReadingFailed,
    Screener,
    Thermometer,
)

__all__ = [
    "DistanceSensor",
    "MeasureState",
    "ReadingFailed",
    "Screener",
    "Thermometer",
    "build_screener",
]


def build_screener(
    devices: Devices,
    config: Config,
    sleep: Callable[[float], None],
    on_event: Callable[[str, str], None] | None = None,
) -> Screener:
    if devices.distance is None:
        raise DeviceError(f"{config.source}: no distance sensor: the screening needs one")
    display = devices.display
    thermometers = [devices.thermometer, *devices.more_thermometers]
    offsets = load_offsets(config)
    return Screener(
        thermometers,
        config.screening,
        sleep,
        distance=devices.distance,
        now=devices.clock.time,
        calibration_offsets_c=[
            offsets.get(address, 0.0) for address in config.thermometer.addresses
        ],
        on_state=(lambda state: display(state.value)) if display else None,
        on_event=on_event,
    )
