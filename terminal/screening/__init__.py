"""Forehead temperature screening: the measurement state machine, the estimators, the sensor's
health, and the secondary check that follows a flag."""

from collections.abc import Callable

from terminal.config import Config
from terminal.devices import DeviceError, Devices
from terminal.record.store import Record
from terminal.screening.calibration import load_offsets
from terminal.screening.judge import RestTaken, Screening
from terminal.screening.measurement import (
    DistanceSensor,
    MeasureState,
    Pauses,
    ReadingFailed,
    Screener,
    Thermometer,
)

__all__ = [
    "DistanceSensor",
    "MeasureState",
    "Pauses",
    "ReadingFailed",
    "RestTaken",
    "Screener",
    "Screening",
    "Thermometer",
    "build_screener",
    "resume_reference",
]


def build_screener(
    devices: Devices,
    config: Config,
    pauses: Pauses,
    on_event: Callable[[str, str], None] | None = None,
    worker_display: Callable[[str], None] | None = None,
) -> Screener:
    """``pauses``: who spends the measurement's pauses (the gate reads its camera meanwhile);
    ``worker_display`` hears the measuring state too (the page on the gate's screen)."""
    if devices.distance is None:
        raise DeviceError(f"{config.source}: no distance sensor: the screening needs one")
    displays = [show for show in (worker_display, devices.display) if show is not None]

    def on_state(state: MeasureState) -> None:
        for show in displays:
            show(state.value)

    thermometers = [devices.thermometer, *devices.more_thermometers]
    offsets = load_offsets(config)
    return Screener(
        thermometers,
        config.screening,
        pauses,
        distance=devices.distance,
        now=devices.clock.time,
        calibration_offsets_c=[
            offsets.get(address, 0.0) for address in config.thermometer.addresses
        ],
        on_state=on_state if displays else None,
        on_event=on_event,
    )


def resume_reference(screener: Screener, record: Record, config: Config, now_s: float) -> int:
    """After a restart, the screenings the record still holds (``record.retention_days``) are
    taken again, in order: the crowd, the thresholds' scores and each worker's baseline pick up
    where they were. The number taken."""
    since = now_s - config.record.retention_days * 86400.0
    rows = record.recent_readings(since)
    screener.screening.resume(rows)
    return len(rows)
