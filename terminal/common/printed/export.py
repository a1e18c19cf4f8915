"""What the gate's command and the centre's page share of an export: the range of days asked
for, checked; the formats; and the file's bytes and name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from terminal.common.errors import GateError
from terminal.common.printed.page import render_html
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


def days_asked(first: date, last: date, names: tuple[str, str] = ("--from", "--to")) -> list[date]:
    """Every local day from ``first`` to ``last``; a range backwards or longer than a year is
    refused naming the fields (``names``) it came from."""
    if first > last:
        raise ExportProblem(f"{names[0]} {first} is after {names[1]} {last}")
    if (last - first).days + 1 > MAX_DAYS:
        raise ExportProblem(
            f"{names[0]} {first} to {names[1]} {last} is more than {MAX_DAYS} days: "
            "export a year at most at a time"
        )
    return days_between(first, last)


def format_of(value: str, name: str = "--format") -> Format:
    if value not in FORMATS:
        raise ExportProblem(f"{name}: expected {', '.join(FORMATS)}, got {value[:20]!r}")
    return FORMATS[value]


def language_of(value: str, name: str = "--lang") -> Language:
    for language in LANGUAGES:
        if value == language:
            return language
    raise ExportProblem(f"{name}: expected {' or '.join(LANGUAGES)}, got {value[:20]!r}")


def exported(days: Sequence[PrintedDay], kind: str, language: Language) -> bytes:
    """The file's bytes in format ``kind`` (checked by :func:`format_of`)."""
    if kind == "csv":
        return csv_text(days).encode("utf-8")
    page = render_html(days, language)
    if kind == "html":
        return page.encode("utf-8")
    return print_pdf(page, language)


def file_name(what: str, first: date, last: date, kind: str) -> str:
    """``record-gate-1-2026-12-01-2026-12-06.csv``: what it holds, from when to when."""
    safe = "".join(
        char if (char.isascii() and char.isalnum()) or char in "-_." else "_" for char in what
    )[:60]
    return f"record-{safe}-{first.isoformat()}-{last.isoformat()}.{FORMATS[kind].suffix}"
