"""Who may come through this gate, and when.

A CSV with the header ``person_id,kind,windows``: kind is ``staff`` or ``visitor``; windows are the
person's staggered times of day, space-separated ``HH:MM-HH:MM`` (``*`` for any time), so that
shifts arrive, eat and leave without crowding the gate.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Literal

from terminal.csvfile import CsvFileError, rows

ROSTER_HEADER = ["person_id", "kind", "windows"]
ANY_TIME = "*"


class RosterError(CsvFileError):
    pass


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment <= self.end
        return moment >= self.start or moment <= self.end  # a night window across midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class RosterEntry:
    person_id: str
    kind: Literal["staff", "visitor"]
    windows: tuple[Window, ...] = ()  # empty: any time

    def allowed_at(self, moment: time) -> bool:
        return not self.windows or any(w.contains(moment) for w in self.windows)


def parse_windows(text: str) -> tuple[Window, ...]:
    text = text.strip()
    if text == ANY_TIME:
        return ()
    if not text:
        # a blank cell (a typo, a spreadsheet export) must not mean "any hour"
        raise ValueError(f"windows is empty; write {ANY_TIME} for any time")
    windows = []
    for part in text.split():
        try:
            start, end = part.split("-")
            windows.append(Window(time.fromisoformat(start), time.fromisoformat(end)))
        except ValueError:
            raise ValueError(f"window {part!r} is not HH:MM-HH:MM") from None
    return tuple(windows)


def format_windows(windows: tuple[Window, ...]) -> str:
    return " ".join(str(w) for w in windows) or ANY_TIME


class Roster:
    def __init__(self, entries: list[RosterEntry]) -> None:
        self._entries = {entry.person_id: entry for entry in entries}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, person_id: str) -> RosterEntry | None:
        return self._entries.get(person_id)

    def entries(self) -> list[RosterEntry]:
        return list(self._entries.values())

    @classmethod
    def load(cls, path: Path) -> Roster:
        try:
            return cls(_parse(path))
        except CsvFileError as exc:
            raise RosterError(str(exc)) from None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(ROSTER_HEADER)
            for entry in self._entries.values():
                writer.writerow([entry.person_id, entry.kind, format_windows(entry.windows)])


def _parse(path: Path) -> list[RosterEntry]:
    entries: list[RosterEntry] = []
    seen: set[str] = set()
    for line, (person_id, kind, windows) in rows(path, ROSTER_HEADER, "roster"):
        if not person_id:
            raise RosterError(f"{path}:{line}: person_id is empty")
        if person_id in seen:
            raise RosterError(f"{path}:{line}: person_id {person_id!r} appears twice")
        if kind not in ("staff", "visitor"):
            raise RosterError(f"{path}:{line}: kind must be staff or visitor, got {kind!r}")
        try:
            parsed = parse_windows(windows)
        except ValueError as exc:
            raise RosterError(f"{path}:{line}: {exc}") from None
        seen.add(person_id)
        entries.append(RosterEntry(person_id, kind, parsed))  # type: ignore[arg-type]
    return entries
