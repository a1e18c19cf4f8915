"""What the figures were measured on: the CPU, its cores, Python, the libraries, the commit."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

# the libraries whose versions move the figures: decoding, images, the record, the link
LIBRARIES = (
    "numpy",
    "opencv-python-headless",
    "opencv-python",
    "zxing-cpp",
    "pyzbar",
    "segno",
    "paho-mqtt",
    "pydantic",
    "cryptography",
)


def cpu_model() -> str:
    """The CPU's name as the kernel gives it (a Pi names its board on a ``Model`` line)."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    for key in ("model name", "Model", "Hardware"):
        for line in lines:
            name, _, value = line.partition(":")
            if name.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or platform.machine()


def memory_total_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024, 0)
    except OSError:
        pass
    return None


def commit(repo: Path) -> str:
    """The checkout's commit, with ``+changes`` when its files differ from it."""
    if shutil.which("git") is None:
        return "unknown (no git)"
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        changed = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{head}+changes" if changed else head


def mosquitto_version() -> str | None:
    from simulator.broker import find_mosquitto

    found = find_mosquitto()
    if found is None:
        return None
    try:
        said = subprocess.run([found, "-h"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (said.stdout or said.stderr).splitlines()
    return first[0].strip() if first else None


def describe(repo: Path) -> dict[str, object]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    load_1, load_5, load_15 = os.getloadavg()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_mb": memory_total_mb(),
        "system": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": versions,
        "mosquitto": mosquitto_version(),
        "commit": commit(repo),
        "load_average_at_start": [round(load_1, 2), round(load_5, 2), round(load_15, 2)],
    }
