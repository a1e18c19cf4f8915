"""A person's rows in the centre's database: found in every table, and erased.

As at the gate (:mod:`terminal.record.persons`), a row is a person's when a text column names them
as a whole word (their id, or the fingerprint of a code they showed; in a JSON payload, one of its
strings). The tables and their text columns are read from the database itself, on SQLite and on
PostgreSQL alike, so that a table added later is covered without a change here. Only the staff's
own tables (accounts, sessions) and the centre's counters are left out.

Erasure (``[privacy] erasure`` in the centre's config):

- ``pseudonymise``: every mention is replaced by the request's pseudonym and the free text staff
  wrote about the person's flag is cleared; the rows stay, so the counts and the record's shape
  do not change (the park's inspection rules keep the record of every check);
- ``delete``: their own checks, flags, roll-call lines and events (those whose person or driver
  they are) are deleted; the rows that only mention them (a roll call naming others too, a
  command's summary, the audit log) are pseudonymised.

A copy of their data made for an export request is deleted in both modes.

A person id is matched without regard to case, as the records search matches it (by the contract
an id is ASCII): an officer typing ``w0067`` finds and erases the rows the gates wrote for
``W0067``, and the commands to the gates carry the spelling the centre holds (the gate's roster's).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from terminal.centre.database import Database, SqliteDatabase
from terminal.centre.guarded import Guarded
from terminal.common.mentions import OWNER_KEYS, Mentions, ascii_lower, same_person

# the staff's own tables and the centre's counters: never a person's data
NOT_A_PERSONS = frozenset({"users", "sessions", "meta", "privacy"})
# in delete mode, the person's own rows of these go (another's that mentions them stays)
DELETED_IN_DELETE_MODE = frozenset({"checks", "flags", "muster_people", "events"})
# copies made for the person (an export's pages): deleted in either mode
ALWAYS_DELETED = frozenset({"person_pages"})
# free text staff wrote about a person's flag that could name them: cleared
FREE_TEXT: dict[str, tuple[str, ...]] = {"flags": ("escort_note", "dismiss_note")}
# the columns by which such a row is the person's: their id, or the identity a guard recorded
# for an unidentified person (a flag raised without a code that names anyone)
NAMED_BY: dict[str, tuple[str, ...]] = {"flags": ("person_id", "identity")}
LIKE_ESCAPE = "!"


@dataclass(frozen=True)
class CentreErasure:
    """Per table: how many mentions of the person were replaced by the pseudonym (a row may
    mention them in two columns), and how many of their rows were deleted."""

    pseudonymised: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line naming tables and counts, never the person."""
        parts = [f"{t}: {n} pseudonymised" for t, n in sorted(self.pseudonymised.items())]
        parts += [f"{t}: {n} rows deleted" for t, n in sorted(self.deleted.items())]
        return ", ".join(parts) or "nothing held"


def like_pattern(word: str) -> str:
    """``%word%`` with LIKE's own characters taken literally (``ESCAPE '!'``)."""
    for special in (LIKE_ESCAPE, "%", "_"):
        word = word.replace(special, LIKE_ESCAPE + special)
    return f"%{word}%"


def table_columns(db: Database) -> dict[str, tuple[list[str], list[str]]]:
    """Table -> (every column, its text columns), as the database has them."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    if isinstance(db, SqliteDatabase):
        names = db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' "
            "ESCAPE '!' ORDER BY name"
        )
        for (name,) in names:
            columns = db.query("SELECT name, type FROM pragma_table_info(?)", (name,))
            found[name] = (
                [c for c, _ in columns],
                [c for c, kind in columns if "TEXT" in str(kind).upper()],
            )
    else:
        rows = db.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        for table, column, kind in rows:
            every, text = found.setdefault(str(table), ([], []))
            every.append(str(column))
            if str(kind) == "text":
                text.append(str(column))
    return {name: columns for name, columns in found.items() if name not in NOT_A_PERSONS}


def _like(column: str, mentions: Mentions) -> str:
    """A first sieve (the mention's own pattern decides): PostgreSQL's LIKE minds case, and
    SQL's lower() reads ASCII letters alike on both databases."""
    read = f"lower({column})" if mentions.ignore_case else column
    return f"{read} LIKE ? ESCAPE '{LIKE_ESCAPE}'"


def _patterns(mentions: Mentions) -> list[str]:
    return [
        like_pattern(ascii_lower(word) if mentions.ignore_case else word) for word in mentions.words
    ]


def mentioned_values(db: Database, table: str, column: str, mentions: Mentions) -> list[str]:
    """The distinct values of ``table.column`` that mention the person."""
    where = " OR ".join(_like(column, mentions) for _ in mentions.words)
    rows = db.query(f"SELECT DISTINCT {column} FROM {table} WHERE {where}", _patterns(mentions))
    return [str(value) for (value,) in rows if mentions.found_in(value)]


def person_rows(
    db: Database, mentions: Mentions, leave_out: Iterable[str] = ()
) -> dict[str, list[dict[str, Any]]]:
    """Table -> the rows that mention the person (columns by name), tables with none left out."""
    skipped = set(leave_out)
    found: dict[str, list[dict[str, Any]]] = {}
    for table, (every, text) in table_columns(db).items():
        if table in skipped or not text or not mentions.words:
            continue
        where = " OR ".join(_like(column, mentions) for column in text for _ in mentions.words)
        params = [pattern for _ in text for pattern in _patterns(mentions)]
        rows = db.query(f"SELECT {', '.join(every)} FROM {table} WHERE {where}", params)
        mine = [
            dict(zip(every, row, strict=True))
            for row in rows
            if any(mentions.found_in(value) for value in row)
        ]
        if mine:
            found[table] = mine
    return found


def stored_spellings(db: Database, typed: str, leave_out: Iterable[str] = ()) -> Counter[str]:
    """The spellings of ``typed``, in any case, that the centre's rows and events hold as a
    person or a driver, with how many rows hold each (the most held is the gates' spelling)."""
    wanted = ascii_lower(typed)
    skipped = set(leave_out)
    held: Counter[str] = Counter()
    for table, (_, text) in table_columns(db).items():
        for column in text:
            if table in skipped or column not in OWNER_KEYS:
                continue
            rows = db.query(
                f"SELECT {column}, count(*) FROM {table} WHERE lower({column}) = ? "
                f"GROUP BY {column}",
                (wanted,),
            )
            held.update({str(spelling): int(count) for spelling, count in rows})
    mentions = Mentions([typed], ignore_case=True)
    for payload in mentioned_values(db, "events", "payload", mentions):
        data = _data_of(payload)
        for key in OWNER_KEYS:
            if same_person(data.get(key), typed, ignore_case=True):
                held[str(data[key])] += 1
    return held


def fingerprints(db: Database, person_id: str) -> set[str]:
    """The fingerprints of the codes the person's checks carried (in the gates' events), their
    id read in any case."""
    found = set()
    mentions = Mentions([person_id], ignore_case=True)
    for payload in mentioned_values(db, "events", "payload", mentions):
        data = _data_of(payload)
        if same_person(data.get("person_id"), person_id, True) and data.get("code_fingerprint"):
            found.add(str(data["code_fingerprint"]))
    return found


def person_mentions(db: Database, person_id: str) -> Mentions:
    """The person's id in any case, and the fingerprints of the codes they showed."""
    return Mentions({person_id, *fingerprints(db, person_id)}, ignore_case=True)


def _owned(column: str, value: str, person_id: str) -> bool:
    """Whether a value makes its row the person's own (their check, flag, roll-call line, an
    event whose person or driver they are) rather than another's that mentions them (a roll
    call naming them among others, a check of someone else on their code)."""
    if column in OWNER_KEYS:
        return same_person(value, person_id, ignore_case=True)
    if column == "payload":
        data = _data_of(value)
        return any(same_person(data.get(key), person_id, True) for key in OWNER_KEYS)
    return False


def _data_of(payload: str) -> dict[str, Any]:
    """An event's ``data`` (empty for a payload that is not an event's JSON)."""
    try:
        event = json.loads(payload)
    except ValueError:
        return {}
    data = event.get("data") if isinstance(event, dict) else None
    return data if isinstance(data, dict) else {}


def erase_at_centre(guarded: Guarded, person_id: str, pseudonym: str, mode: str) -> CentreErasure:
    """Erase ``person_id`` (in any case) from every table of the centre, in one transaction."""
    counts = CentreErasure()
    with guarded.lock:
        db = guarded.db
        try:
            mentions = person_mentions(db, person_id)
            for table, (_, text) in table_columns(db).items():
                for column in text:
                    for value in mentioned_values(db, table, column, mentions):
                        _erase_value(
                            db, counts, (table, column, value), person_id, mentions, pseudonym, mode
                        )
            for table, columns in FREE_TEXT.items():
                cleared = ", ".join(f"{column} = NULL" for column in columns)
                named = " OR ".join(f"{column} = ?" for column in NAMED_BY[table])
                db.execute(
                    f"UPDATE {table} SET {cleared} WHERE {named}",
                    (pseudonym,) * len(NAMED_BY[table]),
                )
            db.commit()
        except BaseException:
            db.rollback()
            raise
        db.bump_version()
    return counts


def _erase_value(
    db: Database,
    counts: CentreErasure,
    where: tuple[str, str, str],
    person_id: str,
    mentions: Mentions,
    pseudonym: str,
    mode: str,
) -> None:
    """The rows of ``table`` whose ``column`` holds ``value`` (a mention of the person)."""
    table, column, value = where
    theirs = table in DELETED_IN_DELETE_MODE and _owned(column, value, person_id)
    if table in ALWAYS_DELETED or (mode == "delete" and theirs):
        gone = db.execute(f"DELETE FROM {table} WHERE {column} = ?", (value,))
        if gone:
            counts.deleted[table] = counts.deleted.get(table, 0) + gone
        return
    changed = db.execute(
        f"UPDATE {table} SET {column} = ? WHERE {column} = ?",
        (mentions.replaced(value, pseudonym), value),
    )
    if changed:
        counts.pseudonymised[table] = counts.pseudonymised.get(table, 0) + changed
