"""The record's typed rows: what it hands back is a dataclass, not a database row."""

from __future__ import annotations

from pathlib import Path

from terminal.record.store import (
    CommandRow,
    DailyReportRow,
    EmergencyRow,
    FaultRow,
    ForeheadReading,
    Hold,
    OutboxMessage,
    Record,
    RestRow,
)
from tests.support.records import check


def test_recent_readings_are_the_finished_measurements_since_then(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        done = {"measure_state": "done", "object_c": 34.1, "ambient_c": 21.0, "distance_cm": 4.0}
        record.add_check(check("old", 100.0, **done), [])
        record.add_check(check("new", 200.0, **done), [])
        record.add_check(check("closer", 300.0, measure_state="come_closer", object_c=30.0), [])
        assert record.recent_readings(150.0) == [ForeheadReading(34.1, 21.0, 4.0, 200.0, "W1")]
        # the screening replays whose reading it was, at which stage, and what it said
        judged = {"screening": "rest_pass", "screening_stage": "rested", "reference_c": 33.7}
        record.add_check(check("rested", 400.0, person_id="W2", **done, **judged), [])
        assert record.recent_readings(350.0) == [
            ForeheadReading(34.1, 21.0, 4.0, 400.0, "W2", "rested", "rest_pass", 33.7)
        ]
    finally:
        record.close()


def told_to_rest(event_id: str, told_at_s: float) -> RestRow:
    return RestRow(event_id, "W1", "f" * 64, told_at_s, told_at_s + 300, told_at_s + 1200, 34.9, 19)


def test_a_rest_is_written_with_its_check_and_closed_once(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        told = {"decision": "deny", "reason": "rest", "route": "rest"}
        record.add_check(check("r", 100.0, **told), [], rest=told_to_rest("r", 100.0))
        assert record.open_rest("W1") == told_to_rest("r", 100.0)
        assert record.open_rest("W9") is None and record.expired_rests(1_300.0) == []
        # the rested scan closes it as returned, in its own transaction
        record.add_check(check("back", 500.0), [], returned_from="r")
        assert record.open_rest("W1") is None
        (rest,) = record.rests()
        assert (rest["status"], rest["closed_at_s"], rest["closed_by"]) == (
            "returned",
            500.0,
            "back",
        )
        # closed once: a late housekeeping does not rewrite how it ended
        record.close_rest_not_returned("r", 2_000.0, [])
        assert record.rests()[0]["status"] == "returned"
    finally:
        record.close()


def test_a_rest_nobody_came_back_to_is_kept_until_it_is_closed(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        told = {"decision": "deny", "reason": "rest", "route": "rest"}
        record.add_check(check("r", 100.0, **told), [], rest=told_to_rest("r", 100.0))
        assert [r.event_id for r in record.expired_rests(1_301.0)] == ["r"]
        # the retention purge does not forget a rest housekeeping has yet to report
        record.purge_before(10_000.0)
        assert [r["status"] for r in record.rests()] == ["open"]
        record.close_rest_not_returned("r", 1_301.0, [OutboxMessage("t/alert/not_returned", "{}")])
        assert record.count_unsent("not_returned") == 1
        record.purge_before(10_000.0)
        assert record.rests() == []
    finally:
        record.close()


def test_an_alarm_still_sounding_and_its_end(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        alarm = {"event_id": "e1", "started_s": 10.0, "detail": "panel"}
        record.add_event("e1", [], 10.0, table="emergencies", rows=[alarm])
        assert record.open_emergency() == EmergencyRow(1, "e1", 10.0, None, "panel")
        record.end_emergency("e2", [OutboxMessage("t/alert/emergency_over", "{}")], 70.0)
        assert record.open_emergency() is None
        assert record.rows("emergencies")[0]["ended_s"] == 70.0
        assert [m["event_id"] for m in record.outbox()] == ["e2"]
    finally:
        record.close()


def test_faults_commands_and_reports_are_written_with_their_messages(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        message = OutboxMessage("t/event/fault", "{}")
        record.add_faults("f", [message], 5.0, [FaultRow("f1", "record_full", True, 1.0)])
        command = CommandRow("c1", "lockdown", "desk", "k1", True, "done", None, 6.0, 60.0)
        record.add_command("r", OutboxMessage("t/event/command_result", "{}"), command)
        report = DailyReportRow("2026-11-23", "d", '{"checks": 0}', 7.0)
        record.add_daily_report(report, OutboxMessage("t/report/daily", "{}"))
        assert record.day_counts(0.0, 10.0)["faults"] == 1
        assert record.command_seen("c1") and record.commands()[0]["verified"] == 1
        assert record.daily_report("2026-11-23") == '{"checks": 0}'
        assert [(m["event_id"], m["seq"]) for m in record.outbox()] == [
            ("f", 1),
            ("r", 2),
            ("d", 3),
        ]
        assert record.writes_added == 3
    finally:
        record.close()


def test_a_driver_whose_vehicle_never_came_holds_nothing_more(tmp_path: Path) -> None:
    record = Record(tmp_path / "gate.sqlite")
    try:
        record.add_check(check("a1", 100.0), [], hold=Hold("fp", "W1", 1_000.0))
        assert record.held_by("fp", "W1", 200.0) == "a1"
        lapsed = {"event_id": "v", "at_s": 200.0, "decision": "deny", "reason": "no_vehicle"}
        record.add_event("v", [], 200.0, table="vehicles", rows=[lapsed], ends_hold_of="a1")
        assert record.held_by("fp", "W1", 201.0) is None
    finally:
        record.close()
