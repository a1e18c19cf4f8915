"""The record's schema version: every earlier record is upgraded (and copied aside first), a
newer one is refused in one line and left as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminal.record.schema import backup_path
from terminal.record.store import (
    SCHEMA_VERSION,
    CheckRow,
    OutboxMessage,
    PassageRow,
    Record,
    RecordTooNew,
)
from tests.record_schemas import EARLIER_SCHEMAS
from tests.support.cli import REPO, run
from tests.support.records import check, earlier_record


def schema_of(path: Path) -> dict[str, set[str]]:
    """Every table and index of the file, and each table's columns."""
    with sqlite3.connect(path) as db:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master ORDER BY name")]
        shape = {
            name: {row[1] for row in db.execute(f'PRAGMA table_info("{name}")')} for name in names
        }
    db.close()
    return shape


def version_of(path: Path) -> int:
    with sqlite3.connect(path) as db:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
    db.close()
    return version


@pytest.mark.parametrize("version", sorted(EARLIER_SCHEMAS))
def test_a_record_of_every_earlier_schema_is_upgraded_and_keeps_its_checks(
    tmp_path: Path, version: int
) -> None:
    fresh = tmp_path / "fresh.sqlite"
    Record(fresh).close()
    path = tmp_path / f"v{version}.sqlite"
    earlier_record(path, version)
    record = Record(path)
    try:
        assert record.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (kept,) = record.checks()
        assert (kept["event_id"], kept["person_id"], kept["direction"]) == ("old-1", "W1", None)
        # what the gate writes now lands in the upgraded file as in a new one
        record.add_check(
            check("new-1", 2_000.0, direction="entry"),
            [OutboxMessage("t/check", "{}")],
            passage=PassageRow("new-1", "check", "W1", 2_000.0, 8.0, "passed", zone="hall"),
        )
        assert [c["event_id"] for c in record.checks()] == ["old-1", "new-1"]
        assert record.occupancy("hall") == 1
        lapsed = {"event_id": "v", "at_s": 2_001.0, "decision": "deny", "reason": "no_vehicle"}
        record.add_event("v", [], 2_001.0, table="vehicles", rows=[lapsed])
        assert record.rows("vehicles")[0]["plate"] is None
    finally:
        record.close()
    assert schema_of(path) == schema_of(fresh)


@pytest.mark.parametrize("version", sorted(EARLIER_SCHEMAS))
def test_an_upgrade_copies_the_earlier_record_aside_first(tmp_path: Path, version: int) -> None:
    path = tmp_path / "gate.sqlite"
    earlier_record(path, version)
    before = schema_of(path)
    Record(path).close()
    backup = backup_path(path, version)
    assert backup.name == f"gate.sqlite.schema-{version}.bak"
    # the copy is the file as the earlier software left it: the way back to that version
    assert version_of(backup) == version and schema_of(backup) == before
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT event_id FROM checks").fetchall() == [("old-1",)]
    old.close()
    # opening the upgraded record again neither copies it nor touches the copy
    stamp = backup.stat().st_mtime_ns
    Record(path).close()
    assert backup.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == [backup.name]


def test_a_new_record_is_not_copied(tmp_path: Path) -> None:
    Record(tmp_path / "gate.sqlite").close()
    Record(tmp_path / "gate.sqlite").close()
    assert list(tmp_path.glob("*.bak")) == []


def newer_record(path: Path) -> bytes:
    """A record a newer version of the software left: one schema ahead, with a table of its
    own. Returns the file's bytes."""
    record = Record(path)
    record.add_check(check("kept"), [OutboxMessage("t/check", "{}")])
    record.close()
    with sqlite3.connect(path) as newer:
        newer.execute("CREATE TABLE later (id INTEGER PRIMARY KEY, what TEXT)")
        newer.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    newer.close()
    return path.read_bytes()


def test_a_record_of_a_newer_schema_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "gate.sqlite"
    written = newer_record(path)
    with pytest.raises(RecordTooNew) as refused:
        Record(path)
    said = str(refused.value)
    assert "\n" not in said
    assert f"schema {SCHEMA_VERSION + 1}" in said and f"this software's {SCHEMA_VERSION}" in said
    assert path.read_bytes() == written
    assert not list(tmp_path.glob("*.bak"))
    assert version_of(path) == SCHEMA_VERSION + 1


def test_the_command_line_refuses_a_newer_record_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "gate.sqlite"
    written = newer_record(path)
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    config = tmp_path / "gate.toml"
    config.write_text(
        text.replace('path = "../var/simulator-record.sqlite"', f'path = "{path}"'),
        encoding="utf-8",
    )
    done = run("report", "--date", "2026-11-23", "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "newer than this software's" in done.stderr
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == written


def test_the_check_row_fills_every_column_of_the_checks_table(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        columns = {row[1] for row in record.db.execute("PRAGMA table_info(checks)")}
    finally:
        record.close()
    assert columns == set(CheckRow.__dataclass_fields__)
