"""The results file of ``simulate --results``: one row per row of the crowd (of the scenario),
in its order, read by column name.

- ``decision``, ``reason``: the final answer to that visit: after a rest and the re-scan, the
  re-scan's; after a secondary check, the guard's (``fever`` for a confirmed fever); ``none``
  with ``no_decision`` for anyone the gate failed to answer.
- ``first_reason``: the gate's answer to the visit's first scan (``rest``, ``secondary_check``).
- ``screening``: how the screening of the visit ended (``pass``, ``rest_pass``, ``rest_guard``,
  ``guard``, ``fault``, ``not_measured``; ``rest`` for someone told to rest who did not come
  back), as the gate's record says.
- ``temperature_c``: the estimated core the gate decided on; ``screened_c``: the screened
  reading (the thermometer's object temperature of the forehead); ``clinical_c``: the guard's
  clinical reading at the secondary check.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from simulator.crowd import SimPerson
from terminal.record.store import CheckRow

RESULTS_HEADER = [
    "person_id",
    "decision",
    "reason",
    "temperature_c",
    "screening",
    "screened_c",
    "clinical_c",
    "first_reason",
]
# who stood in front at each check: check's event id -> (the person, the check)
WhoWasThere = Mapping[str, tuple[SimPerson | None, CheckRow]]


def checks_of_each(sides: Iterable[WhoWasThere]) -> dict[str, list[CheckRow]]:
    """Every check of each person (by the simulation's name for the visit), in check order:
    a first scan, and the re-scan after a rest."""
    visits: dict[str, list[CheckRow]] = {}
    for side in sides:
        for person, row in side.values():
            if person is not None:
                visits.setdefault(person.person_id, []).append(row)
    for rows in visits.values():
        rows.sort(key=lambda row: row.epoch_s)
    return visits


def steps_by_flag(steps: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The secondary check's steps (rows of the record's ``secondary_steps``) by flag."""
    by_flag: dict[str, list[Mapping[str, Any]]] = {}
    for step in sorted(steps, key=lambda s: (s["at_s"], s["id"])):
        by_flag.setdefault(step["flag_id"], []).append(step)
    return by_flag


def _guard_said(flag: CheckRow, steps: list[Mapping[str, Any]]) -> tuple[str, str, float | None]:
    """The guard's decision on a flag, and the clinical reading; the gate's while it is open."""
    clinical = next((s["clinical_c"] for s in steps if s["clinical_c"] is not None), None)
    for step in steps:
        reason = (step["detail"] or "").split(";")[0].strip()
        if step["step"] == "fever_confirmed":
            return "deny", "fever", clinical
        if step["step"] == "admitted_by_staff":
            return "admit", reason or "admitted", clinical
        if step["step"] == "refused_after_check":
            return "deny", reason or "refused", clinical
    return flag.decision, flag.reason, clinical


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def result_row(
    named: str, rows: list[CheckRow], steps: Mapping[str, list[Mapping[str, Any]]]
) -> list[str]:
    """One visit's row of the results file."""
    if not rows:
        return [named, "none", "no_decision", "", "", "", "", ""]
    last = rows[-1]
    decision, reason, clinical = _guard_said(last, list(steps.get(last.event_id, [])))
    # the record's word for the screening; a record without it (an earlier schema) has none
    screening = getattr(last, "screening", None) or ""
    return [
        named,
        decision,
        reason,
        _number(last.temperature_c),
        screening,
        _number(last.object_c),
        _number(clinical),
        rows[0].reason,
    ]


def write_results(
    path: Path,
    people: list[SimPerson],
    visits: Mapping[str, list[CheckRow]],
    steps: Mapping[str, list[Mapping[str, Any]]],
) -> None:
    """``people``: the crowd (the simulator's own rows, a worker's way home between two days,
    have no row of their own); ``visits``: each person's checks (:func:`checks_of_each`);
    ``steps``: the secondary checks' steps by flag (:func:`steps_by_flag`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULTS_HEADER)
        # the scenario's rows in its order; a random crowd by arrival
        planned = [person for person in people if not person.going_home]
        for person in sorted(planned, key=lambda p: (p.line or 0, p.arrival_s)):
            named = person.scenario_id or person.person_id  # a later visit: as the scenario says
            writer.writerow(result_row(named, visits.get(person.person_id, []), steps))
