"""The record's file: its connection, its transactions, its tables and its schema version.

Each concern of the record (checks, outbox, holds, passages, events, boots and commands, reports)
declares its tables as data (:class:`Table`); :func:`prepare` creates what a file lacks, so a
record written by any earlier version gains the newer tables and columns when the gate opens it.
A record written by a newer version is refused (:class:`RecordTooNew`) and left untouched: an
older gate cannot know what the newer columns mean, and must not write around them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args, get_type_hints

import sqlite_utils

from terminal.common.errors import GateError

# 4: the shift refusal's next_window column and the passages, overrides and emergencies tables;
# 5: the vehicles table; a check's direction and passback_of, a passage's direction and zone,
# the zone_events table; 6: a vehicle's source, and vehicles without a plate (no vehicle came, a
# permit not believed); 7: a check's screening word, stage, threshold, basis, why and rest_until,
# and the rests table; a record of any earlier version gains what it lacks when the gate opens
# it (prepare)
SCHEMA_VERSION = 7
BUSY_TIMEOUT_MS = 10_000
SQLITE_FULL = 13
# what a failed read or write of the record raises: callers catch this, not the driver's name
RecordError = sqlite3.Error


class RecordFull(GateError):
    """The record's disk (or its size limit) is full: nothing more can be written."""


class RecordTooNew(GateError, ValueError):
    """The record was written by a newer version of the gate software than this one."""


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and (
        getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
        or "database or disk is full" in str(exc)
    )


def columns_of(row_type: type) -> dict[str, type]:
    """SQLite columns from a row dataclass: ``float | None`` is a nullable float column."""
    columns = {}
    for name, hint in get_type_hints(row_type).items():
        options = [t for t in get_args(hint) if t is not type(None)] or [hint]
        columns[name] = options[0]
    return columns


@dataclass(frozen=True)
class Table:
    """One table as the current schema has it. ``upgrade`` runs on every open, before missing
    columns are added: it changes what adding columns cannot (a NOT NULL dropped)."""

    name: str
    columns: dict[str, type]
    pk: str | None = None
    not_null: frozenset[str] = frozenset()
    indexes: tuple[tuple[str, ...], ...] = ()
    upgrade: Callable[[sqlite_utils.Database], None] | None = field(default=None, compare=False)


def open_database(path: Path) -> sqlite_utils.Database:
    """The record's connection: WAL and a full sync, so a committed check survives a power cut.
    A record of a newer schema is refused before anything is written to it, even a pragma."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    try:
        refuse_if_newer(schema_version(db), path)
    except RecordTooNew:
        db.close()
        raise
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    # an inspector reading or exporting the record must not make a check fail: wait for them
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return db


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the write lock at its start. A deferred one that read
    first could not be upgraded once another connection had written, and would fail at once
    with "database is locked" instead of waiting."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield  # sqlite-utils nests its own transactions as savepoints inside this one
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def refuse_if_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise RecordTooNew(
            f"the record {path} has schema {version}, newer than this software's "
            f"{SCHEMA_VERSION}: run the newer software, or restore the backup made before the "
            "upgrade (see docs/record.md)"
        )


def backup_path(path: Path, version: int) -> Path:
    """Where the record of schema ``version`` is copied before it is upgraded."""
    return path.with_name(f"{path.name}.schema-{version}.bak")


def prepare(db: sqlite_utils.Database, path: Path, tables: Iterable[Table]) -> None:
    """Copy an older record aside (once per version) before upgrading it; then create what
    the file lacks, in one write transaction. (A newer one was refused when it was opened.)"""
    version = schema_version(db)
    if version < SCHEMA_VERSION and db.table_names():
        _backup(db, backup_path(path, version))
    with writing(db):
        for table in tables:
            _create(db, table)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _backup(db: sqlite_utils.Database, target: Path) -> None:
    """A consistent copy of the record as the older software left it: the way back."""
    if target.exists():
        return  # the copy of the first upgrade from this version is the one to keep
    with sqlite3.connect(target) as copy:
        db.conn.backup(copy)
    copy.close()


def _create(db: sqlite_utils.Database, table: Table) -> None:
    db.table(table.name).create(
        table.columns,
        pk=table.pk,
        not_null=set(table.not_null),
        if_not_exists=True,
    )
    if table.upgrade is not None:
        table.upgrade(db)
    # a record written by an earlier version gains the columns added since (all nullable)
    existing = db.table(table.name).columns_dict
    for name, kind in table.columns.items():
        if name not in existing:
            db.table(table.name).add_column(name, kind)
    for columns in table.indexes:
        db.table(table.name).create_index(list(columns), if_not_exists=True)


# --- meta: the outbox's last seq, the simulator's label ----------------------------------------
META = Table("meta", {"key": str, "value": str}, pk="key")


def read_meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def write_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    """Inside a write transaction."""
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def is_simulated_record(path: Path) -> bool:
    """Read-only: does the file at ``path`` carry the simulator's label?"""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as existing:
            row = existing.execute("SELECT value FROM meta WHERE key = 'simulated'").fetchone()
    except sqlite3.DatabaseError:
        return False  # not a record, or one from a real gate (it has no such label)
    return row is not None and row[0] == "yes"


def inspect_read_only(path: Path) -> tuple[int | None, list[str]]:
    """A record's schema version and SQLite's integrity check (its first problems; ``["ok"]``
    when sound), opened read only: nothing is changed, and a running gate may go on writing.
    A file SQLite cannot read has no version, and what SQLite said is the problem."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            problems = [str(row[0]) for row in db.execute("PRAGMA integrity_check(5)")]
        finally:
            db.close()
    except sqlite3.Error as exc:
        return None, [str(exc)]
    return version, problems
