"""The centre's schema, numbered, and the steps from each number to the next.

The number is kept in the ``meta`` table under ``schema``. A database from before the number was
kept (it has the change counter's ``version`` row, and no ``schema`` row) is schema 1. Every step
runs in the transaction that opens the store, under the schema lock (SQLite's write lock,
PostgreSQL's advisory lock): two collectors starting together upgrade once, and a step that fails
leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from terminal.centre.database import Database
from terminal.centre.errors import CentreError
from terminal.centre.flags import FLAG_COLUMNS, FLAGS_INDEX, flags_table


class SchemaError(CentreError):
    """A database this centre cannot use as it is (made by a newer centre)."""


def _flags_keyed_by_gate(db: Database) -> None:
    """2: a flag is keyed by park, gate and id (it was keyed by its id alone, so the first alert
    to name an id, from whichever gate, took the flag). The flags keep their park and gate."""
    db.execute(flags_table("flags_keyed"))
    db.execute(f"INSERT INTO flags_keyed ({FLAG_COLUMNS}) SELECT {FLAG_COLUMNS} FROM flags")
    db.execute("DROP TABLE flags")
    db.execute("ALTER TABLE flags_keyed RENAME TO flags")
    db.execute(FLAGS_INDEX)


# STEPS[n - 1] takes a database from schema n to n + 1
STEPS: tuple[Callable[[Database], None], ...] = (_flags_keyed_by_gate,)
SCHEMA_VERSION = len(STEPS) + 1


def schema_version(db: Database) -> int | None:
    """The database's schema; None for a new, empty database."""
    rows = dict(db.query("SELECT key, value FROM meta WHERE key IN ('schema', 'version')"))
    if "schema" in rows:
        return int(rows["schema"])
    return 1 if "version" in rows else None


def upgrade(db: Database) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`, in the caller's transaction (which holds
    the schema lock); the number it had (the current one for a new database)."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)")
    found = schema_version(db)
    version = SCHEMA_VERSION if found is None else found
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"database {db.display_url}: schema {version} was made by a newer centre "
            f"(this one knows {SCHEMA_VERSION}): run the newer centre"
        )
    for step in STEPS[version - 1 :]:
        step(db)
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('schema', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (SCHEMA_VERSION,),
    )
    return version
