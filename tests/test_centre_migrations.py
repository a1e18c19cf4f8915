"""A centre's database made before a schema change opens in the new centre with everything it
held: on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest

from terminal.centre.database import Database, connect
from terminal.centre.flags import flag_ref
from terminal.centre.migrations import SCHEMA_VERSION, SchemaError, schema_version, upgrade
from terminal.centre.store import CheckQuery, Store, open_store
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


# --- schema 2 -> 3: a gate's events keyed by their gate ---------------------------------------
# the tables schema 3 rebuilds, as a schema-2 centre made them: keyed by the event's id alone
SCHEMA_2_TABLES = (
    """CREATE TABLE events (
        event_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL, schema TEXT NOT NULL,
        topic TEXT NOT NULL, occurred_s DOUBLE PRECISION NOT NULL,
        received_s DOUBLE PRECISION NOT NULL, replayed INTEGER NOT NULL, payload TEXT NOT NULL)""",
    """CREATE TABLE checks (
        event_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL,
        occurred_s DOUBLE PRECISION NOT NULL, person_id TEXT, code TEXT NOT NULL,
        temperature_c DOUBLE PRECISION, decision TEXT NOT NULL, reason TEXT NOT NULL,
        route TEXT NOT NULL, replayed INTEGER NOT NULL)""",
    "CREATE INDEX checks_time ON checks (occurred_s)",
    """CREATE TABLE commands (
        command_id TEXT PRIMARY KEY, name TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL,
        issued_by TEXT, issued_s DOUBLE PRECISION NOT NULL, expires_s DOUBLE PRECISION,
        payload_summary TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL)""",
    """CREATE TABLE faults (
        park TEXT NOT NULL, gate TEXT NOT NULL, kind TEXT NOT NULL, active INTEGER NOT NULL,
        detail TEXT NOT NULL, since_s DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (park, gate, kind))""",
    """CREATE TABLE musters (
        emergency_id TEXT PRIMARY KEY, park TEXT NOT NULL, gate TEXT NOT NULL, zone TEXT,
        started_s DOUBLE PRECISION NOT NULL, inside_count BIGINT NOT NULL)""",
    """CREATE TABLE muster_people (
        emergency_id TEXT NOT NULL, person_id TEXT NOT NULL, since_s DOUBLE PRECISION NOT NULL,
        by_gate TEXT NOT NULL, accounted_by TEXT, accounted_s DOUBLE PRECISION,
        PRIMARY KEY (emergency_id, person_id))""",
)
DOCK = FakeGate("dock-1")
VEHICLE = DOCK.vehicle(MORNING, "沪A12345", "W0001", "admitted")


def schema_2_centre(url: str) -> None:
    """A schema-2 database: flags keyed by gate (as made from OLD_FLAGS by the step to 2), and a
    check, a vehicle, a command and a roll call of a fire alarm still sounding, keyed by id."""
    old_centre(url)
    db: Database = connect(url)
    try:
        db.lock_schema()
        upgrade(db)  # to schema 3: then taken back to 2 below, as a schema-2 centre left it
        db.execute("UPDATE meta SET value = 2 WHERE key = 'schema'")
        for statement in SCHEMA_2_TABLES:
            db.execute(statement)
        vehicle = json.loads(VEHICLE[1])
        db.execute(
            "INSERT INTO events VALUES (?, 'p1', 'dock-1', 'gate.vehicle/1', ?, ?, ?, 0, ?)",
            (vehicle["event_id"], VEHICLE[0], moment("08:00").timestamp(),
             moment("08:00").timestamp(), VEHICLE[1].decode()),
        )  # fmt: skip
        db.execute(
            "INSERT INTO checks VALUES ('check-0001', 'p1', 'north-1', ?, 'W0002', 'green', 36.5, "
            "'admit', 'admitted', 'through', 0)",
            (moment("08:01").timestamp(),),
        )
        db.execute(
            "INSERT INTO commands VALUES ('cmd-1', 'lockdown', 'p1', 'north-1', 'alice', ?, ?, "
            "'on=true', 'done', 'locked')",
            (moment("08:02").timestamp(), moment("08:03").timestamp()),
        )
        db.execute(
            "INSERT INTO faults VALUES ('p1', 'north-1', 'emergency', 1, 'fire alarm', ?)",
            (moment("08:04").timestamp(),),
        )
        db.execute(
            "INSERT INTO musters VALUES ('fire-1', 'p1', 'north-1', 'hall', ?, 2)",
            (moment("08:04").timestamp(),),
        )
        db.execute(
            "INSERT INTO muster_people VALUES ('fire-1', 'W0002', ?, 'north-1', 'anna', ?)",
            (moment("07:00").timestamp(), moment("08:05").timestamp()),
        )
        db.commit()
    finally:
        db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def schema_2_url(request: pytest.FixtureRequest) -> str:
    url = database_url(request, request.param)
    schema_2_centre(url)
    return url


def test_a_schema_2_database_migrates_with_every_row(schema_2_url: str) -> None:
    store = open_store(schema_2_url)
    try:
        [check] = store.checks(CheckQuery())
        assert (check.event_id, check.gate, check.person_id) == ("check-0001", "north-1", "W0002")
        [vehicle] = store.vehicles()
        assert (vehicle.gate, vehicle.plate) == ("dock-1", "沪A12345")
        [command] = store.command_results(now=moment("09:00"))
        assert (command.command_id, command.gate, command.outcome) == ("cmd-1", "north-1", "done")
        [muster] = store.musters()
        assert (muster.emergency_id, muster.gate, muster.inside_count) == ("fire-1", "north-1", 2)
        [person] = muster.people
        assert (person.person_id, person.accounted_by) == ("W0002", "anna")
        assert len(store.flags()) == len(OLD_ROWS)
        # what the new key is for: north-2 sending north-1's check id is north-2's own check
        forged = FakeGate("north-2").check(MORNING, person_id="W6666", event_id="check-0001")
        assert store.ingest(*forged, MORNING)
        assert {(c.gate, c.person_id) for c in store.checks(CheckQuery())} == {
            ("north-1", "W0002"),
            ("north-2", "W6666"),
        }
    finally:
        store.close()
    db = connect(schema_2_url)
    try:
        assert schema_version(db) == SCHEMA_VERSION == 4
        db.commit()
    finally:
        db.close()


def test_a_newer_schema_is_refused_in_one_line_and_left_as_it_was(schema_2_url: str) -> None:
    open_store(schema_2_url).close()  # now schema 4
    db = connect(schema_2_url)
    try:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION + 1,))
        db.commit()
    finally:
        db.close()
    with pytest.raises(SchemaError) as refused:
        open_store(schema_2_url)
    message = str(refused.value)
    assert "\n" not in message
    assert f"schema {SCHEMA_VERSION + 1} was made by a newer centre" in message
    db = connect(schema_2_url)
    try:  # nothing was changed: the newer centre finds its database as it left it
        assert schema_version(db) == SCHEMA_VERSION + 1
        assert db.query("SELECT COUNT(*) FROM checks")[0][0] == 1
        db.commit()
    finally:
        db.close()


# --- schema 3 -> 4: why a flag was raised, who an unidentified person is, the screening's day --
SCHEMA_4_COLUMNS = {
    "flags": (
        "object_c", "threshold_c", "reference_c", "reference_basis", "why", "identity",
        "identified_by", "identified_s", "escalated_s", "dismissed_by", "dismissed_s",
        "dismiss_note",
    ),
    "checks": ("object_c", "screening"),
    "gates": ("screening",),
}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def schema_3_url(request: pytest.FixtureRequest) -> str:
    """A schema-3 database with a flag, a check and a gate's status in it: made by this centre,
    then the columns schema 4 added taken away, as a schema-3 centre left it."""
    url = database_url(request, request.param)
    store = open_store(url)
    gate = FakeGate("north-1")
    try:
        _row, flagged = gate.flagged(MORNING, person_id="W0002")
        for message in (*flagged, gate.status("online", MORNING)):
            store.ingest(*message, MORNING)
    finally:
        store.close()
    db = connect(url)
    try:
        for table, columns in SCHEMA_4_COLUMNS.items():
            for column in columns:
                db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("UPDATE meta SET value = 3 WHERE key = 'schema'")
        db.commit()
    finally:
        db.close()
    return url


def test_a_schema_3_database_gains_the_screenings_columns_with_every_row(
    schema_3_url: str,
) -> None:
    store = open_store(schema_3_url)
    try:
        [flag] = store.flags()
        assert (flag.person_id, flag.state) == ("W0002", "open")
        assert (flag.why, flag.identity) == (None, None)
        [check] = store.checks(CheckQuery())
        assert (check.person_id, check.object_c, check.screening) == ("W0002", None, None)
        [gate] = [g for g in store.gates(MORNING) if g.gate == "north-1"]
        assert gate.state == "online" and gate.screening is None
        # and what the new columns are for works on the upgraded database
        north = FakeGate("north-1")
        row, flagged = north.screened_flag(MORNING, person_id=None, route="isolation_room",
                                           kind="suspected_fever")  # fmt: skip
        for message in flagged:
            assert store.ingest(*message, MORNING)
        ref = flag_ref("p1", "north-1", row.event_id)
        assert store.identify(ref, "anna", "Li Wei, badge 2231", MORNING)
        named = store.flag(ref)
        assert named is not None and named.identity == "Li Wei, badge 2231"
        assert named.object_c == 35.1 and named.reference_basis == "baseline"
    finally:
        store.close()
    db = connect(schema_3_url)
    try:
        assert schema_version(db) == SCHEMA_VERSION == 4
        for table, columns in SCHEMA_4_COLUMNS.items():
            assert set(columns) <= db.columns(table), table
        db.commit()
    finally:
        db.close()
