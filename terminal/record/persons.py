"""A person's own data in the record: a copy of everything it holds about one person, and their
erasure.

Which rows are a person's is found the same way in every table, so that a table added later is
covered without a change here: a row is theirs when any text column names them (their id, or the
fingerprint of a health code they showed, as a whole word; in a JSON column, as one of its
strings), or when it belongs to such a row by the row's id (a secondary check's steps, a vehicle
their check admitted, the messages of their checks).

Erasure comes in two modes ([privacy] erasure in the centre's config, carried by the command):

- ``pseudonymise`` (the default): the park's inspection rules keep the record of every check for
  the retention period, so the rows stay, with every mention of the person (their id, their
  code's fingerprint) replaced by a pseudonym (``erased-`` and 8 hex digits, new for each
  request) and the free text written about them cleared. Temperatures, times, outcomes and counts
  stay: the record keeps its shape and the daily totals do not change.
- ``delete``: where the park may delete, their own rows go (those whose person or driver they
  are, and the rows belonging to those), except the messages not yet sent (pseudonymised: the
  centre's sequence of the gate's messages has no hole); somebody else's row that mentions them
  (a roll call, someone else's check on their code, a command's answer) is pseudonymised.

Their copy names nobody else: another person or driver in a row or a message is written
``(another person)``.

Rows older than the retention period are purged every day already (``purge_before``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlite_utils

from terminal.common.mentions import OWNER_KEYS, Mentions, owner_masked
from terminal.record.schema import Table, writing

ErasureMode = Literal["pseudonymise", "delete"]
PSEUDONYM_PATTERN = r"^erased-[0-9a-f]{8}$"
# rows that name nobody but belong to a person's row through that row's id
LINKED_BY: dict[str, str] = {
    "secondary_steps": "flag_id",
    "vehicles": "driver_check_id",
    "outbox": "event_id",
}
# the id columns whose values link other rows to a person's row
OWN_ID_COLUMNS = ("event_id", "admission_id")
# free text a guard typed about a person's vehicle, which could name them: cleared (the steps of
# a secondary check carry the gate's own words, a mention of the id in them is replaced)
FREE_TEXT: dict[str, tuple[str, ...]] = {"vehicles": ("purpose",)}
# identifiers of the person besides their id: the fingerprint of a health code they showed
IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "checks": ("code_fingerprint",),
    "rests": ("code_fingerprint",),
    "holds": ("fingerprint",),
}
# in delete mode, a person's rows of these tables go (the outbox's only when sent)
DELETED_IN_DELETE_MODE = frozenset(
    {"checks", "secondary_steps", "rests", "holds", "passages", "vehicles", "outbox"}
)


@dataclass(frozen=True)
class ErasureCounts:
    """How many of the person's rows each table pseudonymised and deleted."""

    pseudonymised: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line naming tables and counts, never the person."""
        parts = [f"{t} {n} pseudonymised" for t, n in sorted(self.pseudonymised.items())]
        parts += [f"{t} {n} deleted" for t, n in sorted(self.deleted.items())]
        return ", ".join(parts) or "nothing held"


def text_columns(table: Table) -> list[str]:
    return [name for name, kind in table.columns.items() if kind is str]


class PersonRows:
    """Finds one person's rows in every table of the record (reads only)."""

    def __init__(self, db: sqlite_utils.Database, tables: Iterable[Table]) -> None:
        self.db = db
        self.tables = list(tables)

    def _mentioning(self, table: Table, mentions: Mentions) -> list[dict[str, Any]]:
        columns = text_columns(table)
        if not columns or not mentions.words:
            return []
        # instr narrows to rows holding the text; the whole-word test then decides
        where = " OR ".join(f"instr({column}, ?) > 0" for column in columns for _ in mentions.words)
        params = [word for _ in columns for word in mentions.words]
        rows = self.db.query(f"SELECT rowid AS _rowid, * FROM {table.name} WHERE {where}", params)
        return [row for row in rows if any(mentions.found_in(row[c]) for c in columns)]

    def _linked(self, table: Table, column: str, ids: set[str]) -> list[dict[str, Any]]:
        if not ids or column not in table.columns:
            return []
        marks = ", ".join("?" * len(ids))
        return list(
            self.db.query(
                f"SELECT rowid AS _rowid, * FROM {table.name} WHERE {column} IN ({marks})",
                sorted(ids),
            )
        )

    def words(self, person_id: str) -> Mentions:
        """The person's id, and the fingerprints of the codes their rows carry."""
        words = {person_id}
        by_id = Mentions([person_id])
        for table in self.tables:
            for column in IDENTIFIERS.get(table.name, ()):
                for row in self._mentioning(table, by_id):
                    if row[column] and row.get("person_id") == person_id:
                        words.add(str(row[column]))
        return Mentions(words)

    def find(self, person_id: str, mentions: Mentions) -> dict[str, list[dict[str, Any]]]:
        """Table -> the rows that mention the person, each with its ``_rowid`` and ``_owned``:
        the row is theirs (it names them as its person or driver, or belongs to such a row by
        its id) rather than another's that mentions them (someone else's check on their code, a
        roll call naming them). Tables with none left out."""
        found = {table.name: self._mentioning(table, mentions) for table in self.tables}
        for rows in found.values():
            for row in rows:
                row["_owned"] = any(row.get(column) == person_id for column in OWNER_KEYS)
        own_ids = {
            str(row[column])
            for rows in found.values()
            for row in rows
            if row["_owned"]
            for column in OWN_ID_COLUMNS
            if row.get(column)
        }
        for table in self.tables:
            column = LINKED_BY.get(table.name)
            if column is None:
                continue
            by_rowid = {row["_rowid"]: row for row in found[table.name]}
            for row in self._linked(table, column, own_ids):
                by_rowid.setdefault(row["_rowid"], row)["_owned"] = True
            found[table.name] = list(by_rowid.values())
        return {name: rows for name, rows in found.items() if rows}


PERSON_DATA_TOPIC_END = "/person/data"  # the topic an export's pages go on


def person_data(
    db: sqlite_utils.Database, tables: Iterable[Table], person_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Everything the record holds about ``person_id``: table -> rows, as stored, but for who
    else a row names (another person or driver, in a column or in a message): not theirs to
    have, written ``(another person)``."""
    rows = PersonRows(db, tables)
    found = rows.find(person_id, rows.words(person_id))
    held = {
        name: [
            owner_masked({k: v for k, v in row.items() if not k.startswith("_")}, person_id)
            for row in table_rows
            if not _earlier_copy(name, row)
        ]
        for name, table_rows in found.items()
    }
    return {name: table_rows for name, table_rows in held.items() if table_rows}


def _earlier_copy(table: str, row: dict[str, Any]) -> bool:
    """An earlier export's page, still in the outbox: a copy of what is exported anyway, which
    would otherwise be copied into every later export, each one larger (erasure still finds
    it)."""
    return table == "outbox" and str(row.get("topic", "")).endswith(PERSON_DATA_TOPIC_END)


def erase_person(
    db: sqlite_utils.Database,
    tables: Iterable[Table],
    person_id: str,
    pseudonym: str,
    mode: ErasureMode,
) -> ErasureCounts:
    """Erase ``person_id`` in one write transaction (see the module's docstring)."""
    if not re.match(PSEUDONYM_PATTERN, pseudonym):
        raise ValueError(f"pseudonym {pseudonym!r}: not erased- and 8 hex digits")
    if mode not in ("pseudonymise", "delete"):
        raise ValueError(f"erasure mode {mode!r}: pseudonymise or delete")
    by_name = {table.name: table for table in tables}
    counts = ErasureCounts()
    # what is erased is overwritten in the file too, not left readable in its freed space
    was = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        _erase(db, by_name, person_id, pseudonym, mode, counts)
    finally:
        db.execute(f"PRAGMA secure_delete = {int(was)}")
    return counts


def _erase(
    db: sqlite_utils.Database,
    by_name: dict[str, Table],
    person_id: str,
    pseudonym: str,
    mode: ErasureMode,
    counts: ErasureCounts,
) -> None:
    with writing(db):
        rows = PersonRows(db, by_name.values())
        mentions = rows.words(person_id)
        for name, found in rows.find(person_id, mentions).items():
            table = by_name[name]
            for row in found:
                if _deleted(name, row, mode):
                    db.execute(f"DELETE FROM {name} WHERE rowid = ?", [row["_rowid"]])
                    counts.deleted[name] = counts.deleted.get(name, 0) + 1
                    continue
                _pseudonymise(db, table, row, mentions, pseudonym)
                counts.pseudonymised[name] = counts.pseudonymised.get(name, 0) + 1


def _deleted(table: str, row: dict[str, Any], mode: ErasureMode) -> bool:
    """Only the person's own rows go; a row of another's that mentions them stays, under the
    pseudonym."""
    if mode != "delete" or table not in DELETED_IN_DELETE_MODE or not row["_owned"]:
        return False
    # a message not yet sent goes out pseudonymised: the gate's seq has no hole at the centre
    return table != "outbox" or row.get("sent_s") is not None


def _pseudonymise(
    db: sqlite_utils.Database,
    table: Table,
    row: dict[str, Any],
    mentions: Mentions,
    pseudonym: str,
) -> None:
    changes: dict[str, Any] = {}
    for column in text_columns(table):
        value = row[column]
        if column in FREE_TEXT.get(table.name, ()) and value is not None:
            changes[column] = None if column not in table.not_null else ""
        elif isinstance(value, str) and mentions.found_in(value):
            changes[column] = mentions.replaced(value, pseudonym)
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        db.execute(
            f"UPDATE {table.name} SET {assignments} WHERE rowid = ?",
            [*changes.values(), row["_rowid"]],
        )
