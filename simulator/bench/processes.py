"""The gate's commands run as their own processes, watched from outside through /proc: CPU time,
resident memory sampled while they run, and its peak."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from terminal.common.errors import GateError

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


class CommandFailed(GateError, RuntimeError):
    pass


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """The process's resident memory now (``VmHWM``: its peak so far); None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def cpu_s(pid: int) -> float | None:
    """User and system CPU time the process has used so far."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime, stime


@dataclass
class Watched:
    """A finished run: its wall time, its peak resident memory (to the last sample), its
    memory sampled while it ran."""

    wall_s: float
    peak_mb: float
    output: str
    exit_code: int
    samples: list[tuple[float, float]] = field(default_factory=list)  # (s from start, MB)


def python_command(entry: str, *args: str) -> list[str]:
    """The checkout's command line run by this Python: ``entry`` is ``module:function`` (a
    project's ``gate-terminal`` script), so an older checkout runs on the same interpreter."""
    module, function = entry.split(":")
    code = (
        f"import sys; from {module} import {function} as main; "
        "sys.argv[0] = 'gate-terminal'; sys.exit(main())"
    )
    return [sys.executable, "-c", code, *args]


def run_watched(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    every_s: float = 0.5,
    timeout_s: float = 1800,
    finished: str = "Shift summary",
) -> Watched:
    """Run ``command`` to its end, sampling its resident memory every ``every_s``. It ran to its
    end when it exits 0, or when its output holds ``finished`` (``simulate`` exits 1 when its
    summary disagrees with the record: its costs were still spent)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = process.stdout
    if out is None:
        raise CommandFailed(f"{command[0]}: no output pipe")
    chunks: list[str] = []
    # read while it runs: a full pipe would stall it
    reader = threading.Thread(target=lambda: chunks.append(out.read()), daemon=True)
    reader.start()
    samples: list[tuple[float, float]] = []
    # the peak from /proc (VmHWM, this program's since its exec), not wait4's ru_maxrss, which
    # starts from the size of the bench itself when it forked
    peak_mb = 0.0
    while True:
        pid, status, _ = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        now = time.perf_counter() - started
        if now > timeout_s:
            process.kill()
            _, status, _ = os.wait4(process.pid, 0)
            break
        found, high = rss_mb(process.pid), rss_mb(process.pid, "VmHWM")
        if found is not None:
            samples.append((round(now, 2), round(found, 1)))
        if high is not None:
            peak_mb = max(peak_mb, high)
        time.sleep(every_s)
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(30)
    output = "".join(chunks)
    if process.returncode != 0 and (process.returncode < 0 or finished not in output):
        tail = " / ".join(output.strip().splitlines()[-3:])
        raise CommandFailed(f"{' '.join(command[-6:])} exited {process.returncode}: {tail}")
    wall_s = time.perf_counter() - started
    return Watched(wall_s, peak_mb, output, process.returncode, samples)


@dataclass(frozen=True)
class Idle:
    seconds: float
    cpu_percent: float  # of one core
    rss_mb: float


def watch_idle(
    command: list[str], cwd: Path, env: dict[str, str], ready: Path, warm_s: float, for_s: float
) -> Idle:
    """Start a service, wait until ``ready`` exists and ``warm_s`` more, then measure its CPU
    time and memory over ``for_s``; then stop it as systemd does (SIGTERM)."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                said = process.stderr.read() if process.stderr else ""
                raise CommandFailed(f"the service did not start: {said.strip()[-300:]}")
            time.sleep(0.2)
        time.sleep(warm_s)
        cpu_before, wall_before = cpu_s(process.pid), time.perf_counter()
        time.sleep(for_s)
        cpu_after, wall_after = cpu_s(process.pid), time.perf_counter()
        memory = rss_mb(process.pid)
        if cpu_before is None or cpu_after is None or memory is None:
            raise CommandFailed("the service stopped while it was measured")
        spent = wall_after - wall_before
        return Idle(spent, 100 * (cpu_after - cpu_before) / spent, memory)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of memory over time, past the first fifth (the start's imports and
    caches fill it): a day's memory stays flat when this is near zero."""
    settled = samples[len(samples) // 5 :]
    if len(settled) < 3:
        return None
    times = [t for t, _ in settled]
    mean_t = sum(times) / len(times)
    mean_m = sum(m for _, m in settled) / len(settled)
    spread = sum((t - mean_t) ** 2 for t in times)
    if spread == 0:
        return None
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in settled) / spread


SIMULATED = re.compile(r"([\d.]+) simulated minutes, ([\d.]+) s wall time")


def simulated_per_wall_s(output: str) -> float | None:
    """Simulated seconds per wall second of a ``simulate`` run, from its printed summary."""
    found = SIMULATED.search(output)
    if found is None or float(found.group(2)) == 0:
        return None
    return 60 * float(found.group(1)) / float(found.group(2))
