"""The CSV files people edit (rosters, planned crowds), read with errors naming file, line, field.

People make these files in a spreadsheet, so the reader takes what spreadsheets write: a UTF-8
byte-order mark (Excel's "CSV UTF-8"), Excel's plain "CSV" on a Chinese Windows (GB18030), comma,
semicolon or tab as the separator, columns in any order with any capitalisation, and trailing empty
columns. Columns it was not asked for are not read: an HR export's phone numbers never reach the
gate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 * 1024  # far beyond any park's roster; a bigger file is a mistake


class CsvFileError(ValueError):
    pass


@dataclass
class Table:
    """A CSV file's rows as dicts keyed by the (lower-case) column names asked for."""

    path: Path
    columns: list[str]  # the asked-for columns present, in the file's order
    ignored: list[str] = field(default_factory=list)  # columns in the file that were not asked for
    encoding: str = "utf-8"
    _rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, {column: stripped cell}) for each non-blank row; an optional column that
        is absent from the file reads as an empty cell."""
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def error(self, line: int, column: str | None, message: str) -> CsvFileError:
        where = f"{self.path}:{line}" + (f": {column}" if column else "")
        return CsvFileError(f"{where}: {message}")


def _decode(path: Path, data: bytes, what: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        # Excel's plain CSV on a Chinese Windows; GB18030 decodes any byte string that is one
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise CsvFileError(
            f"{path}: {what} is not UTF-8 text (byte {utf8_error.start}); save it as UTF-8 CSV"
        ) from None


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
    path: Path, required: Sequence[str], what: str, optional: Sequence[str] = ()
) -> Table:
    """Read and check the header; every row is read now, so a broken file fails before use."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CsvFileError(f"{path}: {what} is larger than {MAX_FILE_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise CsvFileError(f"{path}: cannot read {what}: {exc.strerror}") from None
    text, encoding = _decode(path, data, what)
    if "\x00" in text:
        raise CsvFileError(f"{path}: {what} has NUL characters: not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        while header and not header[-1]:
            header.pop()  # Excel's trailing empty columns
        wanted = [*required, *optional]
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
        index = {name: header.index(name) for name in wanted if name in header}
        table = Table(
            path,
            columns=[name for name in header if name in index],
            ignored=[name for name in header if name not in index],
            encoding=encoding,
        )
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            line = reader.line_num
            if any(cells[len(header) :]):
                raise table.error(line, None, f"expected {len(header)} columns, got {len(cells)}")
            if len(cells) < len(header):
                raise table.error(line, None, f"expected {len(header)} columns, got {len(cells)}")
            table._rows.append(
                (line, {name: cells[index[name]] if name in index else "" for name in wanted})
            )
    except csv.Error as exc:
        raise CsvFileError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
    return table


def rows(path: Path, header: list[str], what: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells in ``header``'s order) of each non-blank row."""
    for line, cells in read_table(path, header, what):
        yield line, [cells[name] for name in header]
