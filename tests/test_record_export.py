"""``gate-terminal record export``: the gate's record of the days asked for, as an inspector
reads it: a CSV read back (times with the park's offset, a fever's clinical reading and where the
person went), a page per day, and one-line refusals of what cannot be exported. The record is
read while it stays open for writing, as on a running gate."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date
from html import escape
from pathlib import Path

import pytest

from terminal.cli.main import main
from terminal.common.printed.page import Printing, render_html
from terminal.common.printed.rows import CheckLine, PrintedDay
from terminal.record.store import SCHEMA_VERSION, Record
from tests.record_schemas import EARLIER_SCHEMAS
from tests.support.inspection import (
    FEVER_C,
    FIRST_DAY,
    GATE,
    NORMAL_C,
    ROOM,
    SECOND_DAY,
    ZONE,
    at,
    gate_toml,
    write_record,
)
from tests.support.records import check, earlier_record


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_record(folder / "record.sqlite")
    return gate_toml(folder, folder / "record.sqlite")


def export(config_file: Path, *args: str) -> int:
    return main(["record", "export", "--config", str(config_file), *args])


def exported_csv(config_file: Path, tmp_path: Path, first: str, last: str) -> list[dict]:
    out = tmp_path / "record.csv"
    assert export(config_file, "--from", first, "--to", last, "--output", str(out)) == 0
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))


def test_the_csv_has_every_check_flag_and_vehicle_of_the_days_asked_for(
    config_file: Path, tmp_path: Path
) -> None:
    rows = exported_csv(config_file, tmp_path, FIRST_DAY, SECOND_DAY)
    kinds = [(row["kind"], row["day"], row["event_id"]) for row in rows]
    assert kinds == [
        ("check", FIRST_DAY, "c1"), ("check", FIRST_DAY, "c2"), ("check", FIRST_DAY, "c3"),
        ("check", FIRST_DAY, "f1"), ("check", FIRST_DAY, "f2"),
        ("flag", FIRST_DAY, "f1"), ("flag", FIRST_DAY, "f2"),
        ("vehicle", FIRST_DAY, "v1"),
        ("check", SECOND_DAY, "d2"),
    ]  # fmt: skip
    # the check a second before the first local midnight is the day before's: not asked for
    assert "before" not in {row["event_id"] for row in rows}
    first = rows[0]
    assert first["at"] == "2026-11-05T07:58:12+08:00"
    assert (first["screened_c"], first["estimated_core_c"]) == ("33.4", "36.6")
    fever = next(row for row in rows if row["kind"] == "flag" and row["event_id"] == "f1")
    assert float(fever["clinical_c"]) == FEVER_C
    assert (fever["outcome"], fever["isolation_room"]) == ("fever_confirmed", ROOM)
    assert (fever["checked_by"], fever["checked_at"]) == ("guard-7", "2026-11-05T08:09:00+08:00")
    admitted = next(row for row in rows if row["kind"] == "flag" and row["event_id"] == "f2")
    assert (float(admitted["clinical_c"]), admitted["outcome"]) == (NORMAL_C, "admitted")
    # a person id that a spreadsheet would run as a formula is written as text
    assert admitted["person_id"] == "'=W5"
    vehicle = rows[7]
    assert (vehicle["plate"], vehicle["entered_by"]) == ("粤B12345", "guard-7")


def test_the_csv_says_where_each_person_went_and_fills_each_kinds_columns(
    config_file: Path, tmp_path: Path
) -> None:
    rows = exported_csv(config_file, tmp_path, FIRST_DAY, SECOND_DAY)
    went = {(row["kind"], row["event_id"]): row["went_to"] for row in rows}
    assert went == {
        ("check", "c1"): "through",  # the turnstile saw them pass
        ("check", "c2"): "not_yet_through",  # still in the passage window
        ("check", "c3"): "isolation_room",  # a red code: straight there from the gate
        ("check", "f1"): "secondary_check", ("check", "f2"): "secondary_check",
        ("flag", "f1"): "isolation_room",
        ("flag", "f2"): "turned_back",  # admitted by staff, never went through
        ("vehicle", "v1"): "",
        ("check", "d2"): "released",  # no passage contact to tell
    }  # fmt: skip
    red = next(row for row in rows if row["event_id"] == "c3")
    assert red["route"] == "isolation_room"
    flags = [row for row in rows if row["kind"] == "flag"]
    # a flag's outcome says how it ended: no decision, reason or route of a check on its row
    assert {(row["decision"], row["reason"], row["route"]) for row in flags} == {("", "", "")}
    assert [row["direction"] for row in rows if row["kind"] == "check"] == [
        "entry", "entry", "entry", "entry", "entry", "exit"
    ]  # fmt: skip


def test_another_record_is_exported_with_record_and_the_format_in_any_case(
    config_file: Path, tmp_path: Path
) -> None:
    """A copy of the record elsewhere (a simulation's, a backup): ``--record`` reads it
    instead of the config's; ``HTML`` is ``html``."""
    other = tmp_path / "copy.sqlite"
    copy = Record(other)
    copy.add_check(check("only", at(FIRST_DAY, "10:00:00"), gate=GATE), [])
    copy.close()
    out = tmp_path / "copy.html"
    assert export(config_file, "--record", str(other), "--from", FIRST_DAY, "--to", FIRST_DAY,
                  "--format", "HTML", "--lang", "en", "--output", str(out)) == 0  # fmt: skip
    page = out.read_text(encoding="utf-8")
    assert 'data-event="only"' in page and 'data-event="c1"' not in page
    assert escape(f"from the gate's record {other} by") in page  # printed from where


def test_one_day_exports_that_day_alone(config_file: Path, tmp_path: Path) -> None:
    rows = exported_csv(config_file, tmp_path, SECOND_DAY, SECOND_DAY)
    assert [(row["kind"], row["event_id"]) for row in rows] == [("check", "d2")]


def test_the_record_is_read_while_the_gate_holds_it_open_for_writing(
    tmp_path: Path,
) -> None:
    write_record(tmp_path / "record.sqlite")
    config_file = gate_toml(tmp_path, tmp_path / "record.sqlite")
    gate = Record(tmp_path / "record.sqlite")  # the running gate's connection
    try:
        gate.add_check(check("late", 1_796_000_000.0, person_id="W9", gate=GATE), [])
        rows = exported_csv(config_file, tmp_path, "2026-11-30", "2026-11-30")
        assert [row["person_id"] for row in rows] == ["W9"]
        # the export left no lock behind: the gate's next check is written at once
        gate.add_check(check("later", 1_796_000_060.0, person_id="W10", gate=GATE), [])
        assert {"late", "later"} <= {c["event_id"] for c in gate.checks()}
    finally:
        gate.close()


def test_the_page_has_a_sheet_per_day_with_totals_from_its_rows(config_file: Path) -> None:
    out = config_file.parent / "record.html"
    assert export(config_file, "--from", FIRST_DAY, "--to", SECOND_DAY, "--format", "html",
                  "--lang", "en", "--output", str(out)) == 0  # fmt: skip
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="day"') == 2
    assert page.count("Times are Asia/Shanghai (UTC+08:00)") == 2  # once per sheet
    assert "Isolation room 2, east gatehouse" in page


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", SECOND_DAY, "--to", FIRST_DAY], "--from 2026-11-06 is after --to 2026-11-05"),
        (["--from", FIRST_DAY, "--to", FIRST_DAY, "--format", "xls"], "--format: expected csv"),
        (["--from", FIRST_DAY, "--to", FIRST_DAY, "--lang", "fr"], "--lang: expected zh or en"),
        (["--from", "2020-01-01", "--to", "2026-01-01"], "more than 366 days"),
        (["--from", "2026-12/01", "--to", FIRST_DAY], "--from: expected a date YYYY-MM-DD"),
        # a day the calendar lacks is named as such, not as a wrong shape
        (["--from", "2026-11-31", "--to", FIRST_DAY], "--from: no such day: 2026-11-31"),
        # nothing is recorded after today (the park's day): a typo of the year, most likely
        (["--from", FIRST_DAY, "--to", "2036-12-06"], "--to 2036-12-06 is after today"),
    ],
)
def test_what_cannot_be_exported_is_refused_in_one_line(
    config_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    assert export(config_file, *args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and said in captured.err


def test_a_missing_or_foreign_record_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = gate_toml(tmp_path, tmp_path / "record.sqlite")
    assert export(config_file, "--from", FIRST_DAY, "--to", FIRST_DAY) == 2
    assert "no record here (record.path in" in capsys.readouterr().err
    (tmp_path / "record.sqlite").write_bytes(b"a roster, saved over the record by mistake\n" * 50)
    assert export(config_file, "--from", FIRST_DAY, "--to", FIRST_DAY) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a record that can be read" in err
    (tmp_path / "record.sqlite").unlink()
    sqlite3.connect(tmp_path / "record.sqlite").execute("CREATE TABLE other (x)").connection.close()
    assert export(config_file, "--from", FIRST_DAY, "--to", FIRST_DAY) == 2
    assert "not a gate's record" in capsys.readouterr().err


def test_what_a_gate_recorded_is_printed_as_text_never_as_markup() -> None:
    hostile = "<script>alert(1)</script>"
    line = CheckLine("e1", GATE, 1_796_000_000.0, hostile, "green", 33.0, 36.6, "pass",
                     "admit", "admitted", "through")  # fmt: skip
    day = PrintedDay("p", GATE, date(2026, 12, 1), ZONE, (line,))
    page = render_html([day], "en", Printing(1_796_000_000.0, "centre", hostile))
    assert hostile not in page and "&lt;script&gt;" in page


def test_a_record_of_the_first_schema_is_exported_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    """Read-only: an old record is read as it is (its missing columns empty), not upgraded as
    the gate would upgrade it on opening."""
    path = tmp_path / "record.sqlite"
    earlier_record(path, min(EARLIER_SCHEMAS), gate=GATE, epoch_s=at(FIRST_DAY, "08:30:00"))
    written = path.read_bytes()
    rows = exported_csv(gate_toml(tmp_path, path), tmp_path, FIRST_DAY, FIRST_DAY)
    assert [(row["event_id"], row["estimated_core_c"], row["screened_c"]) for row in rows] == [
        ("old-1", "36.6", "")
    ]
    assert path.read_bytes() == written and not list(tmp_path.glob("*.bak"))


def test_a_newer_record_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "record.sqlite"
    write_record(path)
    with sqlite3.connect(path) as newer:
        newer.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    newer.close()
    assert export(gate_toml(tmp_path, path), "--from", FIRST_DAY, "--to", FIRST_DAY) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newer than this software's" in err


def test_a_pdf_that_cannot_be_made_here_says_what_to_install(
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "record.pdf"
    asked = ["--from", FIRST_DAY, "--to", FIRST_DAY, "--format", "pdf", "--output", str(out)]
    monkeypatch.setenv("PATH", str(tmp_path))  # no Chromium anywhere
    assert export(config_file, *asked, "--lang", "en") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--format pdf needs Chromium" in err
    # Chromium, but fontconfig knows no Chinese font: a Chinese PDF would print empty boxes
    (tmp_path / "chromium").symlink_to("/usr/bin/chromium")
    (tmp_path / "fc-list").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    (tmp_path / "fc-list").chmod(0o755)
    assert export(config_file, *asked, "--lang", "zh") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fonts-noto-cjk" in err
    assert not out.exists()
