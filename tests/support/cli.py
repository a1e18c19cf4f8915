"""Running the gate-terminal command line as a subprocess of this checkout."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # tests/support/ is two below the checkout


def gate_terminal() -> list[str]:
    found = shutil.which("gate-terminal", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "terminal.cli.main"]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gate_terminal(), *args], capture_output=True, text=True, cwd=REPO, timeout=timeout
    )


def count_checks_read_only(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
        try:
            return int(reader.execute("SELECT count(*) FROM checks").fetchone()[0])
        except sqlite3.OperationalError:  # not created yet
            return 0
