"""A roster uploaded on the commands page, as text: in the encoding the officer chose.

A spreadsheet saves CSV in the computer's own encoding unless told "CSV UTF-8": GB18030 on a
Chinese Windows, Shift-JIS on a Japanese one, Windows-1252 in Western Europe. Guessing mangles
names without a word (Latin-1 or Shift-JIS bytes read as GB18030 are valid, and wrong), so
nothing is guessed: UTF-8 unless another encoding is chosen, and a file that does not decode as
chosen is refused with what to do. The gate receives the roster as text: the encoding stays here.
"""

from __future__ import annotations

from terminal.centre.errors import CentreError

# (Python's codec, what the form shows); the first is the default. The Windows variants are the
# ones spreadsheets write (cp932 is Shift-JIS with Windows' own characters, and so on)
ROSTER_ENCODINGS: tuple[tuple[str, str], ...] = (
    ("utf-8", "UTF-8"),
    ("gb18030", "GB18030 (GBK, GB2312)"),
    ("cp950", "Big5"),
    ("cp932", "Shift-JIS"),
    ("cp949", "EUC-KR"),
    ("cp1252", "Windows-1252"),
    ("latin-1", "Latin-1 (ISO-8859-1)"),
)
DEFAULT_ENCODING = ROSTER_ENCODINGS[0][0]


class RosterNotDecoded(CentreError, ValueError):
    """Why the file is not taken, as a catalogue key."""


def decode_roster(raw: bytes, encoding: str) -> str:
    """The file as text, in ``encoding`` (one of :data:`ROSTER_ENCODINGS`); UTF-8 with or
    without the mark spreadsheets put first."""
    if encoding not in dict(ROSTER_ENCODINGS):
        raise RosterNotDecoded("bad_choice")
    if encoding == DEFAULT_ENCODING:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RosterNotDecoded("roster_not_utf8") from None
    if not raw.isascii() and _is_utf8(raw):
        # read in another encoding, every name beyond ASCII would be garbled
        raise RosterNotDecoded("roster_is_utf8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise RosterNotDecoded("roster_not_in_encoding") from None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
