"""Another commit measured beside this checkout, from what its command line prints: it works
across restructurings, where the other side has no bench of its own.

The commit is exported (``git archive``) into a temporary folder and run with this checkout's
interpreter and libraries; both sides run the same ``simulate`` one after the other."""

from __future__ import annotations

import re
import statistics
import subprocess
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from simulator.bench.commands import checkout_env
from simulator.bench.processes import CommandFailed, python_command, run_watched
from simulator.bench.report import Row, Section
from terminal.common.errors import GateError


class BaseUnavailable(GateError, ValueError):
    pass


SOFTWARE_TIME = re.compile(r"software time, real\s+p50 ([\d.]+) ms, p95 ([\d.]+) ms")
WALL_TIME = re.compile(r"\((\d+) people, ([\d.]+) simulated minutes, ([\d.]+) s wall time\)")


def export(repo: Path, commit: str, folder: Path) -> Path:
    """``commit``'s files in ``folder``/base (no worktree is registered)."""
    archive = folder / "base.tar"
    try:
        with archive.open("wb") as out:
            subprocess.run(
                ["git", "-C", str(repo), "archive", "--format=tar", commit],
                stdout=out, stderr=subprocess.PIPE, check=True, timeout=120,
            )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip().splitlines()
        detail = said[-1] if said else "git archive failed"
        raise BaseUnavailable(f"--base {commit}: {detail}") from None
    checkout = folder / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(checkout, filter="data")
    return checkout


def entry_point(checkout: Path) -> str:
    """The ``gate-terminal`` script's ``module:function`` in the checkout's pyproject."""
    try:
        project = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))
        return str(project["project"]["scripts"]["gate-terminal"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise BaseUnavailable(
            f"{checkout}/pyproject.toml: no gate-terminal script ({exc})"
        ) from None


@dataclass(frozen=True)
class Printed:
    p50_ms: float | None
    p95_ms: float | None
    wall_s: float
    peak_mb: float


def simulate(checkout: Path, folder: Path, workers: int, seed: int) -> Printed:
    entry = entry_point(checkout)
    env = checkout_env(checkout)
    args = ["simulate", "--workers", str(workers), "--seed", str(seed)]
    helps = subprocess.run(
        python_command(entry, "simulate", "--help"), cwd=checkout, env=env,
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    if "--record" in helps:  # else the checkout's own config says where, inside the export
        args += ["--record", str(folder / f"{checkout.name}-{workers}.sqlite")]
    watched = run_watched(python_command(entry, *args), checkout, env)
    software = SOFTWARE_TIME.search(watched.output)
    wall = WALL_TIME.search(watched.output)
    return Printed(
        float(software.group(1)) if software else None,
        float(software.group(2)) if software else None,
        float(wall.group(3)) if wall else watched.wall_s,
        watched.peak_mb,
    )


def _ratio(now: float | None, base: float | None) -> float | None:
    if now is None or base is None or base == 0:
        return None
    return round(now / base, 2)


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def median_of(runs: list[Printed]) -> Printed:
    return Printed(
        _median([run.p50_ms for run in runs]),
        _median([run.p95_ms for run in runs]),
        statistics.median(run.wall_s for run in runs),
        statistics.median(run.peak_mb for run in runs),
    )


def compare(repo: Path, commit: str, folder: Path, sizes: dict[int, int], seed: int) -> Section:
    """``sizes``: crowd size -> rounds; each round runs base then now, so that a machine's load
    that comes and goes falls on both; the figures are each side's medians."""
    checkout = export(repo, commit, folder)
    rows: list[Row] = []
    for workers, rounds in sizes.items():
        base_runs, now_runs = [], []
        try:
            for _ in range(rounds):
                base_runs.append(simulate(checkout, folder, workers, seed))
                now_runs.append(simulate(repo, folder, workers, seed))
        except CommandFailed as exc:
            rows.append({"measure": f"simulate --workers {workers}", "base": f"n/a: {exc}"})
            continue
        base, now = median_of(base_runs), median_of(now_runs)
        for name, base_value, now_value in (
            ("software time per check p50 ms", base.p50_ms, now.p50_ms),
            ("software time per check p95 ms", base.p95_ms, now.p95_ms),
            ("wall s (as printed)", base.wall_s, now.wall_s),
            ("peak resident MB", base.peak_mb, now.peak_mb),
        ):
            rows.append({
                "measure": f"{name}, {workers} people",
                "base": base_value,
                "now": now_value,
                "now / base": _ratio(now_value, base_value),
                "rounds": rounds,
            })  # fmt: skip
    return Section(
        f"Beside {commit}",
        rows,
        [
            f"both sides run `simulate --workers N --seed {seed}` in turn, each round base then "
            "now, with this interpreter and libraries; the medians of what each prints and of its "
            "peak memory by /proc; the sections above are n/a on base where its command line "
            "has no such figure"
        ],
    )
