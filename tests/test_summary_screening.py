"""What the summary says of the screening, as the person running ``simulate`` reads it: how each
person's screening ended, the guards' load against the park's budget, and the people told to
rest: back and screened again, or not returned (told to security by the gate, and by the
simulator's truth)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from simulator.runner import run_simulation
from simulator.summary import format_summary
from terminal.config import Config
from terminal.record.store import Record

pytestmark = pytest.mark.slow  # a whole shift, half an hour of it


def crowd() -> list[SimPerson]:
    """A lobby at 20 °C; two people come in with a warm forehead that settles while they rest
    (R1 comes back; N1 does not), and a few more come once N1's time to come back is over."""
    rng = random.Random(3)

    def usual(pid: str, at: float) -> SimPerson:
        return SimPerson(pid, at, 36.6, 20.0, "green", object_c=round(rng.uniform(32.6, 33.6), 2))

    people = [usual(f"P{i:02d}", i * 6.0) for i in range(16)]
    people.append(
        SimPerson(
            "R1", 100.0, 36.7, 20.0, "green", object_c=34.6, object_rested_c=33.2, rest_tau_min=4
        )
    )
    people.append(
        SimPerson(
            "N1",
            110.0,
            36.7,
            20.0,
            "green",
            object_c=34.7,
            object_rested_c=33.2,
            rest_tau_min=4,
            returns=False,
        )
    )
    people += [usual(f"L{i}", 1500.0 + i * 6) for i in range(6)]
    return people


def test_the_summary_tells_the_guard_load_the_rests_and_who_did_not_come_back(
    config: Config, broker: PrivateBroker, tmp_path: Path
) -> None:
    shift = run_simulation(
        config,
        people=crowd(),
        broker=(broker.host, broker.port),
        record_path=tmp_path / "shift.sqlite",
    )
    summary = shift.summary
    assert summary.problems == []
    record = Record(tmp_path / "shift.sqlite")
    rows: dict[str, list[dict]] = {}
    for check in record.checks():
        rows.setdefault(check["person_id"], []).append(check)
    told = {pid for pid, checks in rows.items() if checks[0]["reason"] == "rest"}
    assert {"R1", "N1"} <= told
    assert [c["screening"] for c in rows["N1"]] == ["rest"]
    assert [c["screening_stage"] for c in rows["R1"]] == ["first", "rested"]
    tally = summary.screening
    assert tally is not None
    assert (tally.told_to_rest, tally.came_back) == (len(told), len(told) - 1)
    assert (tally.not_returned, tally.did_not_come_back, tally.resting_at_end) == (1, 1, 0)
    assert tally.screened == 24 and tally.budget == config.screening.secondary_budget
    assert sum(tally.outcomes.values()) == 24
    text = format_summary(summary)
    assert (
        f"  rest and re-screen     {len(told)} told to rest, {len(told) - 1} came back; 0 resting"
        " at the end, 1 not returned; 1 did not come back (by the simulator's truth)"
    ) in text
    assert f"  guard load             {tally.sent_to_guard} of 24 (" in text
    assert ", budget 10 %; without a fever" in text
    assert "1 told to rest and not back" in text  # how it ended for the shift's people
