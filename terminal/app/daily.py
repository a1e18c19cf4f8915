"""The daily zero-report: at a configured local time, the day's counts go to ``report/daily``
(sent even when every count is zero: silence would not tell a quiet gate from a dead one), and
are kept in the record; ``gate-terminal report --date D`` prints them."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from terminal.config import Config
from terminal.link.contract import DailyReportData
from terminal.link.topics import Messages, new_event_id
from terminal.record.store import DailyReportRow, Record

log = logging.getLogger(__name__)


def day_bounds(day: date, timezone: str) -> tuple[float, float]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0, 0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
    return start.timestamp(), end.timestamp()


def report_data(
    record: Record, config: Config, day: date, until_s: float | None = None
) -> DailyReportData:
    start_s, end_s = day_bounds(day, config.gate.timezone)
    if until_s is not None:
        end_s = min(end_s, until_s)
    counts = record.day_counts(start_s, end_s)
    return DailyReportData(
        date=day,
        timezone=config.gate.timezone,
        uptime_s=round(record.uptime_s(start_s, end_s), 1),
        **counts,
    )


class DailyReporter:
    def __init__(self, config: Config, record: Record, messages: Messages) -> None:
        self.config = config
        self.record = record
        self.messages = messages
        hours, minutes = (int(x) for x in config.report.daily_at.split(":"))
        self._at = time(hours, minutes)
        self._zone = ZoneInfo(config.gate.timezone)

    def due(self, now_s: float) -> list[date]:
        """Days whose report is due and not yet made: today once its time has come, and
        yesterday when the gate was off at that time."""
        local = datetime.fromtimestamp(now_s, self._zone)
        days = [local.date() - timedelta(days=1)]
        if local.time() >= self._at:
            days.append(local.date())
        due = []
        for day in days:
            if self.record.daily_report(day.isoformat()) is not None:
                continue
            if day < local.date():
                start_s, end_s = day_bounds(day, self.config.gate.timezone)
                if self.record.uptime_s(start_s, end_s) <= 0:
                    continue  # the gate did not run that day: nothing of it to report late
            due.append(day)
        return due

    def send_due(self, now_s: float) -> int:
        made = 0
        for day in self.due(now_s):
            self.make(day, now_s)
            made += 1
        return made

    def make(self, day: date, now_s: float) -> DailyReportData:
        data = report_data(self.record, self.config, day, until_s=now_s)
        event_id = new_event_id()
        message = self.messages.daily_report(event_id, now_s, data)
        report = DailyReportRow(day.isoformat(), event_id, data.model_dump_json(), now_s)
        self.record.add_daily_report(report, message)
        log.info("daily report for %s sent (%d checks)", day.isoformat(), data.checks)
        return data


def stored_or_computed(record: Record, config: Config, day: date) -> tuple[DailyReportData, bool]:
    """The report kept in the record for ``day``; else computed now (not yet due). True when
    it was the kept one."""
    stored = record.daily_report(day.isoformat())
    if stored is not None:
        return DailyReportData.model_validate(json.loads(stored)), True
    return report_data(record, config, day), False


def format_report(data: DailyReportData, kept: bool) -> str:
    hours = data.uptime_s / 3600
    lines = [
        f"Daily report {data.date.isoformat()} ({data.timezone})"
        + ("" if kept else " - not yet sent; counted from the record now"),
        f"  checks               {data.checks}",
        f"  admitted             {data.admitted}",
        f"  denied               {sum(data.denied_by_reason.values())}",
    ]
    lines += [f"    {reason:<18} {n}" for reason, n in data.denied_by_reason.items()]
    lines += [
        f"  flags (alerts)       {data.flags}",
        f"  secondary checks     {data.secondary_checks}",
        f"  confirmed fevers     {data.fevers_confirmed}",
        f"  faults               {data.faults}",
        f"  passages             {sum(data.passages_by_outcome.values())}",
    ]
    lines += [f"    {outcome:<18} {n}" for outcome, n in data.passages_by_outcome.items()]
    lines += [
        f"    {'through, ' + direction:<18} {n}"
        for direction, n in data.passages_by_direction.items()
    ]
    lines += [f"  gate uptime          {hours:.2f} h"]
    return "\n".join(lines) + "\n"
