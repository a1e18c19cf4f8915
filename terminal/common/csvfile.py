"""The CSV files people edit (rosters, planned crowds), read with errors naming file, line, field.

People make these files in a spreadsheet, so the reader takes what spreadsheets write: UTF-8
with or without a byte-order mark (Excel's "CSV UTF-8"), comma, semicolon or tab as the separator,
columns in any order with any capitalisation, and trailing empty columns. A file in another
encoding (Excel's plain "CSV" writes the Windows code page: GB18030 on a Chinese Windows,
Shift-JIS on a Japanese one, Latin-1 in Western Europe) is read only when its encoding is named:
such files cannot be told apart from their bytes, and a guess garbles every name without a word.
Columns it was not asked for are not read: an HR export's phone numbers never reach the gate.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from terminal.common.errors import GateError
from terminal.common.safefile import UnreadableFile, read_regular_file

MAX_FILE_BYTES = 64 * 1024 * 1024  # far beyond any park's roster; a bigger file is a mistake
# a file with this many problems is read no further: one wrong on each of a million lines is wrong
# in one way, and the first problems say how (and reading on would cost minutes and memory)
MAX_PROBLEMS = 1000
# the encodings a person is told of when a file is not UTF-8, with where they come from
ENCODING_HINT = "gb18030 for Excel's CSV on a Chinese Windows, shift_jis on a Japanese one, latin-1"
_ZIP = b"PK\x03\x04"  # .xlsx and .ods are zip archives
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003)


class CsvFileError(GateError, ValueError):
    pass


class NotUtf8Error(CsvFileError):
    """A file read as UTF-8 that is not: its encoding has to be named, or the file saved again."""

    def __init__(
        self, where: str, found: str, encodings: str, how: str = "pass --encoding"
    ) -> None:
        self.where, self.found, self.encodings = where, found, encodings
        super().__init__(f'{where}: {found}: {how} ({encodings}) or save it as "CSV UTF-8"')

    def advising(self, how: str) -> NotUtf8Error:
        """The same refusal telling another way to name the encoding (a config key)."""
        return NotUtf8Error(self.where, self.found, self.encodings, how)


@dataclass
class Table:
    """A CSV file's rows as dicts keyed by the (lower-case) column names asked for."""

    path: Path
    columns: list[str]  # the asked-for columns present, in the file's order
    ignored: list[str] = field(default_factory=list)  # columns in the file that were not asked for
    encoding: str = "utf-8"
    _rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # (line, problem) of rows that could not be read: a wrong number of cells, or broken CSV,
    # after which nothing more is read
    problems: list[tuple[int, CsvFileError]] = field(default_factory=list)
    stopped_at: int | None = None  # the line after which nothing was read (MAX_PROBLEMS found)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, {column: stripped cell}) for each non-blank row; an optional column that
        is absent from the file reads as an empty cell."""
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def add_problem(self, line: int, problem: CsvFileError) -> None:
        self.problems.append((line, problem))
        if len(self.problems) >= MAX_PROBLEMS:
            self.stopped_at = line

    def error(self, line: int, column: str | None, message: str) -> CsvFileError:
        where = f"{self.path}:{line}" + (f": {column}" if column else "")
        return CsvFileError(f"{where}: {message}")


def known_encoding(name: str) -> str:
    """``name`` when Python can decode text with it; CsvFileError in one line otherwise."""
    try:
        # codecs that are not text encodings (base64, rot13) are no answer either
        if codecs.lookup(name)._is_text_encoding:
            return name
    except LookupError:
        pass
    raise CsvFileError(
        f"unknown encoding {name!r} (for instance utf-8, gb18030, shift_jis, latin-1)"
    )


def _not_a_csv_text(path: Path, data: bytes, what: str) -> CsvFileError | None:
    """What a spreadsheet's own file or an empty file is, said plainly; None for anything else."""
    if data.startswith(_ZIP):
        if b"opendocument.spreadsheet" in data[:200]:
            return CsvFileError(
                f"{path}: {what} is an OpenDocument spreadsheet, not CSV: in LibreOffice, "
                "File > Save As > Text CSV, character set UTF-8"
            )
        return CsvFileError(
            f"{path}: {what} is an Excel workbook, not CSV: in Excel, File > Save As > CSV UTF-8"
        )
    if data.startswith(_OLE2):
        return CsvFileError(
            f"{path}: {what} is an Excel 97-2003 workbook (.xls), not CSV: in Excel, "
            "File > Save As > CSV UTF-8"
        )
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        return CsvFileError(f"{path}: {what} is empty: not even a header line")
    return None


def _decode(path: Path, data: bytes, what: str, encoding: str | None) -> tuple[str, str]:
    try:
        named = None if encoding is None else codecs.lookup(known_encoding(encoding)).name
    except CsvFileError as exc:
        raise CsvFileError(f"{path}: {exc}") from None
    if named is None or named in ("utf-8", "utf-8-sig"):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise NotUtf8Error(
                str(path), f'{what} is UTF-16 text (Excel\'s "Unicode Text")', "utf-16"
            )
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise NotUtf8Error(
                f"{path}:{line}", f"{what} is not UTF-8 text", ENCODING_HINT
            ) from None
    if not data.isascii() and _is_utf8(data):
        # text in another encoding is almost never valid UTF-8: this file is UTF-8, and read
        # as what was named every name in it would be garbled
        raise CsvFileError(f"{path}: {what} is UTF-8 text, not {encoding}: read it as UTF-8")
    try:
        return data.decode(named), named
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvFileError(f"{path}:{line}: {what} is not {encoding} text") from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    if counts[best] == 0 or best == ",":
        return csv.excel
    return csv.excel_tab if best == "\t" else _Semicolon


class _Semicolon(csv.excel):
    delimiter = ";"


def read_table(
    path: Path,
    required: Sequence[str],
    what: str,
    optional: Sequence[str] = (),
    encoding: str | None = None,
) -> Table:
    """Read and check the header and every row now, so a broken file fails before use: the first
    problem is raised. ``encoding`` None: UTF-8, a byte-order mark allowed."""
    table = load_table(path, required, what, optional, encoding)
    if table.problems:
        raise table.problems[0][1]
    return table


def load_table(
    path: Path,
    required: Sequence[str],
    what: str,
    optional: Sequence[str] = (),
    encoding: str | None = None,
) -> Table:
    """As ``read_table``, but rows that cannot be read are kept in ``problems``, so that a person
    is told of every one at once. A file that cannot be read, or its header, still raises."""
    try:
        data = read_regular_file(path, max_bytes=MAX_FILE_BYTES, what=what)
    except UnreadableFile as exc:
        raise CsvFileError(str(exc)) from None
    refused = _not_a_csv_text(path, data, what)
    if refused is not None:
        raise refused
    text, encoding = _decode(path, data, what, encoding)
    if "\x00" in text:
        raise CsvFileError(f"{path}: {what} has NUL characters: not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
    except csv.Error as exc:
        raise CsvFileError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
    table = _header(path, header, required, optional, encoding)
    wanted = [*required, *optional]
    index = {name: header.index(name) for name in table.columns}
    line_after = reader.line_num + 1
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            # where the row starts: a quoted cell may run over several lines
            line, line_after = line_after, reader.line_num + 1
            if not any(cells):
                continue
            if len(cells) < len(header) or any(cells[len(header) :]):
                problem = f"expected {len(header)} columns, got {len(cells)}"
                table.add_problem(line, table.error(line, None, problem))
                if table.stopped_at is not None:
                    break
                continue
            table._rows.append(
                (line, {name: cells[index[name]] if name in index else "" for name in wanted})
            )
    except csv.Error as exc:
        broken = CsvFileError(f"{path}:{reader.line_num}: not valid CSV: {exc}")
        table.add_problem(reader.line_num, broken)
    return table


def _header(
    path: Path, header: list[str], required: Sequence[str], optional: Sequence[str], encoding: str
) -> Table:
    while header and not header[-1]:
        header.pop()  # Excel's trailing empty columns
    missing = [name for name in required if name not in header]
    if missing or not header:
        raise CsvFileError(
            f"{path}:1: header must have the columns {','.join(required)}; "
            f"missing {','.join(missing) or 'all'}"
        )
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        raise CsvFileError(f"{path}:1: column {doubled[0]!r} appears twice in the header")
    if "" in header:
        raise CsvFileError(f"{path}:1: column {header.index('') + 1} has no name")
    wanted = {*required, *optional}
    return Table(
        path,
        columns=[name for name in header if name in wanted],
        ignored=[name for name in header if name not in wanted],
        encoding=encoding,
    )


def rows(path: Path, header: list[str], what: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells in ``header``'s order) of each non-blank row."""
    for line, cells in read_table(path, header, what):
        yield line, [cells[name] for name in header]
