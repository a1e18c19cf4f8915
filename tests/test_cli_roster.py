"""``gate-terminal roster check|import`` as the park's office types it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from terminal.config import load
from terminal.roster import load_roster
from tests.conftest import example_gate_config_text
from tests.test_cli import REPO, run

WORKERS_HEADER = "person_id,name,department,group,nat_tested_at,nat_result\n"
VISITORS_HEADER = "person_id,name,host,visit_from,visit_until\n"


@pytest.fixture
def gate(tmp_path: Path) -> Path:
    """A gate's folder: the example config with its roster files here, as installed."""
    etc = tmp_path / "etc"
    etc.mkdir()
    text = example_gate_config_text()
    text = text.replace("/var/lib/gate-terminal/roster", str(etc))
    (etc / "gate.toml").write_text(text.replace("/etc/gate-terminal", str(etc)), encoding="utf-8")
    for kind in ("workers", "visitors"):
        installed = etc / f"{kind}.csv"
        installed.write_bytes((REPO / "config" / f"{kind}.example.csv").read_bytes())
        installed.chmod(0o640)
    return etc


def export(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_import_installs_what_the_gate_reads_and_nothing_else(tmp_path: Path, gate: Path) -> None:
    # Excel on a Chinese Windows, semicolons, and an HR column the gate must never hold
    text = (
        "person_id;name;department;group;nat_tested_at;nat_result;phone\n"
        "W0101;王芳;Assembly;day;2026/11/22 8:00;阴性;13800000000\n"
        "W0102;Liu Yang;Assembly;night;;;13900000000\n"
    )
    source = export(tmp_path, text, "gb18030")
    (gate / "workers.csv").chmod(0o604)
    done = run("roster", "import", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"installed 2 workers from {source} as {gate / 'workers.csv'}; the running gate takes "
        "them within 2 s; columns not read: phone\n"
    )
    installed = (gate / "workers.csv").read_text(encoding="utf-8")
    assert installed.splitlines()[0] == WORKERS_HEADER.strip()
    assert "13800000000" not in installed and "王芳" in installed
    assert stat.S_IMODE((gate / "workers.csv").stat().st_mode) == 0o604  # as the old one was
    assert sorted(p.name for p in gate.iterdir()) == ["gate.toml", "visitors.csv", "workers.csv"]
    roster = load_roster(load(gate / "gate.toml"))
    assert roster.get("W0101") is not None and roster.get("W0001") is None
    assert roster.get("V0001") is not None  # the visitors file is untouched


def test_a_first_import_is_readable_by_the_gates_group_only(tmp_path: Path, gate: Path) -> None:
    (gate / "visitors.csv").unlink()
    source = export(tmp_path, VISITORS_HEADER + "V9,Ana,Li Wei,2026-11-23 09:00,2026-11-23 12:00\n")
    done = run("roster", "import", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 0, done.stderr
    assert "installed 1 visitors" in done.stdout
    assert stat.S_IMODE((gate / "visitors.csv").stat().st_mode) == 0o640


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (WORKERS_HEADER + "W0101,A,B,day,,\nW0102,C,D,evening,,\n", ":3: group: no such group"),
        (WORKERS_HEADER + "W|1,A,B,day,,\n", ":2: person_id: must be 1 to 64 letters"),
        (WORKERS_HEADER + "W0101,A,B,day,2026-11-22 08:00,yes\n", ":2: nat_result: must be"),
        # already on the installed visitors file
        (WORKERS_HEADER + "V0001,A,B,day,,\n", ":2: person_id: also on "),
        ("person_id,name\n1,A\n", ":1: header is neither a workers file"),
        ("id,name\n1,A\n", ":1: header must have the columns person_id"),
    ],
)
def test_a_bad_file_changes_nothing(tmp_path: Path, gate: Path, text: str, error: str) -> None:
    before = snapshot(gate)
    source = export(tmp_path, text)
    done = run("roster", "import", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"gate-terminal: {source}{error}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert snapshot(gate) == before  # no new file, no temporary file left


def test_check_validates_and_changes_nothing(tmp_path: Path, gate: Path) -> None:
    before = snapshot(gate)
    source = export(tmp_path, WORKERS_HEADER + "W0101,A,B,day,,\n")
    done = run("roster", "check", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{source}: 1 workers, valid for {gate / 'gate.toml'}\n"
    assert snapshot(gate) == before
    bad = export(tmp_path, WORKERS_HEADER + "W0101,A,B,day,,\nW0101,A,B,day,,\n")
    done = run("roster", "check", str(bad), "--config", str(gate / "gate.toml"))
    assert done.returncode == 2
    assert done.stderr == f"gate-terminal: {bad}:3: person_id: appears twice (also on line 2)\n"


def test_visitors_need_a_visitors_file_in_the_config(tmp_path: Path, gate: Path) -> None:
    config = gate / "gate.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("visitors =")),
        encoding="utf-8",
    )
    source = export(tmp_path, VISITORS_HEADER + "V9,Ana,Li Wei,2026-11-23 09:00,2026-11-23 12:00\n")
    done = run("roster", "import", str(source), "--config", str(config))
    assert done.returncode == 2
    assert done.stderr == (
        f"gate-terminal: {config}: roster.visitors: not set, so the gate has no visitors file "
        f"to take {source}\n"
    )


def test_a_missing_file_or_a_bad_config_exits_2_with_one_line(tmp_path: Path, gate: Path) -> None:
    missing = tmp_path / "nope.csv"
    done = run("roster", "import", str(missing), "--config", str(gate / "gate.toml"))
    assert done.returncode == 2
    assert (
        done.stderr == f"gate-terminal: {missing}: cannot read roster: No such file or directory\n"
    )
    config = gate / "gate.toml"
    config.write_text(config.read_text().replace("nat_valid_h = 72", "nat_valid_h = 0"))
    source = export(tmp_path, WORKERS_HEADER + "W0101,A,B,day,,\n")
    done = run("roster", "import", str(source), "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.startswith(f"gate-terminal: {config.resolve()}: roster.nat_valid_h: ")
