"""``gate-terminal run`` with the example config filled in, as an installer starts it: the roster
files it finds, or does not find, at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import example_gate_config_text
from tests.support.cli import REPO, run

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts


def installed(tmp_path: Path, visitors: Path) -> Path:
    """The filled-in example config with the example workers and ``visitors`` as its roster."""
    text = example_gate_config_text()
    text = text.replace(
        "/var/lib/gate-terminal/roster/workers.csv", str(REPO / "config" / "workers.example.csv")
    )
    text = text.replace("/var/lib/gate-terminal/roster/visitors.csv", str(visitors))
    config = tmp_path / "gate.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_a_missing_visitors_file_is_a_warning_and_the_gate_starts(tmp_path: Path) -> None:
    visitors = tmp_path / "visitors.csv"
    config = installed(tmp_path, visitors)
    done = run("run", "--config", str(config), timeout=120)
    # past the roster, the gate goes on to its hardware, which this machine does not have
    assert "needs a Raspberry Pi 4 or 5" in done.stderr, done.stderr
    assert (
        f"WARNING terminal.rules.roster: {visitors}: no visitors file "
        f"(roster.visitors in {config}): no visitor is let in until one is installed"
    ) in done.stderr
    assert "cannot read roster" not in done.stderr


def test_a_broken_roster_at_start_is_one_line_like_a_config_error(tmp_path: Path) -> None:
    visitors = tmp_path / "visitors.csv"
    visitors.write_text(
        "person_id,name,host,visit_from,visit_until\n"
        "V1,Ann,,2026-11-23 09:00,2026-11-23 10:00\n"
        "V2,Bo,Li,2026-11-23 09:00,soon\n",
        encoding="utf-8",
    )
    done = run("run", "--config", str(installed(tmp_path, visitors)), timeout=120)
    assert done.returncode == 2
    assert done.stderr == (
        f"gate-terminal: {visitors}:2: host: is empty: who receives this visitor? "
        "(and 1 more problem)\n"
    )
