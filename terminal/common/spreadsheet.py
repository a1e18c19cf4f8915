"""Cells of CSV exports (the centre's searches, the printed record of the gate and the centre),
made safe to open in a spreadsheet (Excel, LibreOffice, WPS): a value that a spreadsheet could
take for a formula is given a leading apostrophe, so it is shown as the text the gate sent (the
OWASP guidance on CSV injection).

A spreadsheet looks past leading spaces, tabs, line breaks and other invisible characters, reads
full-width signs (U+FF1D, U+FF0B) as their ASCII forms, and takes ``;`` or ``|`` as a separator or
a DDE call: so the padding is looked past and the start normalised (NFKC) before the first
character is judged."""

from __future__ import annotations

import datetime as dt
import unicodedata

# what starts a formula, a DDE call or a cell separator in some spreadsheet or locale
FORMULA_STARTS = frozenset("=+-@|;%")
# dashes a spreadsheet may read as a minus sign, which NFKC leaves as they are
MINUS_SIGNS = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2796")
LOOKED_AT_CHARS = 64  # enough to get past any run of padding a real value has
MARKS = frozenset({"Mn", "Me"})  # combining marks: nothing of their own to show


def _invisible(char: str) -> bool:
    # spaces, controls, formatting, unassigned code points and marks with nothing to mark
    return char.isspace() or not char.isprintable() or unicodedata.category(char) in MARKS


def _past_invisible(text: str) -> str:
    start = 0
    while start < len(text) and _invisible(text[start]):
        start += 1
    return text[start:]


def _first_seen(text: str) -> str:
    """The first character a spreadsheet would judge the cell by, in its normalised form."""
    shown = _past_invisible(text[:LOOKED_AT_CHARS])
    return _past_invisible(unicodedata.normalize("NFKC", shown[:8]))[:1]


def formula_like(text: str) -> bool:
    """True when a spreadsheet could evaluate the cell, or when it starts with a character
    (a tab, a line break, a control character) a spreadsheet may drop before it judges it."""
    if not text:
        return False
    if not text[0].isprintable():
        return True
    first = _first_seen(text)
    return first in FORMULA_STARTS or first in MINUS_SIGNS


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: no formula from a value that starts like one."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if formula_like(text) else text
