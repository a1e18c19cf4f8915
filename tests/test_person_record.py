"""A person's own data in the gate's record (a real SQLite file): their copy holds every row about
them and nobody else's; erasure leaves no table or column holding their id or their code's
fingerprint, keeps the record's shape and daily counts when it pseudonymises, and deletes where
the park may."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from terminal.link.topics import Messages
from terminal.record.schema import Table
from terminal.record.store import TABLES, CommandRow, Hold, PassageRow, Record, RestRow
from tests.support.records import check

ERASED = "W-erase-7"
KEPT = "W-keep-2"
FINGERPRINT = "f" * 64
PSEUDONYM = "erased-0a1b2c3d"
DAY = (0.0, 86_400.0)


def _messages() -> Messages:
    return Messages("p", "g", boot_id="boot-test-1", timezone="Asia/Shanghai")


def _day_of(record: Record, person: str, first_s: float, fingerprint: str) -> None:
    ids = f"ev{int(first_s)}"  # event ids are the gate's own, never the person's
    """A working day of one person at a vehicle gate: told to rest, rested and flagged to the
    guard, admitted by the guard, through the turnstile, driving a lorry in."""
    messages = _messages()
    told = check(f"{ids}-c1", first_s, person_id=person, code_fingerprint=fingerprint,
                 decision="deny", reason="rest", route="rest", screening="rest")  # fmt: skip
    rest = RestRow(f"{ids}-c1", person, fingerprint, first_s, first_s + 300, first_s + 900,
                   34.1, 19.0)  # fmt: skip
    record.add_check(told, [messages.check(told)], rest=rest)
    flagged = check(f"{ids}-c2", first_s + 400, person_id=person, code_fingerprint=fingerprint,
                    decision="deny", reason="secondary_check", route="secondary_check",
                    screening="rest_guard", why="34.6 °C against 34.0 °C")  # fmt: skip
    record.add_check(
        flagged, [messages.check(flagged), messages.alert(flagged, "secondary_check")],
        returned_from=f"{ids}-c1",
    )  # fmt: skip
    step = {"flag_id": f"{ids}-c2", "at_s": first_s + 500, "step": "clinical_reading",
            "by": "guard-1", "clinical_c": 36.9, "detail": f"{person} says he ran"}  # fmt: skip
    record.add_event(f"{ids}-s1", [], first_s + 500, table="secondary_steps", rows=[step])
    passage = PassageRow(f"{ids}-c2", "guard", person, first_s + 510, 8.0, "passed",
                         first_s + 512, first_s + 512, "entry", "hall")  # fmt: skip
    record.add_event(
        f"{ids}-a1", [messages.passage(passage, first_s + 510)], first_s + 510,
        hold=Hold(fingerprint, person, first_s + 4000), passage=passage,
    )  # fmt: skip
    vehicle = {"event_id": f"{ids}-v1", "at_s": first_s + 600, "plate": "京A12345",
               "driver": person, "purpose": f"deliveries for {person}", "decision": "admit",
               "reason": "admitted", "driver_check_id": f"{ids}-c2", "by": "guard-1",
               "command_id": None, "source": "command"}  # fmt: skip
    record.add_event(
        f"{ids}-v1", [messages.vehicle(f"{ids}-v1", first_s + 600, vehicle)],
        first_s + 600, table="vehicles", rows=[vehicle],
    )  # fmt: skip
    answer = CommandRow(f"cmd-{ids}", "vehicle_entry", "officer", "centre-1", True, "done",
                        f"vehicle admitted for driver {person}", first_s + 600, None)  # fmt: skip
    record.add_command(f"{ids}-r1", messages.check(told), answer)


@pytest.fixture
def record(tmp_path: Path) -> Record:
    record = Record(tmp_path / "record.sqlite")
    _day_of(record, ERASED, 1_000.0, FINGERPRINT)
    _day_of(record, KEPT, 2_000.0, "e" * 64)
    # the first day's first messages reached the broker; the rest wait
    record.mark_sent([row["id"] for row in record.outbox()[:2]], 3_000.0)
    return record


def _holding(record: Record, text: str) -> list[str]:
    """Every table.column of the record (all of them, whatever a later version adds) with a
    value that holds ``text``."""
    found = []
    for table in record.db.table_names():
        for column in record.db.table(table).columns_dict:
            hits = record.db.execute(
                f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?) > 0',
                [text],
            ).fetchone()[0]
            if hits:
                found.append(f"{table}.{column}")
    return found


def _rows_of_other(record: Record) -> dict[str, list[dict[str, Any]]]:
    return record.person_data(KEPT)


def test_a_persons_copy_holds_every_row_about_them_and_nobody_elses(record: Record) -> None:
    data = record.person_data(ERASED)
    assert set(data) == {
        "checks", "rests", "secondary_steps", "passages", "holds", "vehicles", "outbox",
        "commands",
    }  # fmt: skip
    assert [c["event_id"] for c in data["checks"]] == ["ev1000-c1", "ev1000-c2"]
    # the guard's steps name no person: they are theirs by the flag
    assert data["secondary_steps"][0]["clinical_c"] == 36.9
    assert data["vehicles"][0]["plate"] == "京A12345"
    assert KEPT not in json.dumps(data, ensure_ascii=False)
    # their messages, sent or not, are theirs too
    assert {bool(row["sent_s"]) for row in data["outbox"]} == {True, False}


def test_pseudonymising_leaves_no_trace_of_the_person_and_the_days_counts_as_they_were(
    record: Record,
) -> None:
    counts_before = record.day_counts(*DAY)
    rows_before = {t.name: record.db.table(t.name).count for t in TABLES}
    other_before = _rows_of_other(record)
    assert _holding(record, ERASED) and _holding(record, FINGERPRINT)

    counts = record.erase_person(ERASED, PSEUDONYM, "pseudonymise")

    assert _holding(record, ERASED) == [] and _holding(record, FINGERPRINT) == []
    assert counts.deleted == {} and counts.pseudonymised["checks"] == 2
    assert ERASED not in counts.summary()
    assert record.day_counts(*DAY) == counts_before
    assert {t.name: record.db.table(t.name).count for t in TABLES} == rows_before
    assert _rows_of_other(record) == other_before
    kept = record.person_data(PSEUDONYM)
    first, second = kept["checks"]
    assert (first["temperature_c"], second["reason"], second["epoch_s"]) == (
        36.6, "secondary_check", 1_400.0,
    )  # fmt: skip
    assert first["code_fingerprint"] == PSEUDONYM
    # what the guard wrote about them is gone; what they drove, when, is not
    assert kept["secondary_steps"][0]["detail"] == f"{PSEUDONYM} says he ran"
    assert (kept["vehicles"][0]["purpose"], kept["vehicles"][0]["plate"]) == (None, "京A12345")
    # the messages still to send go out under the pseudonym, valid for the contract
    waiting = [json.loads(m["payload"]) for m in record.outbox() if m["sent_s"] is None]
    assert any(m["data"].get("person_id") == PSEUDONYM for m in waiting)
    # the zone still counts them inside, under the pseudonym
    assert [p["person_id"] for p in record.people_inside("hall")] == [PSEUDONYM, KEPT]


def test_deleting_takes_their_rows_but_sends_the_waiting_messages_pseudonymised(
    record: Record,
) -> None:
    waiting_before = record.count_unsent()
    counts = record.erase_person(ERASED, PSEUDONYM, "delete")
    assert _holding(record, ERASED) == [] and _holding(record, FINGERPRINT) == []
    assert counts.deleted["checks"] == 2 and record.person_data(PSEUDONYM)["outbox"]
    assert record.count_unsent() == waiting_before
    assert record.day_counts(*DAY)["checks"] == 2  # the other person's
    assert [c["person_id"] for c in record.checks()] == [KEPT, KEPT]


def _filled(table: Table, n: int) -> dict[str, Any]:
    """A row of ``table`` whose every text column mentions the person (in JSON where it is a
    payload), whatever the table: a table added later is filled too."""
    row: dict[str, Any] = {}
    for name, kind in table.columns.items():
        if kind is str:
            row[name] = (
                json.dumps({"data": {"person_id": ERASED}, "seq": n})
                if name == "payload"
                else f"{ERASED} note {n}"
            )
        else:
            row[name] = kind(n)
    return row


def test_no_table_or_column_can_keep_the_persons_id_after_erasure(tmp_path: Path) -> None:
    record = Record(tmp_path / "record.sqlite")
    with record.db.conn:
        for n, table in enumerate(TABLES, start=1):
            record.db.table(table.name).insert(_filled(table, n))
    assert len(_holding(record, ERASED)) == sum(
        1 for t in TABLES for kind in t.columns.values() if kind is str
    )
    record.erase_person(ERASED, PSEUDONYM, "pseudonymise")
    assert _holding(record, ERASED) == []
    # a longer id that merely begins with theirs is somebody else
    other = Record(tmp_path / "other.sqlite")
    other.add_check(check("x1", person_id=f"{ERASED}5"), [])
    other.erase_person(ERASED, PSEUDONYM, "pseudonymise")
    assert other.checks()[0]["person_id"] == f"{ERASED}5"


@pytest.mark.parametrize("pseudonym", ["W1", "erased-XYZ", "erased-0a1b2c3d9"])
def test_a_pseudonym_that_could_be_an_id_is_refused(record: Record, pseudonym: str) -> None:
    with pytest.raises(ValueError, match="pseudonym"):
        record.erase_person(ERASED, pseudonym, "pseudonymise")
    assert record.person_data(ERASED)["checks"]


def test_someone_elses_row_that_mentions_them_is_kept_and_not_given_away(record: Record) -> None:
    """Someone else's check on the person's code (passed over the fence), and a roll call
    naming them with others: not theirs to take away, nor to have."""
    messages = _messages()
    passed_on = check("ev9000-c1", 9_000.0, person_id="W-other", code_fingerprint=FINGERPRINT)
    roll_call = {"zone": "hall", "inside_count": 2, "inside": [
        {"person_id": ERASED, "since": "2026-11-23T08:00:00+08:00", "gate": "g"},
        {"person_id": KEPT, "since": "2026-11-23T08:01:00+08:00", "gate": "g"},
    ]}  # fmt: skip
    alarm = messages.gate_alert("emergency", 9_100.0, "fire alarm", "ev9100-e1", roll_call)
    record.add_check(passed_on, [messages.check(passed_on), alarm])
    record.mark_sent([row["id"] for row in record.outbox()], 9_200.0)

    copy = record.person_data(ERASED)
    theirs = next(c for c in copy["checks"] if c["event_id"] == "ev9000-c1")
    assert theirs["person_id"] == "(another person)"
    assert KEPT not in json.dumps(copy) and "W-other" not in json.dumps(copy)

    record.erase_person(ERASED, PSEUDONYM, "delete")
    kept = {c["event_id"]: c for c in record.checks()}
    assert kept["ev9000-c1"]["code_fingerprint"] == PSEUDONYM
    sent_alarm = next(
        json.loads(m["payload"]) for m in record.outbox() if m["topic"].endswith("emergency")
    )
    assert [p["person_id"] for p in sent_alarm["data"]["inside"]] == [PSEUDONYM, KEPT]
