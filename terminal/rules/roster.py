"""Who may come through this gate, and when.

Two CSV files, each known by its header:

- workers ``person_id,name,department,group,nat_tested_at,nat_result``: ``group`` is a shift
  group of ``[shifts.groups]`` (its windows say when its workers pass); ``nat_tested_at`` and
  ``nat_result`` the last nucleic-acid test, both blank when there was none;
- visitors ``person_id,name,host,visit_from,visit_until``.

Everything is checked when a file is loaded (ids, groups, times, results, and that no cell holds
a control or formatting character that could forge what a screen or a terminal shows), so that
what loads can never raise at the gate: ``assess`` and ``admitted_until`` are pure and total on
loaded people. Every problem of a file is found in one reading; each reads
``FILE:LINE: FIELD: problem`` and never quotes a cell: a message may be logged, and cells hold
names, ids and health data.
"""

from __future__ import annotations

import bisect
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

from terminal.common.csvfile import MAX_PROBLEMS, CsvFileError, NotUtf8Error, Table, load_table
from terminal.common.ids import PERSON_ID, PERSON_ID_RULE
from terminal.common.safetext import unsafe_character
from terminal.config import Config, ShiftsConfig
from terminal.rules.shifts import Opening, ShiftProblem, Verdict, judge

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
    """Problems with roster files, each ``FILE:LINE: FIELD: problem``; the message is the first,
    with how many more there are, on one line."""

    def __init__(self, *problems: str, stopped_at: int | None = None) -> None:
        self.problems: tuple[str, ...] = problems  # in the order of the lines
        self.stopped_at = stopped_at  # the file was not read after this line: too many problems
        more = len(problems) - 1
        plural = "problem" if more == 1 else "problems"
        said = [f"{more} more {plural}"] if more > 0 else []
        if stopped_at is not None:
            said.append(f"not read after line {stopped_at}")
        super().__init__(problems[0] + (f" (and {', '.join(said)})" if said else ""))


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
    # a worker outside their group's windows at this gate (terminal.rules.shifts)
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


class _Problems:
    """The problems found in one file, in the order of its lines, up to MAX_PROBLEMS."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.found = [(line, str(problem)) for line, problem in table.problems]
        self._table_lines = [line for line, _ in table.problems]  # in order: read so
        self._in_rows = 0
        self.stopped_at = table.stopped_at

    def add(self, line: int, column: str | None, message: str) -> None:
        self._in_rows += 1
        self.found.append((line, str(self.table.error(line, column, message))))

    def enough_at(self, line: int) -> bool:
        """True, and the reading stops here, when MAX_PROBLEMS were found up to ``line``."""
        if self._in_rows + bisect.bisect_right(self._table_lines, line) < MAX_PROBLEMS:
            return False
        self.stopped_at = line
        return True

    def raise_any(self) -> None:
        if not self.found:
            return
        last = self.stopped_at
        found = sorted((f for f in self.found if last is None or f[0] <= last), key=lambda f: f[0])
        raise RosterError(*(text for _, text in found), stopped_at=last)


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


def read_people_file(
    path: Path, config: Config, encoding: str | None = None, *, how: str = "pass --encoding"
) -> PeopleFile:
    """One workers or visitors file, wholly checked against the config; RosterError with every
    problem found. ``encoding`` None: UTF-8; ``how``: how a person names another encoding."""
    try:
        # every column of both kinds is asked for; the header then says which kind this is
        others = [c for c in (*WORKER_COLUMNS, *VISITOR_COLUMNS) if c != "person_id"]
        table = load_table(
            path, ["person_id"], "roster", optional=list(dict.fromkeys(others)), encoding=encoding
        )
    except NotUtf8Error as exc:
        raise RosterError(str(exc.advising(how))) from None
    except CsvFileError as exc:
        raise RosterError(str(exc)) from None
    kind = _kind(table)
    zone = ZoneInfo(config.gate.timezone)
    problems = _Problems(table)
    people: list[Person] = []
    lines: dict[str, int] = {}
    cells_read: list[tuple[str, ...]] = []
    columns = WORKER_COLUMNS if kind == "workers" else VISITOR_COLUMNS
    for line, cells in table:
        row = _Row(problems, line, cells, columns)
        person_id = cells["person_id"]
        if "person_id" not in row.failed and not PERSON_ID.fullmatch(person_id):
            row.fail("person_id", f"must be {PERSON_ID_RULE}")
        elif person_id in lines:
            row.fail("person_id", f"appears twice (also on line {lines[person_id]})")
        for column in ("name", "department", "host"):
            if column in columns and len(cells[column]) > NAME_MAX:
                row.fail(column, f"longer than {NAME_MAX} characters")
        if not cells["name"]:
            row.fail("name", "is empty")
        person = (_worker if kind == "workers" else _visitor)(row, config, zone)
        lines.setdefault(person_id, line)
        if person is not None and not row.failed:
            people.append(person)
            cells_read.append(tuple(cells[c] for c in columns))
        if row.failed and problems.enough_at(line):
            break
    problems.raise_any()
    return PeopleFile(path, kind, tuple(people), lines, tuple(table.ignored), tuple(cells_read))


class _Row:
    """One row's cells, and the fields found wrong in it (one problem a field)."""

    def __init__(
        self, problems: _Problems, line: int, cells: dict[str, str], columns: tuple[str, ...]
    ) -> None:
        self.problems, self.line, self.cells = problems, line, cells
        self.failed: set[str] = set()
        for column in columns:
            bad = unsafe_character(cells[column])
            if bad is not None:
                self.fail(column, f"holds a control or formatting character ({bad})")

    def fail(self, column: str, message: str) -> None:
        if column not in self.failed:
            self.failed.add(column)
            self.problems.add(self.line, column, message)

    def time(self, column: str, zone: ZoneInfo) -> float | None:
        if column in self.failed:
            return None
        try:
            return parse_time(self.cells[column], zone)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None


def _worker(row: _Row, config: Config, zone: ZoneInfo) -> Worker | None:
    cells = row.cells
    group = cells["group"]
    if group not in config.shifts.groups:
        known = ", ".join(sorted(config.shifts.groups)) or "none configured"
        row.fail("group", f"no such group in shifts.groups ({known})")
    tested_text, result_text = cells["nat_tested_at"], cells["nat_result"]
    if bool(tested_text) != bool(result_text):
        column = "nat_result" if tested_text else "nat_tested_at"
        row.fail(column, "nat_tested_at and nat_result are both set or both blank")
        return None
    tested_at_s: float | None = None
    result: Literal["negative", "positive"] | None = None
    if tested_text:
        tested_at_s = row.time("nat_tested_at", zone)
        found = NAT_RESULTS.get(result_text.lower())
        if found is None:
            row.fail("nat_result", "must be negative or positive (阴性 or 阳性)")
        result = found  # type: ignore[assignment]
        if tested_at_s is None or result is None:
            return None
    return Worker(
        cells["person_id"], cells["name"], cells["department"], group, tested_at_s, result
    )


def _visitor(row: _Row, config: Config, zone: ZoneInfo) -> Visitor | None:
    cells = row.cells
    if not cells["host"]:
        row.fail("host", "is empty: who receives this visitor?")
    start_s = row.time("visit_from", zone)
    end_s = row.time("visit_until", zone)
    if start_s is None or end_s is None:
        return None
    if end_s <= start_s:
        row.fail("visit_until", "is not after visit_from")
    elif end_s - start_s > config.roster.max_visit_h * 3600:
        row.fail(
            "visit_until",
            f"the visit is longer than roster.max_visit_h ({config.roster.max_visit_h:g} h)",
        )
    return Visitor(cells["person_id"], cells["name"], cells["host"], start_s, end_s)


def check_unique(first: PeopleFile, second: PeopleFile) -> None:
    """A person is a worker or a visitor, never both: RosterError naming every such id's line."""
    problems = [
        f"{second.path}:{line}: person_id: also on {first.path} line "
        f"{first.lines[person_id]}; ids are unique across workers and visitors"
        for person_id, line in second.lines.items()
        if person_id in first.lines
    ]
    if problems:
        raise RosterError(*problems)


def _expect(file: PeopleFile, kind: Kind, key: str, config: Config) -> None:
    if file.kind != kind:
        raise RosterError(
            f"{file.path}:1: is a {file.kind} file, but the config's roster.{key} "
            f"({config.source}) names it"
        )


def missing_visitors_file(config: Config) -> Path | None:
    """The configured visitors file when it is not there: the gate then lets no visitor in."""
    if config.roster.visitors is None:
        return None
    path = config.resolved(config.roster.visitors)
    return None if path.exists() else path


def load_people_files(config: Config) -> tuple[PeopleFile, PeopleFile | None]:
    """The configured workers file and, where there is one, visitors file, each checked alone
    and against the other. A visitors file that is not there is no visitors (roster.visitors is
    optional); one that is there and broken is an error, as a broken workers file is."""

    def read(path: Path, kind: Kind) -> PeopleFile:
        how = f"set roster.encoding in {config.source}"
        found = read_people_file(path, config, config.roster.encoding, how=how)
        _expect(found, kind, kind, config)
        return found

    workers = read(config.resolved(config.roster.workers), "workers")
    visitors = None
    if config.roster.visitors is not None and missing_visitors_file(config) is None:
        visitors = read(config.resolved(config.roster.visitors), "visitors")
        check_unique(workers, visitors)
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
        missing = missing_visitors_file(config)
        if missing is not None:
            log.warning(
                "%s: no visitors file (roster.visitors in %s): no visitor is let in until one "
                "is installed",
                missing,
                config.source,
            )
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
