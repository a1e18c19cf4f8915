"""The written record: a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from terminal.record.store import SCHEMA_VERSION, OutboxMessage, PassageRow, Record
from tests.support.records import check


def test_wal_and_full_sync(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    assert record.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert record.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_check_and_its_messages_land_together(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    record.add_check(check(), [OutboxMessage("t/check", "{}"), OutboxMessage("t/alert", "{}")])
    assert [c["event_id"] for c in record.checks()] == ["e1"]
    assert [m["topic"] for m in record.outbox()] == ["t/check", "t/alert"]
    assert record.count_unsent() == 2


def test_a_failed_message_write_takes_the_check_with_it(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        record.add_check(check(), [OutboxMessage(None, "{}")])  # type: ignore[arg-type]
    assert record.checks() == []
    assert record.outbox() == []
    # nor did the seq move: the next message is the gate's first
    record.add_check(check(), [OutboxMessage("t/check", "{}")])
    assert [json.loads(m["payload"])["seq"] for m in record.outbox()] == [1]


def test_seq_counts_on_across_reopening_the_record(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    record = Record(path)
    record.add_check(check("a"), [OutboxMessage("t/check", "{}"), OutboxMessage("t/a", "{}")])
    record.close()
    record = Record(path)
    record.add_event("ev", [OutboxMessage("t/fault", '{"seq": 0}')], 1.0)
    assert [(m["seq"], json.loads(m["payload"])["seq"]) for m in record.outbox()] == [
        (1, 1),
        (2, 2),
        (3, 3),
    ]


@pytest.mark.slow  # starts a process
def test_a_check_survives_the_process_dying_without_closing(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    program = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from tests.support.records import check
        from terminal.record.store import OutboxMessage, Record
        from pathlib import Path
        Record(Path({str(path)!r})).add_check(check(), [OutboxMessage("t/check", "{{}}")])
        os._exit(9)  # killed: no close, no checkpoint (a power cut is what synchronous=FULL is for)
        """
    )
    assert subprocess.run([sys.executable, "-c", program]).returncode == 9
    record = Record(path)
    assert [c["event_id"] for c in record.checks()] == ["e1"]
    assert record.count_unsent() == 1


def test_sent_marks(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    record.add_check(check("e1"), [OutboxMessage("t", '{"n":1}')])
    record.add_check(check("e2"), [OutboxMessage("t", '{"n":2}')])
    first, second = record.unsent(10)
    record.mark_sent([first.id], at_s=2_000.0)
    assert [json.loads(row.payload)["n"] for row in record.unsent(10)] == [2]
    assert [row.payload for row in record.unsent(10, exclude=[second.id])] == []
    assert (record.count_sent(), record.count_unsent()) == (1, 1)


def test_retention_forgets_old_checks_but_never_an_undelivered_one(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    record.add_check(check("old-sent", epoch_s=100.0), [OutboxMessage("t", '{"n":"a"}')])
    record.add_check(check("old-unsent", epoch_s=100.0), [OutboxMessage("t", '{"n":"b"}')])
    record.add_check(check("new", epoch_s=5_000.0), [OutboxMessage("t", '{"n":"c"}')])
    record.mark_sent([record.unsent(1)[0].id], at_s=200.0)
    assert record.purge_before(1_000.0) == 1
    assert [c["event_id"] for c in record.checks()] == ["old-unsent", "new"]
    assert [json.loads(m["payload"])["n"] for m in record.outbox()] == ["b", "c"]


def test_a_check_waits_for_an_inspector_holding_the_file_instead_of_failing(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "r.sqlite"
    record = Record(path)
    record.add_check(check("before"), [])
    assert len(record.checks()) == 1  # the gate has read: its snapshot is now older than...
    inspector = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    inspector.execute("BEGIN IMMEDIATE")  # ...an export tool that takes the write lock
    inspector.execute("UPDATE outbox SET sent_s = sent_s")
    threading.Timer(0.3, lambda: inspector.execute("COMMIT")).start()
    record.add_check(check("during"), [OutboxMessage("t", "{}")])
    assert [c["event_id"] for c in record.checks()] == ["before", "during"]
    inspector.close()


def test_a_record_from_before_the_screening_columns_gains_them(tmp_path: Path) -> None:
    import sqlite3 as raw

    path = tmp_path / "old.sqlite"
    with raw.connect(path) as old:
        old.execute(
            "CREATE TABLE checks (event_id TEXT PRIMARY KEY, ts TEXT, epoch_s FLOAT, park TEXT, "
            "gate TEXT, person_id TEXT, code TEXT, temperature_c FLOAT, first_c FLOAT, "
            "sensor_fault TEXT, decision TEXT, reason TEXT, route TEXT, check_s FLOAT, "
            "processing_ms FLOAT)"
        )
        old.execute(
            "INSERT INTO checks VALUES ('old-1', '2026-01-01T00:00:00Z', 1.0, 'p', 'g', NULL, "
            "'green', 36.6, NULL, NULL, 'admit', 'admitted', 'through', 1.0, 1.0)"
        )
    record = Record(path)
    (kept,) = record.checks()
    assert kept["event_id"] == "old-1" and kept["object_c"] is None
    assert {"object_c", "ambient_c", "distance_cm", "estimate_mode", "reference_c"} <= set(kept)
    record.close()


# the files earlier versions of the gate left: without the shift refusal's next_window column,
# without the passage, override and fire alarm tables, or without either
EARLIER_RECORDS = {
    "before both": (2, True, True),
    "with shift windows, before passages": (2, False, True),
    "with passages, before shift windows": (3, True, False),
}


@pytest.mark.parametrize(
    ("user_version", "drop_column", "drop_tables"), EARLIER_RECORDS.values(), ids=EARLIER_RECORDS
)
def test_a_record_from_an_earlier_version_gains_the_newer_column_and_tables(
    tmp_path: Path, user_version: int, drop_column: bool, drop_tables: bool
) -> None:
    path = tmp_path / "old.sqlite"
    record = Record(path)
    record.add_check(check("old-1"), [])
    record.close()
    with sqlite3.connect(path) as older:  # as that version left the file
        if drop_column:
            older.execute("ALTER TABLE checks DROP COLUMN next_window")
        if drop_tables:
            for table in ("passages", "overrides", "emergencies"):
                older.execute(f"DROP TABLE {table}")
        older.execute(f"PRAGMA user_version={user_version}")
    record = Record(path)
    assert record.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    window = "2026-11-23T07:40+08:00/2026-11-23T08:00+08:00"
    record.add_check(check("new-1", 2_000.0, reason="shift_early", next_window=window), [])
    assert [(c["event_id"], c["next_window"]) for c in record.checks()] == [
        ("old-1", None),
        ("new-1", window),
    ]
    record.add_check(
        check("new-2", 3_000.0), [], passage=PassageRow("new-2", "check", "W1", 1.0, 8.0, "waiting")
    )
    record.close_passage("new-2", "passed", 3.0, [], passed_s=2.5)
    (row,) = record.passages()
    assert (row["outcome"], row["passed_s"], row["closed_s"]) == ("passed", 2.5, 3.0)
    assert record.rows("overrides") == [] and record.open_emergency() is None
    record.close()


def test_retention_forgets_old_passages_overrides_and_ended_alarms_only(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    for admission, at_s, outcome in (("a-old", 100.0, "passed"), ("a-wait", 100.0, "waiting")):
        record.add_check(
            check(admission, epoch_s=at_s),
            [],
            passage=PassageRow(admission, "check", "W1", at_s, 8.0, outcome),
        )
    record.add_check(
        check("a-new", epoch_s=5_000.0),
        [],
        passage=PassageRow("a-new", "check", "W1", 5_000.0, 8.0, "passed"),
    )
    override = {"event_id": "o1", "at_s": 100.0, "source": "staff_button", "by": "b", "reason": "r"}
    record.add_event("o1", [], 100.0, table="overrides", rows=[override])
    alarms = [
        {"event_id": "e-ended", "started_s": 100.0, "ended_s": 200.0, "detail": "drill"},
        {"event_id": "e-on", "started_s": 150.0, "ended_s": None, "detail": "cut wire"},
    ]
    record.add_event("e", [], 100.0, table="emergencies", rows=alarms)
    record.purge_before(1_000.0)
    assert [p["admission_id"] for p in record.passages()] == ["a-wait", "a-new"]
    assert record.rows("overrides") == []
    assert [e["event_id"] for e in record.rows("emergencies")] == ["e-on"]  # still sounding


def test_a_record_before_zones_counts_its_old_passages_as_entries_of_no_zone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.sqlite"
    record = Record(path)
    record.add_check(
        check("old-in", 100.0),
        [],
        passage=PassageRow("old-in", "check", "W1", 100.0, 8.0, "passed"),
    )
    record.close()
    with sqlite3.connect(path) as older:  # as schema 4 left the file
        for column in ("direction", "passback_of"):
            older.execute(f"ALTER TABLE checks DROP COLUMN {column}")
        older.execute("DROP INDEX IF EXISTS idx_passages_zone_person_id")
        for column in ("direction", "zone", "gate"):
            older.execute(f"ALTER TABLE passages DROP COLUMN {column}")
        older.execute("DROP TABLE zone_events")
        older.execute("PRAGMA user_version=4")
    record = Record(path)
    assert record.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (old,) = record.passages()
    assert (old["direction"], old["zone"], old["gate"]) == (None, None, None)
    assert record.occupancy("hall") == 0  # counted in no zone: nobody is inside by them
    # the new columns are written and read from now on
    record.add_check(
        check("in", 200.0, direction="entry"),
        [],
        passage=PassageRow(
            "in", "check", "W1", 200.0, 8.0, "passed", zone="hall", direction="entry"
        ),
    )
    assert record.occupancy("hall") == 1 and record.inside_since("hall", "W1") == "in"
    record.add_check(
        check("out", 300.0, direction="exit"),
        [],
        passage=PassageRow(
            "out", "check", "W1", 300.0, 8.0, "passed", zone="hall", direction="exit"
        ),
    )
    assert record.occupancy("hall") == 0 and record.inside_since("hall", "W1") is None
    assert [c["direction"] for c in record.checks()] == [None, "entry", "exit"]
    assert record.occupancy_over_time("hall") == [(200.0, 1), (300.0, 0)]
    record.add_event("z", [], 400.0, table="zone_events", rows=[{"at_s": 400.0, "kind": "cut_off"}])
    record.close()
