from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from terminal.roster import Roster, RosterError

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_roster_loads() -> None:
    roster = Roster.load(REPO / "config" / "roster.example.csv")
    w1 = roster.get("W0001")
    assert w1 is not None and w1.kind == "staff"
    assert w1.allowed_at(time(7, 45)) and w1.allowed_at(time(12, 0))
    assert not w1.allowed_at(time(10, 0))
    assert roster.get("nobody") is None


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    original = Roster.load(REPO / "config" / "roster.example.csv")
    original.save(tmp_path / "copy.csv")
    assert Roster.load(tmp_path / "copy.csv").entries() == original.entries()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,kind\n", ":1: header"),
        (
            "person_id,kind,windows\nW1,staff,07:00-08:00\nW1,staff,*\n",
            ":3: person_id 'W1' appears twice",
        ),
        ("person_id,kind,windows\nW1,boss,*\n", ":2: kind must be staff or visitor"),
        ("person_id,kind,windows\nW1,staff,7-8\n", ":2: window '7-8' is not HH:MM-HH:MM"),
        ("person_id,kind,windows\nW1,staff\n", ":2: expected 3 columns"),
        ("person_id,kind,windows\nW1,staff,\n", ":2: windows is empty; write \\* for any time"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RosterError, match=message):
        Roster.load(write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="cannot read roster"):
        Roster.load(tmp_path / "absent.csv")


def test_a_roster_saved_by_excel_on_a_chinese_windows_is_read(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("person_id,kind,windows\n张三,staff,*\n".encode("gb18030"))
    assert Roster.load(path).get("张三") is not None
