"""A gate that screens against a roster on file, and what it recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from simulator.rig import Rig
from terminal.gate.lane import Gate
from terminal.rules.roster import RosterFiles


def run_until_done(gate: Gate, rig: Rig, roster_files: RosterFiles | None = None) -> None:
    for _ in range(200_000):
        if rig.world.done:
            return
        if roster_files is not None and roster_files.refresh():  # as the service does
            gate.roster = roster_files.current
        gate.poll()
    raise AssertionError("the simulated shift did not finish")


# --- a new roster while the gate runs -------------------------------------------------------------
WORKERS_HEADER = "person_id,name,department,group,nat_tested_at,nat_result\n"


def count_checks(path: Path) -> list[str]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
            return [r[0] for r in reader.execute("SELECT reason FROM checks ORDER BY epoch_s")]
    except sqlite3.OperationalError:
        return []
