"""What the gate's command and the centre's page share of an export: the range of days asked
for, checked; the formats; and the file's bytes and name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from terminal.common.errors import GateError
from terminal.common.printed.page import Printing, render_html
from terminal.common.printed.pdf import print_pdf
from terminal.common.printed.rows import MAX_DAYS, PrintedDay, days_between
from terminal.common.printed.table import csv_text
from terminal.common.printed.words import LANGUAGES, Language


@dataclass(frozen=True)
class Format:
    media_type: str
    suffix: str


FORMATS: dict[str, Format] = {
    "csv": Format("text/csv; charset=utf-8", "csv"),
    "html": Format("text/html; charset=utf-8", "html"),
    "pdf": Format("application/pdf", "pdf"),
}


class ExportProblem(GateError, ValueError):
    """What was asked for cannot be exported: the field named, and why."""


def day_of(value: str, name: str) -> date:
    """``value`` as a calendar day: a wrong shape and a day the calendar lacks (2026-11-31) are
    told apart, naming the field."""
    raw = value.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    parts = raw.split("-")
    if (
        len(parts) == 3
        and [len(part) for part in parts] == [4, 2, 2]
        and raw.replace("-", "").isdigit()
    ):
        raise ExportProblem(f"{name}: no such day: {raw}")
    raise ExportProblem(f"{name}: expected a date YYYY-MM-DD, got {raw[:20]!r}")


def days_asked(
    first: date,
    last: date,
    today: date,
    names: tuple[str, str] = ("--from", "--to"),
) -> list[date]:
    """Every local day from ``first`` to ``last``; a range backwards, longer than a year or
    reaching past ``today`` (the park's local day: nothing is recorded there yet) is refused
    naming the fields (``names``) it came from."""
    if last > today:
        raise ExportProblem(f"{names[1]} {last} is after today ({today}): nothing recorded yet")
    if first > last:
        raise ExportProblem(f"{names[0]} {first} is after {names[1]} {last}")
    if (last - first).days + 1 > MAX_DAYS:
        raise ExportProblem(
            f"{names[0]} {first} to {names[1]} {last} is more than {MAX_DAYS} days: "
            "export a year at most at a time"
        )
    return days_between(first, last)


def format_of(value: str, name: str = "--format") -> str:
    """The format's name (``PDF`` is ``pdf``)."""
    kind = value.strip().lower()
    if kind not in FORMATS:
        raise ExportProblem(f"{name}: expected {', '.join(FORMATS)}, got {value[:20]!r}")
    return kind


def language_of(value: str, name: str = "--lang") -> Language:
    for language in LANGUAGES:
        if value.strip().lower() == language:
            return language
    raise ExportProblem(f"{name}: expected {' or '.join(LANGUAGES)}, got {value[:20]!r}")


def exported(
    days: Sequence[PrintedDay], kind: str, language: Language, printing: Printing
) -> bytes:
    """The file's bytes in format ``kind`` (checked by :func:`format_of`)."""
    if kind == "csv":
        return csv_text(days).encode("utf-8")
    page = render_html(days, language, printing)
    if kind == "html":
        return page.encode("utf-8")
    return print_pdf(page, language)


def file_name(what: str, first: date, last: date, kind: str) -> str:
    """``record-gate-1-2026-12-01-2026-12-06.csv``: what it holds, from when to when."""
    safe = "".join(
        char if (char.isascii() and char.isalnum()) or char in "-_." else "_" for char in what
    )[:60]
    return f"record-{safe}-{first.isoformat()}-{last.isoformat()}.{FORMATS[kind].suffix}"
