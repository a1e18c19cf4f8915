"""Who may come through this gate, and when.

Two CSV files, each known by its header:

- workers ``person_id,name,department,group,nat_tested_at,nat_result``: ``group`` is a shift
  group of ``[shifts.groups]`` (its windows say when its workers pass); ``nat_tested_at`` and
  ``nat_result`` the last nucleic-acid test, both blank when there was none;
- visitors ``person_id,name,host,visit_from,visit_until``.

Everything is checked when a file is loaded (ids, groups, times, results), so that what loads can
never raise at the gate: ``assess`` and ``admitted_until`` are pure and total on loaded people.
Errors read ``FILE:LINE: FIELD: problem`` and never quote a cell: a message may be logged, and
cells hold names, ids and health data.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from terminal.config import Config, ShiftsConfig
from terminal.csvfile import CsvFileError, Table, read_table
from terminal.ids import PERSON_ID
from terminal.shifts import Opening, ShiftProblem, Verdict, judge

log = logging.getLogger(__name__)

WORKER_COLUMNS = ("person_id", "name", "department", "group", "nat_tested_at", "nat_result")
VISITOR_COLUMNS = ("person_id", "name", "host", "visit_from", "visit_until")
_WORKER_ONLY = set(WORKER_COLUMNS) - set(VISITOR_COLUMNS)
_VISITOR_ONLY = set(VISITOR_COLUMNS) - set(WORKER_COLUMNS)
NAT_RESULTS = {
    "negative": "negative",
    "positive": "positive",
    "阴性": "negative",
    "阳性": "positive",
}
# a test dated later than this after the check is no valid test (a typo, or a clock far off)
NAT_FUTURE_SKEW_S = 300.0
# times outside these years are typos; inside them every date sum at the gate stays computable
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
NAME_MAX = 100

Kind = Literal["workers", "visitors"]


class RosterError(CsvFileError):
    pass


@dataclass(frozen=True)
class Worker:
    person_id: str
    name: str
    department: str
    group: str
    nat_tested_at_s: float | None  # when the last nucleic-acid test was taken (unix seconds)
    nat_result: Literal["negative", "positive"] | None


@dataclass(frozen=True)
class Visitor:
    person_id: str
    name: str
    host: str
    visit_from_s: float
    visit_until_s: float


Person = Worker | Visitor


class Roster:
    def __init__(self, people: Iterable[Person] = ()) -> None:
        self._people: dict[str, Person] = {person.person_id: person for person in people}

    def __len__(self) -> int:
        return len(self._people)

    def get(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    def workers(self) -> list[Worker]:
        return [p for p in self._people.values() if isinstance(p, Worker)]

    def visitors(self) -> list[Visitor]:
        return [p for p in self._people.values() if isinstance(p, Visitor)]

    def describe(self) -> str:
        return f"{len(self.workers())} workers, {len(self.visitors())} visitors"


class RosterProblem(StrEnum):
    UNREGISTERED = "unregistered"
    NAT_MISSING = "nat_missing"  # no test on the roster, or one dated in the future
    NAT_EXPIRED = "nat_expired"
    NAT_POSITIVE = "nat_positive"
    VISIT_OUTSIDE = "visit_outside"
    # a worker outside their group's windows at this gate (terminal.shifts)
    SHIFT_EARLY = ShiftProblem.EARLY.value
    SHIFT_LATE = ShiftProblem.LATE.value
    SHIFT_NOT_TODAY = ShiftProblem.NOT_TODAY.value
    GATE_NOT_SERVING_GROUP = ShiftProblem.WRONG_GATE.value


@dataclass(frozen=True)
class RosterRules:
    shifts: ShiftsConfig  # the groups' windows, graces and holidays
    gate_id: str  # this gate: a group's zone may be served by other gates only
    nat_valid_h: float

    @classmethod
    def from_config(cls, config: Config) -> RosterRules:
        return cls(config.shifts, config.gate.id, config.roster.nat_valid_h)

    def shift(self, worker: Worker, at: datetime) -> Verdict:
        return judge(self.shifts.groups.get(worker.group), self.shifts, self.gate_id, at)


# --- the rules at the gate: pure ------------------------------------------------------------------
def assess(person: Person | None, at: datetime, rules: RosterRules) -> RosterProblem | None:
    """Why the roster keeps ``person`` out at ``at`` (aware, in the gate's zone); None: it lets
    them in."""
    if person is None:
        return RosterProblem.UNREGISTERED
    now_s = at.timestamp()
    if isinstance(person, Visitor):
        inside = person.visit_from_s <= now_s <= person.visit_until_s
        return None if inside else RosterProblem.VISIT_OUTSIDE
    if person.nat_result == "positive":
        return RosterProblem.NAT_POSITIVE
    if person.nat_tested_at_s is None or person.nat_result is None:
        return RosterProblem.NAT_MISSING
    if person.nat_tested_at_s > now_s + NAT_FUTURE_SKEW_S:
        return RosterProblem.NAT_MISSING  # a test from the future proves nothing
    if now_s - person.nat_tested_at_s > rules.nat_valid_h * 3600:
        return RosterProblem.NAT_EXPIRED
    shift = rules.shift(person, at)
    return None if shift.problem is None else RosterProblem(shift.problem.value)


def next_window(person: Person | None, at: datetime, rules: RosterRules) -> Opening | None:
    """The next window a worker refused for their shift may come in (None: none ahead, or not
    a shift refusal)."""
    if not isinstance(person, Worker):
        return None
    return rules.shift(person, at).next


def admitted_until(person: Person | None, at: datetime, rules: RosterRules) -> datetime | None:
    """When the window that admits ``person`` at ``at`` ends: the end of their group's window
    (with its late grace), or of their visit. None when they may pass at any time, or are not
    admitted now."""
    if person is None or assess(person, at, rules) is not None:
        return None
    if isinstance(person, Visitor):
        return datetime.fromtimestamp(person.visit_until_s, at.tzinfo)
    return rules.shift(person, at).until


def hold_until(
    person: Person | None,
    admitted_at: datetime,
    rules: RosterRules,
    fixed_h: float | None,
    any_time_h: float,
) -> float:
    """Until when (epoch s) an admission holds its code and person against a replay: the end of
    the window that admitted them, unless a fixed hold is configured; ``any_time_h`` for people
    with no window to end."""
    if fixed_h is not None:
        return admitted_at.timestamp() + fixed_h * 3600
    window_end = admitted_until(person, admitted_at, rules)
    if window_end is None:
        return admitted_at.timestamp() + any_time_h * 3600
    return window_end.timestamp()


# --- reading the files -------------------------------------------------------------------------
@dataclass(frozen=True)
class PeopleFile:
    """One roster file, read and checked on its own."""

    path: Path
    kind: Kind
    people: tuple[Person, ...]
    lines: Mapping[str, int]  # person_id -> line, to say where a doubled id is
    ignored: tuple[str, ...]  # columns in the file that were not read
    rows: tuple[tuple[str, ...], ...]  # the cells read, in the kind's column order

    @property
    def columns(self) -> tuple[str, ...]:
        return WORKER_COLUMNS if self.kind == "workers" else VISITOR_COLUMNS


def _error(table: Table, line: int, column: str | None, message: str) -> RosterError:
    return RosterError(str(table.error(line, column, message)))


def parse_time(text: str, zone: ZoneInfo) -> float:
    """ISO 8601 with or without an offset, ``YYYY-MM-DD HH:MM[:SS]``, or Excel's
    ``YYYY/M/D H:MM[:SS]``; without an offset, a local time of ``zone``. ValueError otherwise."""
    moment: datetime | None = None
    if ":" in text:  # a date alone is not a moment
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            for layout in ("%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S"):
                try:
                    moment = datetime.strptime(text, layout)
                    break
                except ValueError:
                    continue
    if moment is None:
        raise ValueError("not a date and time; write YYYY-MM-DD HH:MM (local time)")
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"year outside {EARLIEST_YEAR} to {LATEST_YEAR}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


def _kind(table: Table) -> Kind:
    present = set(table.columns)
    workers, visitors = bool(present & _WORKER_ONLY), bool(present & _VISITOR_ONLY)
    if workers == visitors:
        raise _error(
            table,
            1,
            None,
            "header is neither a workers file (" + ",".join(WORKER_COLUMNS) + ") nor a visitors "
            "file (" + ",".join(VISITOR_COLUMNS) + ")",
        )
    kind: Kind = "workers" if workers else "visitors"
    wanted = WORKER_COLUMNS if workers else VISITOR_COLUMNS
    missing = [name for name in wanted if name not in present]
    if missing:
        raise _error(
            table,
            1,
            None,
            f"header of a {kind} file must have the columns {','.join(wanted)}; "
            f"missing {','.join(missing)}",
        )
    return kind


def read_people_file(path: Path, config: Config) -> PeopleFile:
    """One workers or visitors file, wholly checked against the config."""
    try:
        # every column of both kinds is asked for; the header then says which kind this is
        others = [c for c in (*WORKER_COLUMNS, *VISITOR_COLUMNS) if c != "person_id"]
        table = read_table(path, ["person_id"], "roster", optional=list(dict.fromkeys(others)))
    except CsvFileError as exc:
        raise RosterError(str(exc)) from None
    kind = _kind(table)
    zone = ZoneInfo(config.gate.timezone)
    people: list[Person] = []
    lines: dict[str, int] = {}
    cells_read: list[tuple[str, ...]] = []
    columns = WORKER_COLUMNS if kind == "workers" else VISITOR_COLUMNS
    for line, cells in table:
        person_id = cells["person_id"]
        if not PERSON_ID.fullmatch(person_id):
            raise _error(
                table,
                line,
                "person_id",
                "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        if person_id in lines:
            raise _error(
                table, line, "person_id", f"appears twice (also on line {lines[person_id]})"
            )
        for column in ("name", "department", "host"):
            if column in columns and len(cells[column]) > NAME_MAX:
                raise _error(table, line, column, f"longer than {NAME_MAX} characters")
        if not cells["name"]:
            raise _error(table, line, "name", "is empty")
        if kind == "workers":
            people.append(_worker(table, line, cells, config, zone))
        else:
            people.append(_visitor(table, line, cells, config, zone))
        lines[person_id] = line
        cells_read.append(tuple(cells[c] for c in columns))
    return PeopleFile(path, kind, tuple(people), lines, tuple(table.ignored), tuple(cells_read))


def _time_cell(table: Table, line: int, column: str, text: str, zone: ZoneInfo) -> float:
    try:
        return parse_time(text, zone)
    except ValueError as exc:
        raise _error(table, line, column, str(exc)) from None


def _worker(
    table: Table, line: int, cells: dict[str, str], config: Config, zone: ZoneInfo
) -> Worker:
    group = cells["group"]
    if group not in config.shifts.groups:
        known = ", ".join(sorted(config.shifts.groups)) or "none configured"
        raise _error(table, line, "group", f"no such group in shifts.groups ({known})")
    tested_text, result_text = cells["nat_tested_at"], cells["nat_result"]
    if bool(tested_text) != bool(result_text):
        column = "nat_result" if tested_text else "nat_tested_at"
        raise _error(table, line, column, "nat_tested_at and nat_result are both set or both blank")
    tested_at_s: float | None = None
    result: Literal["negative", "positive"] | None = None
    if tested_text:
        tested_at_s = _time_cell(table, line, "nat_tested_at", tested_text, zone)
        found = NAT_RESULTS.get(result_text.lower())
        if found is None:
            raise _error(table, line, "nat_result", "must be negative or positive (阴性 or 阳性)")
        result = found  # type: ignore[assignment]
    return Worker(
        cells["person_id"], cells["name"], cells["department"], group, tested_at_s, result
    )


def _visitor(
    table: Table, line: int, cells: dict[str, str], config: Config, zone: ZoneInfo
) -> Visitor:
    if not cells["host"]:
        raise _error(table, line, "host", "is empty: who receives this visitor?")
    start_s = _time_cell(table, line, "visit_from", cells["visit_from"], zone)
    end_s = _time_cell(table, line, "visit_until", cells["visit_until"], zone)
    if end_s <= start_s:
        raise _error(table, line, "visit_until", "is not after visit_from")
    if end_s - start_s > config.roster.max_visit_h * 3600:
        raise _error(
            table,
            line,
            "visit_until",
            f"the visit is longer than roster.max_visit_h ({config.roster.max_visit_h:g} h)",
        )
    return Visitor(cells["person_id"], cells["name"], cells["host"], start_s, end_s)


def check_unique(first: PeopleFile, second: PeopleFile) -> None:
    """A person is a worker or a visitor, never both."""
    for person_id, line in second.lines.items():
        if person_id in first.lines:
            raise RosterError(
                f"{second.path}:{line}: person_id: also on {first.path} line "
                f"{first.lines[person_id]}; ids are unique across workers and visitors"
            )


def _expect(file: PeopleFile, kind: Kind, key: str, config: Config) -> None:
    if file.kind != kind:
        raise RosterError(
            f"{file.path}:1: is a {file.kind} file, but the config's roster.{key} "
            f"({config.source}) names it"
        )


def load_people_files(config: Config) -> tuple[PeopleFile, PeopleFile | None]:
    """The configured workers file and, where there is one, visitors file, each checked alone
    and against the other."""
    try:
        workers = read_people_file(config.resolved(config.roster.workers), config)
        _expect(workers, "workers", "workers", config)
        visitors = None
        if config.roster.visitors is not None:
            visitors = read_people_file(config.resolved(config.roster.visitors), config)
            _expect(visitors, "visitors", "visitors", config)
            check_unique(workers, visitors)
    except CsvFileError as exc:
        raise RosterError(str(exc)) from None
    return workers, visitors


def load_roster(config: Config) -> Roster:
    workers, visitors = load_people_files(config)
    return Roster([*workers.people, *(visitors.people if visitors else ())])


# --- the running gate's roster ------------------------------------------------------------------
Signature = tuple[tuple[int, int, int] | None, ...]


class RosterFiles:
    """The roster in force, and a new one taken when its files change and are wholly valid.

    ``refresh`` looks at the files' size, time and inode at most every ``roster.reload_s``; a
    changed file is loaded with the other, and swapped in only when both are valid. A bad file
    logs one error (file, line, field) and the roster in force stays."""

    def __init__(self, config: Config, now: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._now = now
        self._paths = [config.resolved(config.roster.workers)]
        if config.roster.visitors is not None:
            self._paths.append(config.resolved(config.roster.visitors))
        self._signature = self._stat()
        self.current = load_roster(config)  # at start-up a bad roster is the caller's error
        self._looked_at = now()
        self._refused: Signature | None = None

    def _stat(self) -> Signature:
        signature: list[tuple[int, int, int] | None] = []
        for path in self._paths:
            try:
                st = os.stat(path)
                signature.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                signature.append(None)
        return tuple(signature)

    def refresh(self, now_please: bool = False) -> bool:
        """True when a new roster was taken. ``now_please``: look at once (a roster was just
        installed by command)."""
        now = self._now()
        if now - self._looked_at < self.config.roster.reload_s and not now_please:
            return False
        self._looked_at = now
        signature = self._stat()
        if signature == self._signature or signature == self._refused:
            return False
        try:
            roster = load_roster(self.config)
        except RosterError as exc:
            self._refused = signature
            log.error("new roster refused, the one in force stays: %s", exc)
            return False
        if self._stat() != signature:
            return False  # written to while being read: look again next time
        self._signature, self._refused = signature, None
        self.current = roster
        log.info("took a new roster: %s", roster.describe())
        return True
