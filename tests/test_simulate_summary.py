"""What ``simulate`` tells the person who runs it: a progress bar with no log lines in it, a
summary that begins with how the shift ended for its people, and counts that say what their words
say."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from simulator.progress import LogsBesideTheBar, Progress
from simulator.runner import run_simulation
from simulator.summary import format_summary
from terminal.common.times import local_day
from tests.conftest import make_config

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a whole shift
def test_workers_outside_their_shift_are_refused_at_the_gate_whatever_their_forehead(
    tmp_path: Path, broker: PrivateBroker
) -> None:
    """Two workers with a warm forehead outside their shift (one early for day-b, one late for
    day): the roster refuses them anyway, so no guard's time is spent on them; they are told
    their window at the gate, and the summary counts them by their reason."""
    shipped = tomllib.loads((REPO / "config" / "simulator.toml").read_text(encoding="utf-8"))
    config = make_config(
        tmp_path,
        shifts=shipped["shifts"],
        simulator={"groups": ["day", "day-b"], "arrival_window_s": 900},
    )
    # the shift starts 07:30: day-b's window opens 07:35 (3 min grace), day's closes 07:40 (+3)
    people = [
        SimPerson("A1", 10.0, 36.6, 19.0, "green", group="day", object_c=33.8),
        SimPerson("E1", 20.0, 36.7, 19.0, "green", group="day-b", object_c=36.3),
        SimPerson("L1", 820.0, 36.7, 19.0, "green", group="day", object_c=36.3),
    ]
    shift = run_simulation(
        config,
        people=people,
        broker=(broker.host, broker.port),
        record_path=tmp_path / "s.sqlite",
    )
    summary = shift.summary
    assert summary.problems == []
    assert summary.shift_refusals_after_guard == {}
    assert summary.secondary_checks == 0
    reasons = {pid: row.reason for pid, row in shift.checks_by_person.items()}
    assert reasons == {"A1": "admitted", "E1": "shift_early", "L1": "shift_late"}
    assert all(row.next_window for pid, row in shift.checks_by_person.items() if pid != "A1")
    text = format_summary(summary)
    lines = text.splitlines()
    assert lines[1].startswith("Shift summary (3 people")
    # the day simulated, as `record export --from` asks for it
    first_check = min(row.epoch_s for row in shift.checks_by_person.values())
    assert f"  day: {local_day(first_check, ZoneInfo(config.gate.timezone))}" in lines
    assert lines[3] == (
        "  refused                2 people: 2 at the gate, 0 by staff after a secondary check"
    )
    assert sorted(lines[4:6]) == ["    shift_early          1", "    shift_late           1"]


@pytest.mark.slow  # starts a process
def test_the_progress_bar_counts_people_checked_and_keeps_log_lines_out(
    tmp_path: Path,
) -> None:
    """A crowd flagged one after another: the flags' warnings go to the shift's log file, not
    between the bar's lines, and the bar says what it counts."""
    record = tmp_path / "shift.sqlite"
    command = ["simulate", "--workers", "12", "--seed", "1", "--record", str(record)]
    done = subprocess.run(
        [sys.executable, "-m", "terminal.cli.main", *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    shown = done.stderr.splitlines()
    assert shown[0].startswith("Simulating 12 people through gate")
    assert all(line.startswith("  [") for line in shown[1:]), done.stderr
    assert shown[-1] == "  [" + "#" * 30 + "] 12/12 people checked"
    # the summary begins with who went in (the demo's gate has a passage contact)
    assert done.stdout.splitlines()[2].startswith("  went in                ")
    log = tmp_path / "shift.log"
    assert "log                    " in done.stdout and str(log) in done.stdout
    kept = log.read_text(encoding="utf-8")
    # whichever alerts the crowd raised (a flag, a red code): each went to the file
    assert re.search(r"WARNING terminal\.gate\.lane: \w+ at gate gate-1: security alerted", kept)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_error_during_the_shift_is_printed_above_the_bar(tmp_path: Path) -> None:
    screen = _Terminal()
    handler = logging.StreamHandler(screen)
    root = logging.getLogger()
    root.addHandler(handler)
    progress = Progress(4, screen)
    logs = LogsBesideTheBar(progress, tmp_path / "shift.log")
    logs.start()
    try:
        progress.update(1)
        lane = logging.getLogger("terminal.gate.lane")
        lane.warning("secondary_check at gate g: security alerted")
        logging.getLogger("terminal.link.publisher").error("broker refused the login")
        progress.update(2)
    finally:
        logs.stop()
        root.removeHandler(handler)
    bar = "  [" + "#" * 7 + "-" * 23 + "] 1/4 people checked\r"
    # the warning is only in the file; the error clears the bar, and the bar comes back below
    assert screen.getvalue() == (
        bar + "\r\x1b[K" + "broker refused the login\n" + "  [" + "#" * 15 + "-" * 15 + "] 2/4"
        " people checked\r"
    )
    assert logs.log.warnings == 1 and logs.log.errors == 1
