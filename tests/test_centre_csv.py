"""The centre's CSV exports opened in a spreadsheet: no cell that Excel, LibreOffice or WPS could
evaluate reaches it as a formula, however it is spelled (padding, invisible characters, full-width
signs), and the values the gates really send are written as they are."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from terminal.centre.web.board import csv_lines
from terminal.centre.web.spreadsheet import spreadsheet_safe

# every way a formula, a DDE call or a separator can open a cell
OPENERS = [
    "=", "+", "-", "@", "|", ";", "%",
    "\uff1d", "\uff0b", "\uff0d", "\uff20", "\uff5c", "\uff1b", "\uff05",  # full-width
    "\ufe66", "\ufe62", "\ufe63", "\ufe6b", "\u207c", "\u208a",  # small, super- and subscript
    "\u2212", "\u2013",  # a minus sign and an en dash read as one
]  # fmt: skip
# what a spreadsheet looks past before it judges a cell
PADDING = [
    " ", "\t", "\r", "\n", "\x0b", "\x0c", "\x00", "\x1b", "\u00a0", "\u3000", "\u200b",
    "\u200e", "\ufeff", "\u2028", "\u2029", "\u2003",
]  # fmt: skip
ASCII_OPENERS = frozenset(o for o in OPENERS if o.isascii())
SHANGHAI = ZoneInfo("Asia/Shanghai")
SPELLED = [
    "=1+1", " =1+1", "\n=cmd|' /C calc'!A0", "\t=SUM(A1:A9)", "\r@SUM(A1)", ";=1+1",
    "|calc", "\uff1dHYPERLINK(\"http://x\")", "\u3000\uff0b1", "\u200b=1", "-2+3",
    "\uff20SUM(A1)", "\uff0d1", "  \t  +1",
]  # fmt: skip


def test_each_known_spelling_of_a_formula_is_written_as_text() -> None:
    for cell in SPELLED:
        assert spreadsheet_safe(cell) == "'" + cell, repr(cell)


@given(
    padding=st.lists(st.sampled_from(PADDING), max_size=6).map("".join),
    opener=st.sampled_from(OPENERS),
    rest=st.text(max_size=30),
)
def test_any_padded_opener_of_a_formula_is_written_as_text(
    padding: str, opener: str, rest: str
) -> None:
    cell = padding + opener + rest
    assert spreadsheet_safe(cell) == "'" + cell


@given(st.text(max_size=40))
def test_a_cell_left_as_it_is_cannot_start_a_formula(cell: str) -> None:
    written = spreadsheet_safe(cell)
    assert written in (cell, "'" + cell)
    if written == cell:
        # what a spreadsheet would judge: past the padding, in its plain form
        shown = cell
        while shown and (shown[0].isspace() or not shown[0].isprintable()):
            shown = shown[1:]
        first = unicodedata.normalize("NFKC", shown[:4]).strip()[:1]
        assert first not in ASCII_OPENERS, repr(cell)


def test_what_the_gates_send_is_written_as_it_is() -> None:
    moment = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    for value, written in [
        ("gate-n", "gate-n"), ("W0101", "W0101"), ("王芳", "王芳"), (36.7, "36.7"),
        ("粤B12345", "粤B12345"), (True, "True"), (None, ""), (moment, moment.isoformat()),
        ("code_red", "code_red"), ("a=b", "a=b"), ("'quoted", "'quoted"),
    ]:  # fmt: skip
        assert spreadsheet_safe(value) == written


def test_the_export_writes_every_column_of_a_row_safely() -> None:
    row = SimpleNamespace(plate=" =1+1", driver="\uff1dcmd", purpose="canteen")
    text = "".join(csv_lines(iter([row]), ("plate", "driver", "purpose"), zone=SHANGHAI))
    (read,) = list(csv.DictReader(io.StringIO(text)))
    assert read == {"plate": "' =1+1", "driver": "'\uff1dcmd", "purpose": "canteen"}


def test_the_export_writes_times_in_the_parks_zone_with_its_offset() -> None:
    """A person reads the local time they lived; a program reads the moment without guessing."""
    seen = dt.datetime(2026, 12, 6, 12, 53, 37, tzinfo=dt.UTC)
    row = SimpleNamespace(occurred_at=seen, checked_at=None)
    for zone, written in [
        (SHANGHAI, "2026-12-06T20:53:37+08:00"),
        (ZoneInfo("Asia/Kolkata"), "2026-12-06T18:23:37+05:30"),
        (ZoneInfo("America/Sao_Paulo"), "2026-12-06T09:53:37-03:00"),
    ]:
        text = "".join(csv_lines(iter([row]), ("occurred_at", "checked_at"), zone=zone))
        (read,) = list(csv.DictReader(io.StringIO(text)))
        assert read == {"occurred_at": written, "checked_at": ""}
        assert dt.datetime.fromisoformat(read["occurred_at"]) == seen
