"""``gate-terminal roster check|import`` as the park's office types it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from terminal.config import load
from terminal.rules.roster import load_roster
from tests.conftest import example_gate_config_text
from tests.support.cli import REPO, run

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

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
    config = str(gate / "gate.toml")
    done = run("roster", "import", str(source), "--config", config, "--encoding", "gb18030")
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
    assert done.returncode == 1
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
    assert done.returncode == 1
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
    assert done.returncode == 1
    assert done.stderr == (
        f"gate-terminal: {config}: roster.visitors: not set, so the gate has no visitors file "
        f"to take {source}\n"
    )


def test_a_missing_file_exits_1_and_a_bad_config_2_with_one_line(
    tmp_path: Path, gate: Path
) -> None:
    missing = tmp_path / "nope.csv"
    done = run("roster", "import", str(missing), "--config", str(gate / "gate.toml"))
    assert done.returncode == 1
    assert (
        done.stderr == f"gate-terminal: {missing}: cannot read roster: No such file or directory\n"
    )
    config = gate / "gate.toml"
    config.write_text(config.read_text().replace("nat_valid_h = 72", "nat_valid_h = 0"))
    source = export(tmp_path, WORKERS_HEADER + "W0101,A,B,day,,\n")
    done = run("roster", "import", str(source), "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.startswith(f"gate-terminal: {config.resolve()}: roster.nat_valid_h: ")


def test_check_lists_every_problem_in_one_run(tmp_path: Path, gate: Path) -> None:
    source = export(
        tmp_path,
        WORKERS_HEADER
        + "W0101,A,B,evening,,\n"
        + "W|2,A,B,day,,\n"
        + "W0103,,B,day,2026-11-22 08:00,yes\n"
        + "W0104,A\x1b[2J,B,day,,\n",
    )
    done = run("roster", "check", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"gate-terminal: {source}:2: group: no such group in shifts.groups (all-day, day, day-b, "
        "late, night, warehouse)",
        f"gate-terminal: {source}:3: person_id: must be 1 to 64 letters (A-Z, a-z, no accents "
        "or Chinese characters), digits, '.', '_' or '-', starting with a letter or digit",
        f"gate-terminal: {source}:4: name: is empty",
        f"gate-terminal: {source}:4: nat_result: must be negative or positive (阴性 or 阳性)",
        f"gate-terminal: {source}:5: name: holds a control or formatting character (U+001B)",
    ]


def test_a_file_wrong_on_every_line_lists_the_first_fifty_of_a_thousand(
    tmp_path: Path, gate: Path
) -> None:
    # every other row a wrong group, every other one too short: two kinds of problem, in order
    rows = "".join(f"W{n},A,B,evening,,\nW{n}x,A\n" for n in range(750))
    source = export(tmp_path, WORKERS_HEADER + rows)
    done = run("roster", "check", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 51
    assert lines[0].startswith(f"gate-terminal: {source}:2: group: no such group")
    assert lines[1] == f"gate-terminal: {source}:3: expected 6 columns, got 2"
    assert lines[49] == f"gate-terminal: {source}:51: expected 6 columns, got 2"
    # a thousand problems are enough: the rest of the file is not read
    assert lines[50] == f"gate-terminal: {source}: and 951 more problems, not read after line 1002"


@pytest.mark.parametrize(
    ("encoding", "name"), [("gb18030", "王芳"), ("shift_jis", "山田太郎"), ("latin-1", "Zoë")]
)
def test_a_file_in_another_encoding_needs_its_name(
    tmp_path: Path, gate: Path, encoding: str, name: str
) -> None:
    source = export(tmp_path, WORKERS_HEADER + f"W0101,{name},B,day,,\n", encoding)
    config = str(gate / "gate.toml")
    before = snapshot(gate)
    done = run("roster", "import", str(source), "--config", config)
    assert done.returncode == 1
    assert done.stderr == (
        f"gate-terminal: {source}:2: roster is not UTF-8 text: pass --encoding (gb18030 for "
        "Excel's CSV on a Chinese Windows, shift_jis on a Japanese one, latin-1) or save it as "
        '"CSV UTF-8"\n'
    )
    assert snapshot(gate) == before
    done = run("roster", "import", str(source), "--config", config, "--encoding", encoding)
    assert done.returncode == 0, done.stderr
    installed = load_roster(load(gate / "gate.toml")).get("W0101")
    assert installed is not None and installed.name == name


def test_an_unknown_encoding_is_one_line(tmp_path: Path, gate: Path) -> None:
    source = export(tmp_path, WORKERS_HEADER + "W0101,A,B,day,,\n")
    done = run(
        "roster", "check", str(source), "--config", str(gate / "gate.toml"), "--encoding", "gbk2"
    )
    assert done.returncode == 2
    assert done.stderr == (
        "gate-terminal: --encoding: unknown encoding 'gbk2' (for instance utf-8, gb18030, "
        "shift_jis, latin-1)\n"
    )


def test_the_installed_copy_is_written_in_roster_encoding(tmp_path: Path, gate: Path) -> None:
    config = gate / "gate.toml"
    config.write_text(
        config.read_text().replace('encoding = "utf-8"', 'encoding = "gb18030"'),
        encoding="utf-8",
    )
    (gate / "visitors.csv").unlink()
    source = export(tmp_path, WORKERS_HEADER + "W0101,王芳,B,day,,\n")
    done = run("roster", "import", str(source), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "王芳" in (gate / "workers.csv").read_bytes().decode("gb18030")
    # a name the configured encoding cannot hold is refused, not written garbled
    config.write_text(config.read_text().replace('"gb18030"', '"latin-1"'), encoding="utf-8")
    before = snapshot(gate)
    done = run("roster", "import", str(source), "--config", str(config))
    assert done.returncode == 1
    assert done.stderr == (
        f"gate-terminal: {source}:2: name: cannot be written in latin-1 (roster.encoding in "
        f"{config})\n"
    )
    assert snapshot(gate) == before


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml" + bytes(range(256)),
         "is an Excel workbook, not CSV: in Excel, File > Save As > CSV UTF-8"),
        (b"", "is empty: not even a header line"),
    ],
    ids=["xlsx", "empty"],
)  # fmt: skip
def test_a_workbook_or_an_empty_file_is_said_plainly(
    tmp_path: Path, gate: Path, content: bytes, said: str
) -> None:
    source = tmp_path / "workers.xlsx"
    source.write_bytes(content)
    done = run("roster", "check", str(source), "--config", str(gate / "gate.toml"))
    assert done.returncode == 1
    assert done.stderr == f"gate-terminal: {source}: roster {said}\n"


def test_a_device_or_a_fifo_is_refused_at_once(tmp_path: Path, gate: Path) -> None:
    fifo = tmp_path / "workers.csv"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        done = run("roster", "check", str(path), "--config", str(gate / "gate.toml"), timeout=30)
        assert done.returncode == 1
        assert done.stderr == f"gate-terminal: {path}: roster is not a regular file\n"
