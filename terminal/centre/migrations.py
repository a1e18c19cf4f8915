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
from terminal.centre.flags import FLAGS_INDEX, SCREENING_FLAG_COLUMNS, flags_table
from terminal.centre.schema import (
    CHECKS_INDEXES,
    COMMAND_COLUMNS,
    COMMANDS_INDEXES,
    EVENT_COLUMNS,
    EVENTS_INDEXES,
    MUSTER_COLUMNS,
    MUSTER_PEOPLE_COLUMNS,
    MUSTERS_INDEXES,
    checks_table,
    commands_table,
    events_table,
    muster_people_table,
    musters_table,
)

# the columns of flags and checks as schemas 2 and 3 had them: the rows those steps copy (the
# tables they build have every column of now; schema 4's are left empty, then kept by step 4)
_FLAG_COLUMNS_2 = (
    "flag_id, park, gate, person_id, kind, temperature_c, first_c, route, isolation_room, "
    "isolation_location, raised_s, alerts, last_alert_s, state, clinical_c, guard, resolved_s, "
    "taken_by, taken_s, escorted_by, escorted_s, escort_note, reason"
)
_CHECK_COLUMNS_3 = (
    "event_id, park, gate, occurred_s, person_id, code, temperature_c, decision, reason, route, "
    "replayed"
)
# schema 4's new columns of the other tables: the screened reading and the screening's word of
# a check, and the screening's day a gate's status tells
_SCREENING_COLUMNS = {
    "flags": SCREENING_FLAG_COLUMNS,
    "checks": (("object_c", "DOUBLE PRECISION"), ("screening", "TEXT")),
    "gates": (("screening", "TEXT"),),
}


class SchemaError(CentreError):
    """A database this centre cannot use as it is (made by a newer centre)."""


def _flags_keyed_by_gate(db: Database) -> None:
    """2: a flag is keyed by park, gate and id (it was keyed by its id alone, so the first alert
    to name an id, from whichever gate, took the flag). The flags keep their park and gate."""
    db.execute(flags_table("flags_keyed"))
    db.execute(f"INSERT INTO flags_keyed ({_FLAG_COLUMNS_2}) SELECT {_FLAG_COLUMNS_2} FROM flags")
    db.execute("DROP TABLE flags")
    db.execute("ALTER TABLE flags_keyed RENAME TO flags")
    db.execute(FLAGS_INDEX)


def _rebuild(
    db: Database,
    table: str,
    create: Callable[[str], str],
    columns: str,
    indexes: tuple[str, ...],
    select: str | None = None,
) -> None:
    """``table`` built again under its new key, with every row it held (``select``: how the old
    rows are read, when a column is new). A table an older centre never made is left to be
    created as it is now."""
    if not db.has_table(table):
        return
    db.execute(create(f"{table}_keyed"))
    db.execute(
        f"INSERT INTO {table}_keyed ({columns}) {select or f'SELECT {columns} FROM {table}'}"
    )
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {table}_keyed RENAME TO {table}")
    for index in indexes:
        db.execute(index)


def _events_keyed_by_gate(db: Database) -> None:
    """3: events, checks, command results and roll calls are keyed by park, gate and their id
    (they were keyed by the id alone, so a gate that sent another gate's event id first had its
    own event stored, and the real one dropped as a duplicate). Every row keeps its park and
    gate; a roll call's people take their roll call's."""
    _rebuild(db, "events", events_table, EVENT_COLUMNS, EVENTS_INDEXES)
    _rebuild(db, "checks", checks_table, _CHECK_COLUMNS_3, CHECKS_INDEXES)
    _rebuild(db, "commands", commands_table, COMMAND_COLUMNS, COMMANDS_INDEXES)
    _rebuild(db, "musters", musters_table, MUSTER_COLUMNS, MUSTERS_INDEXES)
    # the people of a roll call whose muster row is missing keep an empty park and gate
    _rebuild(
        db,
        "muster_people",
        muster_people_table,
        MUSTER_PEOPLE_COLUMNS,
        (),
        select=(
            "SELECT COALESCE(m.park, ''), COALESCE(m.gate, ''), p.emergency_id, p.person_id, "
            "p.since_s, p.by_gate, p.accounted_by, p.accounted_s FROM muster_people p "
            "LEFT JOIN musters m ON m.emergency_id = p.emergency_id"
        ),
    )


def _screening_columns(db: Database) -> None:
    """4: why a flag was raised (the screened reading against the threshold and the reference),
    who an unidentified person is, the escalation and a not-returned person's dismissal; the
    screened reading and the screening's word of a check; the screening's day of a gate. Every
    row keeps what it had, the new columns empty (an older gate's messages never fill them).
    A column the steps before built already is left as it is."""
    for table, columns in _SCREENING_COLUMNS.items():
        have = db.columns(table)
        if not have:
            continue  # made as it is now, with the others
        for name, kind in columns:
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


# STEPS[n - 1] takes a database from schema n to n + 1
STEPS: tuple[Callable[[Database], None], ...] = (
    _flags_keyed_by_gate,
    _events_keyed_by_gate,
    _screening_columns,
)
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
