"""A centre's database made before a schema change opens in the new centre with everything it
held: on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from terminal.centre.database import Database, connect
from terminal.centre.flags import flag_ref
from terminal.centre.migrations import SCHEMA_VERSION, SchemaError
from terminal.centre.store import Store, open_store
from tests.support.centre_messages import FakeGate, at
from tests.support.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)

MORNING = at("2026-06-01T08:00:00+08:00")

# the flags table as the centre made it before a flag was keyed by its gate (schema 1, when the
# meta table held the change counter alone)
OLD_FLAGS = """CREATE TABLE flags (
    flag_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL, person_id TEXT,
    kind TEXT NOT NULL, temperature_c DOUBLE PRECISION, first_c DOUBLE PRECISION,
    route TEXT, isolation_room TEXT, isolation_location TEXT,
    raised_s DOUBLE PRECISION NOT NULL, alerts INTEGER NOT NULL,
    last_alert_s DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, reason TEXT,
    clinical_c DOUBLE PRECISION, guard TEXT, resolved_s DOUBLE PRECISION,
    taken_by TEXT, taken_s DOUBLE PRECISION, escorted_by TEXT, escorted_s DOUBLE PRECISION,
    escort_note TEXT)"""

OLD_ROWS = [
    # flag_id, park, gate, person_id, kind, raised, state, taken_by
    ("f-open", "p1", "north-1", "W0002", "secondary_check", "08:00", "open", None),
    ("f-fever", "p1", "north-2", "V0032", "fever", "08:05", "fever_confirmed", "wang.li"),
    ("f-done", "p1", "east-1", "W0221", "secondary_check", "07:30", "admitted", "zhao.min"),
]


def moment(hhmm: str) -> datetime:
    return at(f"2026-06-01T{hhmm}:00+08:00")


def old_centre(url: str) -> None:
    """A database as the centre left it before the change: its change counter, and flags."""
    db: Database = connect(url)
    try:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)")
        db.execute("INSERT INTO meta (key, value) VALUES ('version', 7)")
        db.execute(OLD_FLAGS)
        db.execute("CREATE INDEX flags_state ON flags (state, raised_s)")
        for flag_id, park, gate, person, kind, raised, state, taken_by in OLD_ROWS:
            raised_s = moment(raised).timestamp()
            db.execute(
                "INSERT INTO flags (flag_id, park, gate, person_id, kind, temperature_c, "
                "raised_s, alerts, last_alert_s, state, taken_by) "
                "VALUES (?, ?, ?, ?, ?, 37.8, ?, 1, ?, ?, ?)",
                (flag_id, park, gate, person, kind, raised_s, raised_s, state, taken_by),
            )
        db.commit()
    finally:
        db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest) -> str:
    url = database_url(request, request.param)
    old_centre(url)
    return url


@pytest.fixture
def upgraded(old_url: str) -> Iterator[Store]:
    store = open_store(old_url)
    try:
        yield store
    finally:
        store.close()


def test_an_old_centres_flags_survive_the_upgrade_with_their_gate(upgraded: Store) -> None:
    kept = {
        (f.flag_id, f.park, f.gate, f.person_id, f.kind, f.state, f.taken_by, f.raised_at)
        for f in upgraded.flags()
    }
    assert kept == {
        (flag_id, park, gate, person, kind, state, taken_by, moment(raised))
        for flag_id, park, gate, person, kind, raised, state, taken_by in OLD_ROWS
    }
    # the desk finds each by its gate, and still acts on it
    upgraded.take(flag_ref("p1", "north-1", "f-open"), "anna", MORNING)
    taken = upgraded.flag(flag_ref("p1", "north-1", "f-open"))
    assert taken is not None and taken.taken_by == "anna"
    assert upgraded.flag(flag_ref("p1", "north-2", "f-open")) is None


def test_after_the_upgrade_the_same_id_from_another_gate_is_another_flag(
    upgraded: Store,
) -> None:
    """What the new key is for: the old one refused a second row with the same id."""
    north_2 = FakeGate("north-2")
    feed = north_2.resolved("f-open", MORNING, "admitted")
    assert upgraded.ingest(*feed, MORNING)
    assert upgraded.bad_payloads == 0
    north_1s = upgraded.flag(flag_ref("p1", "north-1", "f-open"))
    north_2s = upgraded.flag(flag_ref("p1", "north-2", "f-open"))
    assert north_1s is not None and north_1s.state == "open"
    assert north_2s is not None and north_2s.state == "admitted"


def test_the_upgrade_is_done_once_and_numbered(old_url: str) -> None:
    first = open_store(old_url)
    first.take(flag_ref("p1", "north-1", "f-open"), "anna", MORNING)
    first.close()
    again = open_store(old_url)  # a restart, or a second collector: nothing is rebuilt
    try:
        flag = again.flag(flag_ref("p1", "north-1", "f-open"))
        assert flag is not None and flag.taken_by == "anna"
        assert len(again.flags()) == len(OLD_ROWS)
    finally:
        again.close()
    db = connect(old_url)
    try:
        rows = dict(db.query("SELECT key, value FROM meta"))
        db.commit()
    finally:
        db.close()
    assert rows["schema"] == SCHEMA_VERSION
    assert rows["version"] >= 7  # the change counter goes on from where it was


def test_a_database_of_a_newer_centre_is_refused_in_one_line(old_url: str) -> None:
    db = connect(old_url)
    try:
        db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION + 1,))
        db.commit()
    finally:
        db.close()
    with pytest.raises(SchemaError) as refused:
        open_store(old_url)
    message = str(refused.value)
    assert "\n" not in message and f"schema {SCHEMA_VERSION + 1}" in message
    assert "newer centre" in message
