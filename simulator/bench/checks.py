"""Software time per check, its parts, frames decoded and I2C traffic: one simulated shift run in
this process through ``simulate``'s own entry point, its gate's steps timed where they are called.

The gate records each check's software time itself (``processing_ms``: real time spent from the
frame that started the check to the decision and its record, less the waits); the bench reads it
from the record. The parts are the real time spent in each step over the whole shift (also
between checks: frames decoded while nobody shows a code), per check recorded.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import drivers.multipass
import drivers.qr
import simulator.camera
import terminal.gate.check
import terminal.gate.rests
import terminal.link.publisher
import terminal.record.store
import terminal.screening.measurement
from simulator.bench.i2c import BusTally, counting, transaction_bits
from simulator.bench.qr import percentile
from simulator.bench.report import Row, Section
from simulator.runner import run_simulation
from terminal.config import load
from terminal.record.store import Record

# (part, where it is, the name called there): the steps a check goes through, in order
PARTS: tuple[tuple[str, object, str], ...] = (
    ("camera frame (simulator's rendering: not on a Pi)", simulator.camera.FakeCapture, "read"),
    ("decode", None, "scan"),  # every decoder class in drivers.qr and drivers.multipass
    (
        "screening: measure (I2C reads, settling)",
        terminal.screening.measurement.Screener,
        "measure",
    ),
    ("screening: judge (rest, baseline)", terminal.gate.rests.RestDesk, "judged"),
    ("code: verify signature, holds", terminal.gate.check.Check, "_read_code"),
    ("policy", terminal.gate.check, "decide"),
    ("record write (check + outbox, one transaction)", terminal.record.store.Record, "add_check"),
    ("publish (outbox to broker)", terminal.link.publisher.Publisher, "pump"),
)


@dataclass
class PartTimes:
    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    _depth: dict[str, int] = field(default_factory=dict)

    def timed(self, part: str, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call`` timed as ``part``; a call inside one already timed (a decoder that calls
        another) counts once."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth = self._depth.get(part, 0)
            self._depth[part] = depth + 1
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self._depth[part] = depth
                if depth == 0:
                    spent = time.perf_counter() - started
                    self.seconds[part] = self.seconds.get(part, 0.0) + spent
                    self.calls[part] = self.calls.get(part, 0) + 1

        return wrapper


DECODER_MODULES = (drivers.qr, drivers.multipass)


def _decoder_classes() -> list[type]:
    return [
        value
        for module in DECODER_MODULES
        for value in vars(module).values()
        if isinstance(value, type) and callable(getattr(value, "scan", None))
        and value.__module__ == module.__name__ and "scan" in vars(value)
    ]  # fmt: skip


@contextmanager
def timing_parts() -> Iterator[PartTimes]:
    times = PartTimes()
    with ExitStack() as undo:
        for part, owner, name in PARTS:
            for target in _decoder_classes() if owner is None else [owner]:
                original = vars(target).get(name)
                if original is None:  # moved or renamed since: that part reads n/a
                    continue
                setattr(target, name, times.timed(part, original))
                undo.callback(setattr, target, name, original)
        yield times


@dataclass
class ShiftCosts:
    people: int
    checks: int
    simulated_s: float
    wall_s: float
    processing_ms: list[float]
    parts: PartTimes
    bus: BusTally


def measured_shift(
    config_path: Path, workers: int, seed: int, folder: Path, timed: bool
) -> ShiftCosts:
    """The shift with its I2C transactions counted; ``timed``: its parts timed too (the timers
    cost a little on every frame, so the software time per check comes from a run without)."""
    config = load(config_path)
    with counting() as bus, ExitStack() as timers:
        parts = timers.enter_context(timing_parts()) if timed else PartTimes()
        shift = run_simulation(
            config, workers=workers, seed=seed, out=io.StringIO(),
            record_path=folder / f"bench-shift-{'timed' if timed else 'plain'}.sqlite",
        )  # fmt: skip
    record = Record(shift.record_path)
    try:
        processing = [float(check["processing_ms"]) for check in record.checks()]
    finally:
        record.close()
    summary = shift.summary
    return ShiftCosts(
        summary.people, len(processing), summary.simulated_s, summary.wall_s, processing, parts,
        bus,
    )  # fmt: skip


def check_section(costs: ShiftCosts, workers: int, seed: int) -> Section:
    values = costs.processing_ms
    row: Row = {
        "people": costs.people,
        "checks": costs.checks,
        "p50 ms": round(percentile(values, 0.5), 1),
        "p95 ms": round(percentile(values, 0.95), 1),
        "p99 ms": round(percentile(values, 0.99), 1),
        "simulated min": round(costs.simulated_s / 60, 1),
        "wall s": round(costs.wall_s, 1),
    }
    return Section(
        f"Software time per check ({workers} people, seed {seed})",
        [row],
        ["as the gate records it (processing_ms): real time less the waits, per check"],
    )


def parts_section(costs: ShiftCosts) -> Section:
    checks = max(costs.checks, 1)
    rows: list[Row] = []
    for part, _, _ in PARTS:
        seconds = costs.parts.seconds.get(part, 0.0)
        calls = costs.parts.calls.get(part, 0)
        rows.append({
            "part": part,
            "calls per person": round(calls / max(costs.people, 1), 1),
            "ms per check": round(1000 * seconds / checks, 2) if calls else None,
            "ms per call": round(1000 * seconds / calls, 3) if calls else None,
        })  # fmt: skip
    return Section(
        "Parts of the software time (whole shift, per check recorded)",
        rows,
        [
            "real time in each step over the whole shift (frames between checks too), divided "
            "by the checks recorded; the simulator's twins answer inside 'measure', and the "
            "frames it watches meanwhile count in camera and decode too",
            *(
                ["n/a: the step was not found where the bench looks for it in this version"]
                if any(row["ms per check"] is None for row in rows)
                else []
            ),
            "decode calls per person: the frames the gate decoded for each person",
            "these add up to more than the software time per check above: they count the frames "
            "watched between people, which a check's own time leaves out; scale the software "
            "time per check for another machine, and these to see where it goes",
        ],
    )


def i2c_section(costs: ShiftCosts, clock_hz: int) -> Section:
    rows: list[Row] = []
    simulated_s = max(costs.simulated_s, 1e-9)
    for address, tally in sorted(costs.bus.by_address.items()):
        wire_s = tally.bits / clock_hz
        rows.append({
            "device": f"{address:#04x}",
            "transactions": tally.transactions,
            "per person": round(tally.transactions / max(costs.people, 1)),
            "per second": round(tally.transactions / simulated_s, 1),
            f"bus share at {clock_hz // 1000} kHz": f"{100 * wire_s / simulated_s:.2f} %",
        })  # fmt: skip
    return Section(
        "I2C transactions (the simulated shift, per second of the gate's clock)",
        rows,
        [
            "bits per transaction = 1 + 9 x (1 + written) [+ 1 + 9 x (1 + read)] + 1: start, "
            "address and data bytes with their acks, repeated start, stop; a lower bound "
            "(no clock stretching, no gaps between bytes)",
            f"e.g. an MLX90614 word read (1 byte written, 3 read): "
            f"{transaction_bits(1, 3)} bits, {1e6 * transaction_bits(1, 3) / clock_hz:.0f} us "
            f"at {clock_hz // 1000} kHz",
            "0x5a: the thermometer (MLX90614), 0x29: the distance sensor (VL53L0X)",
        ],
    )
