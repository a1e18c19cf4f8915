"""The daily zero-report: sent at the configured local time even when every count is zero, kept
in the record, printed by ``gate-terminal report``."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from terminal.app.daily import DailyReporter, format_report
from terminal.link.topics import Messages
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.cli import REPO, run
from tests.support.commands import Station, command_config
from tests.support.people import person

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)


def at(hour: int, minute: int = 0, day: date = DAY) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).timestamp()


def reporter(tmp_path: Path, record: Record) -> DailyReporter:
    config = make_config(tmp_path, report={"daily_at": "18:00"})
    messages = Messages("test-park", "gate-t", boot_id="boot-test-1", timezone="Asia/Shanghai")
    return DailyReporter(config, record, messages)


def sent_reports(record: Record) -> list[dict]:
    return [
        json.loads(m["payload"]) for m in record.outbox() if m["topic"].endswith("report/daily")
    ]


def test_a_quiet_day_still_gets_its_report_at_the_set_time(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    record.start_boot("boot-test-1", at(8))
    daily = reporter(tmp_path, record)
    record.alive("boot-test-1", at(17, 59))
    assert daily.send_due(at(17, 59)) == 0  # not yet
    record.alive("boot-test-1", at(18))
    assert daily.send_due(at(18)) == 1
    assert daily.send_due(at(18, 30)) == 0  # once a day
    [report] = sent_reports(record)
    assert report["schema"] == "gate.report.daily/1" and report["seq"] == 1
    data = report["data"]
    assert data["date"] == "2026-11-23" and data["checks"] == 0 and data["admitted"] == 0
    assert data["denied_by_reason"] == {} and data["fevers_confirmed"] == 0
    assert data["uptime_s"] == 10 * 3600  # 08:00 to 18:00
    assert record.daily_report("2026-11-23") is not None  # kept in the record too


def test_a_day_the_gate_was_off_at_report_time_is_reported_when_it_is_back(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    record.start_boot("boot-1", at(8))
    record.alive("boot-1", at(12))  # a power cut at noon, back the next morning
    daily = reporter(tmp_path, record)
    next_morning = at(7, day=date(2026, 11, 24))
    assert daily.due(next_morning) == [DAY]
    daily.send_due(next_morning)
    assert [r["data"]["uptime_s"] for r in sent_reports(record)] == [4 * 3600]


def test_the_report_counts_the_days_checks(tmp_path: Path) -> None:
    config = command_config(tmp_path, report={"daily_at": "18:00"})
    people = [
        person("A", 0),
        person("F", 20, core_c=38.7),
        person("Y", 40, "yellow"),
        person("N", 60, "none"),
    ]
    station = Station(config, people, tmp_path)
    station.send("set_risk_tier", {"tier": "medium"})  # yellow: a secondary check
    station.run_until(4)
    # the guard confirms the fever at the secondary check
    (flag,) = [c["event_id"] for c in station.record.checks() if c["reason"] == "secondary_check"]
    fever = {"flag_id": flag, "result": "fever", "clinical_c": 38.6, "guard": "guard-1"}
    assert station.send("resolve_secondary", fever).outcome == "done"
    station.record.start_boot("boot-test-1", at(7))
    station.record.alive("boot-test-1", at(18))
    data = DailyReporter(station.config, station.record, station.messages).make(DAY, at(18))
    assert (data.checks, data.admitted) == (4, 1)
    assert data.denied_by_reason == {"code_yellow": 1, "no_code": 1, "secondary_check": 1}
    # two sent to a secondary check (the flag, the yellow code under the medium tier); alerts:
    # the flag's and the confirmed fever's
    assert (data.fevers_confirmed, data.secondary_checks, data.flags) == (1, 2, 2)
    # without a passage contact, A's admission went through unconfirmed
    assert data.passages_by_outcome == {"unconfirmed": 1}
    assert data.passages_by_direction == {"entry": 1}


def test_the_report_counts_passages_by_outcome_and_direction(tmp_path: Path) -> None:
    passage = {"pin": 5, "window_s": 6.0}
    config = command_config(tmp_path, report={"daily_at": "18:00"}, inputs={"passage": passage})
    people = [person("A", 0), person("B", 20, passes=False), person("C", 40)]
    station = Station(config, people, tmp_path)
    for _ in range(200_000):
        if station.rig.world.done and not station.gate.passages.waiting:
            break
        station.gate.poll()
    station.record.start_boot("boot-test-1", at(7))
    station.record.alive("boot-test-1", at(18))
    data = DailyReporter(station.config, station.record, station.messages).make(DAY, at(18))
    assert data.passages_by_outcome == {"not_passed": 1, "passed": 2}
    assert data.passages_by_direction == {"entry": 2}  # B turned back: not through
    text = format_report(data, kept=True)
    assert "  passages             3\n" in text
    assert "    not_passed         1\n" in text and "    passed             2\n" in text
    assert "    through, entry     2\n" in text


def test_gate_terminal_report_prints_the_kept_report(tmp_path: Path) -> None:
    record_path = tmp_path / "gate.sqlite"
    record = Record(record_path)
    record.start_boot("boot-test-1", at(8))
    record.alive("boot-test-1", at(18))
    reporter(tmp_path, record).send_due(at(18))
    record.close()
    text = (REPO / "config" / "simulator.toml").read_text(encoding="utf-8")
    config = tmp_path / "gate.toml"
    config.write_text(
        text.replace('path = "../var/simulator-record.sqlite"', f'path = "{record_path}"'),
        encoding="utf-8",
    )
    done = run("report", "--date", "2026-11-23", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "Daily report 2026-11-23 (Asia/Shanghai)" in done.stdout
    assert "checks               0" in done.stdout and "gate uptime          10.00 h" in done.stdout
    assert "not yet sent" not in done.stdout
    later = run("report", "--date", "2026-11-24", "--config", str(config), "--json")
    assert later.returncode == 0 and json.loads(later.stdout)["checks"] == 0
    bad = run("report", "--date", "23/11/2026", "--config", str(config))
    assert bad.returncode == 2 and "expected a date YYYY-MM-DD" in bad.stderr
