"""The printed record as one CSV file: a row per check, per secondary check (flag) and per
vehicle, told apart by the ``kind`` column; each kind fills its own columns and leaves the others
empty. Times are ISO 8601 with the park's offset; each temperature is named for what it is.
Every cell is spreadsheet-safe (a value that starts like a formula is written as text)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from terminal.common.printed.rows import PrintedDay
from terminal.common.printed.went import WentTo
from terminal.common.spreadsheet import spreadsheet_safe
from terminal.common.times import iso

COLUMNS = (
    "kind", "park", "gate", "day", "at", "event_id", "person_id", "direction", "code",
    "screened_c", "estimated_core_c", "screening", "decision", "reason", "route", "went_to",
    "clinical_c", "checked_by", "checked_at", "outcome", "isolation_room",
    "plate", "driver", "purpose", "entered_by",
)  # fmt: skip


def _where(went: WentTo | None) -> str | None:
    return None if went is None else went.where


def _rows(day: PrintedDay, zone: ZoneInfo) -> Iterator[dict[str, object]]:
    common = {"park": day.park, "gate": day.gate, "day": day.day.isoformat()}
    for check in day.checks:
        yield {
            **common, "kind": "check", "at": iso(check.at_s, zone), "event_id": check.event_id,
            "person_id": check.person_id, "direction": check.direction, "code": check.code,
            "screened_c": check.screened_c, "estimated_core_c": check.estimated_core_c,
            "screening": check.screening, "decision": check.decision, "reason": check.reason,
            "route": check.route, "went_to": _where(check.went_to()),
        }  # fmt: skip
    for flag in day.flags:
        yield {
            **common, "kind": "flag", "at": iso(flag.raised_s, zone), "event_id": flag.flag_id,
            "person_id": flag.person_id, "screened_c": flag.screened_c,
            "estimated_core_c": flag.estimated_core_c,
            # why staff refused the person after the check; the outcome says the rest
            "reason": flag.reason if flag.outcome == "refused" else None,
            "went_to": _where(flag.went_to()), "clinical_c": flag.clinical_c,
            "checked_by": flag.checked_by,
            "checked_at": iso(flag.checked_s, zone), "outcome": flag.outcome,
            "isolation_room": flag.isolation_room,
        }  # fmt: skip
    for vehicle in day.vehicles:
        yield {
            **common, "kind": "vehicle", "at": iso(vehicle.at_s, zone),
            "event_id": vehicle.event_id, "decision": vehicle.decision, "reason": vehicle.reason,
            "plate": vehicle.plate, "driver": vehicle.driver, "purpose": vehicle.purpose,
            "entered_by": vehicle.by,
        }  # fmt: skip


def csv_lines(days: Iterable[PrintedDay]) -> Iterator[str]:
    """The header, then each day's checks, flags and vehicles, a line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for day in days:
        for row in _rows(day, day.zone):
            writer.writerow([spreadsheet_safe(row.get(column)) for column in COLUMNS])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(days: Iterable[PrintedDay]) -> str:
    return "".join(csv_lines(days))
