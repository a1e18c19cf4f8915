"""``make bench`` (``python -m simulator.bench``): the gate's costs on this machine, written to
bench-report.md and bench-report.json; ``--base COMMIT`` runs another commit beside it."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.bench import qr
from simulator.bench.base import compare
from simulator.bench.checks import check_section, i2c_section, measured_shift, parts_section
from simulator.bench.commands import big_shift_section, idle_section, memory_section
from simulator.bench.i2c import bus_clock_hz
from simulator.bench.machine import describe
from simulator.bench.report import Report, Section, not_measured
from simulator.bench_link import measure_drain
from terminal.common.errors import GateError
from terminal.config import CameraConfig, load

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sizes:
    """Samples chosen so the whole bench stays under 10 minutes on two cores."""

    frames: int
    backlog: int
    idle_warm_s: float
    idle_s: float
    day: bool
    big_shift: int
    base_sizes: dict[int, int]  # crowd size -> rounds


FULL = Sizes(400, 5000, 5.0, 30.0, True, 1000, {60: 3, 1000: 1})
QUICK = Sizes(40, 300, 2.0, 5.0, False, 60, {60: 1})


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator.bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "bench", help="default: bench/")
    parser.add_argument("--images", type=Path, help="photos: x.jpg beside x.txt (its text)")
    parser.add_argument("--base", metavar="COMMIT", help="measure this commit beside")
    parser.add_argument("--quick", action="store_true", help="small samples (about a minute)")
    parser.add_argument("--workers", type=int, default=60, help="the measured shift's crowd")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "simulator.toml")
    return parser.parse_args(argv)


def attempt(title: str, measure: Callable[[], Section]) -> Section:
    """A section measured, or the one-line reason it could not be: the bench goes on."""
    print(f"bench: {title} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        section = measure()
    except (GateError, OSError) as exc:
        print(f"bench: {title}: not measured: {exc}", file=sys.stderr)
        return not_measured(title, str(exc))
    print(f"bench: {title} took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return section


def run(args: argparse.Namespace) -> Report:
    sizes = QUICK if args.quick else FULL
    camera = _camera(args.config)
    started = time.perf_counter()
    report = Report(describe(REPO))
    sections = report.sections
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as temporary:
        folder = Path(temporary)
        if args.images is None:
            sections["qr_photos"] = not_measured("QR on photos", "no --images DIR given")
        else:
            sections["qr_photos"] = attempt("QR on photos", lambda: qr.section(
                f"QR on photos ({args.images})", qr.load_photos(args.images),
                "read rate: the share of the photos whose code's text was read (1 = all)",
                camera,
            ))  # fmt: skip
        sections["qr_frames"] = attempt("QR on the simulator's frames", lambda: qr.section(
            "QR on the simulator's frames", qr.simulated_frames(sizes.frames, args.seed),
            "light, dark mode, empty and damaged phone screens in turn; a damaged code counts "
            "as no code (reading it would be a false read)", camera,
        ))  # fmt: skip
        print("bench: a measured shift ...", file=sys.stderr, flush=True)
        try:
            plain = measured_shift(args.config, args.workers, args.seed, folder, timed=False)
            timed = measured_shift(args.config, args.workers, args.seed, folder, timed=True)
            took = plain.wall_s + timed.wall_s
            print(f"bench: a measured shift, twice, took {took:.0f} s", file=sys.stderr)
            sections["check_time"] = check_section(plain, args.workers, args.seed)
            sections["check_parts"] = parts_section(timed)
            sections["i2c"] = i2c_section(plain, bus_clock_hz(REPO / "firmware" / "config.txt"))
        except (GateError, OSError) as exc:
            for key in ("check_time", "check_parts", "i2c"):
                sections[key] = not_measured(key, str(exc))
        sections["durable"] = attempt("durable checks and drain", lambda: durable(sizes.backlog))
        sections["idle"] = attempt(
            "idle service", lambda: idle_section(REPO, folder, sizes.idle_warm_s, sizes.idle_s)
        )
        sections["day_memory"] = attempt(
            "memory across a day", lambda: memory_section(REPO, folder, sizes.day)
        )
        sections["workers_1000"] = attempt(
            "a large shift",
            lambda: big_shift_section(REPO, folder, sizes.big_shift, quick=args.quick),
        )
        if args.base:
            report.extra["base"] = attempt(
                f"beside {args.base}",
                lambda: compare(REPO, args.base, folder, sizes.base_sizes, args.seed),
            )
    report.wall_s = time.perf_counter() - started
    # the load at the end too: other work that started meanwhile slows what was measured
    report.machine["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    return report


def _camera(config: Path) -> CameraConfig:
    """The camera settings of the gate's config (its decoder), or the defaults when the file
    cannot be read (the section on the simulator's frames says which decoder it measured)."""
    try:
        return load(config).camera
    except (GateError, OSError):
        return CameraConfig()


def durable(events: int) -> Section:
    found = measure_drain(events)
    return Section(
        "Durable checks and the outbox's drain",
        [
            {
                "checks": events,
                "durable checks per s": round(events / found.written_s),
                "drained (acked, marked sent) per s": round(events / found.acked_s),
                "received by a subscriber per s": round(events / found.received_s),
            }
        ],
        [
            "a check and its outbox row in one SQLite transaction on a real file, one after "
            "another; then the backlog sent to a local Mosquitto at QoS 1 once the publisher starts"
        ],
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    report = run(args)
    markdown, data = report.write(args.out)
    sys.stdout.write(report.markdown())
    print(f"\nbench: written {markdown} and {data} in {report.wall_s:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
