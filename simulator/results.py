"""The results file of ``simulate --results``: one row per person of the crowd."""

from __future__ import annotations

import csv
from pathlib import Path

from simulator.crowd import (
    SimPerson,
)
from terminal.record.store import CheckRow

RESULTS_HEADER = ["person_id", "decision", "reason", "temperature_c"]


def write_results(path: Path, people: list[SimPerson], by_person: dict[str, CheckRow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULTS_HEADER)
        for person in people:
            row = by_person.get(person.person_id)
            named = person.scenario_id or person.person_id  # a later visit: as the scenario says
            if row is None:
                writer.writerow([named, "none", "no_decision", ""])
                continue
            temperature = "" if row.temperature_c is None else f"{row.temperature_c:.2f}"
            writer.writerow([named, row.decision, row.reason, temperature])
