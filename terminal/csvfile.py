"""The CSV files people edit (the roster, planned crowds): read with errors naming file and line."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path


class CsvFileError(ValueError):
    pass


def rows(path: Path, header: list[str], what: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped cells) of each non-blank row, after checking the header."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            found = [cell.strip() for cell in next(reader, [])]
            if found != header:
                raise CsvFileError(
                    f"{path}:1: header must be {','.join(header)}, got {','.join(found)!r}"
                )
            for row in reader:
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                line = reader.line_num
                if len(cells) != len(header):
                    raise CsvFileError(
                        f"{path}:{line}: expected {len(header)} columns, got {len(cells)}"
                    )
                yield line, cells
    except OSError as exc:
        raise CsvFileError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise CsvFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from None
