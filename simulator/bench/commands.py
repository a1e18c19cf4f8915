"""The sections measured by running the gate's own commands as processes: the idle service, the
memory across a simulated day, and a large simulated shift."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from simulator.bench.processes import (
    Watched,
    python_command,
    run_watched,
    simulated_per_wall_s,
    slope_mb_per_min,
    watch_idle,
)
from simulator.bench.report import Section
from simulator.broker import PrivateBroker

ENTRY = "terminal.cli.main:main"
# nobody arrives while the service is watched: one person, due some time in the next 11 days
IDLE_ARRIVAL_WINDOW_S = 1_000_000


def self_check(watched: Watched) -> str:
    """What ``simulate`` said of its summary against the record and the subscriber."""
    return "agrees" if watched.exit_code == 0 else f"disagrees (exit {watched.exit_code})"


def checkout_env(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}


def idle_config(repo: Path, folder: Path, broker: PrivateBroker) -> Path:
    """The simulator's config for ``run`` on simulated hardware, with nobody coming."""
    text = (repo / "config" / "simulator.toml").read_text(encoding="utf-8")
    text = text.replace(
        'path = "../var/simulator-record.sqlite"', f'path = "{folder / "idle.sqlite"}"'
    )
    text = text.replace("port = 1883", f"port = {broker.port}").replace(
        "workers = 200", "workers = 1"
    )
    text = re.sub(r"arrival_window_s = \d+", f"arrival_window_s = {IDLE_ARRIVAL_WINDOW_S}", text)
    for kind in ("workers", "visitors"):
        example = f"{kind}.example.csv"
        text = text.replace(f'"{example}"', f'"{repo / "config" / example}"')
    config = folder / "idle.toml"
    config.write_text(text, encoding="utf-8")
    return config


def idle_section(repo: Path, folder: Path, warm_s: float, for_s: float) -> Section:
    with PrivateBroker() as broker:
        config = idle_config(repo, folder, broker)
        idle = watch_idle(
            [sys.executable, "-m", "simulator.bench.idle_run", "--config", str(config)],
            repo, checkout_env(repo), folder / "idle.sqlite", warm_s, for_s,
        )  # fmt: skip
    return Section(
        "Idle: `run` with the camera on and nobody there",
        [
            {
                "watched s": round(idle.seconds, 1),
                "CPU % of one core": round(idle.cpu_percent, 1),
                "resident MB": round(idle.rss_mb, 1),
            }
        ],
        [
            "`gate-terminal run` on simulated hardware, the camera's twin giving every frame at "
            "the config's rate (its rendering of the empty scene included), its broker local; "
            f"CPU time from /proc over the watch, after {warm_s:.0f} s to settle"
        ],
    )


def memory_section(repo: Path, folder: Path, day: bool) -> Section:
    """Memory of a simulated day (``simulate --day``), or of a short shift with ``day`` false."""
    args = ["simulate", "--record", str(folder / "memory.sqlite")]
    args += ["--day"] if day else ["--workers", "60", "--seed", "1"]
    watched = run_watched(python_command(ENTRY, *args), repo, checkout_env(repo))
    values = [mb for _, mb in watched.samples]
    settled = values[len(values) // 5 :]  # past the start's imports and caches
    slope = slope_mb_per_min(watched.samples)
    pace = simulated_per_wall_s(watched.output)
    per_hour = slope / 60 / pace * 3600 if slope is not None and pace else None
    return Section(
        "Memory across a simulated day" if day else "Memory across a short shift (--quick)",
        [
            {
                "command": "simulate " + " ".join(args[3:]),
                "wall s": round(watched.wall_s, 1),
                "start MB": settled[0] if settled else None,
                "max MB": max(settled) if settled else None,
                "end MB": settled[-1] if settled else None,
                "slope MB per simulated hour": round(per_hour, 2) if per_hour is not None else None,
                "samples": len(values),
                "self-check": self_check(watched),
            }
        ],
        [
            "resident memory of the process sampled every 0.5 s of wall time; start, max, end "
            "and the slope (least squares) past the first fifth of the run (imports, caches), "
            "per hour of the simulated clock: flat memory is a slope near 0",
            *(
                []
                if day
                else [
                    "--quick: a 20-minute shift is too short for its slope to mean a rate; the "
                    "full bench measures a whole simulated day"
                ]
            ),
        ],
    )


def big_shift_section(repo: Path, folder: Path, workers: int, quick: bool = False) -> Section:
    args = ["simulate", "--workers", str(workers), "--seed", "1"]
    args += ["--record", str(folder / "big.sqlite")]
    watched = run_watched(python_command(ENTRY, *args), repo, checkout_env(repo))
    return Section(
        f"`simulate --workers {workers}`" + (" (--quick: instead of 1000)" if quick else ""),
        [
            {
                "wall s": round(watched.wall_s, 1),
                "peak resident MB": round(watched.peak_mb, 1),
                "people per wall s": round(workers / watched.wall_s, 1),
                "self-check": self_check(watched),
            }
        ],
        ["the peak: the process's own high-water mark (VmHWM) at its last sample"],
    )
