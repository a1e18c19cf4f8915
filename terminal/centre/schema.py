"""The centre's tables, as SQL both databases take (``{id}`` is the dialect's auto-increment key).

Everything a gate sends is keyed by the gate it came from: park, gate and the id the gate gave it.
The park and gate are the topic's (the broker lets a gate publish on its own topics only), so a
gate that learns another gate's event id and sends it first makes its own row, never theirs.
"""

from __future__ import annotations

from terminal.centre.flags import FLAGS_INDEX, flags_table
from terminal.centre.persons import PERSON_SCHEMA

# the columns of each gate-keyed table, in the order the rows are written and read
EVENT_COLUMNS = (
    "event_id, park, gate, schema, topic, occurred_s, received_s, replayed, payload"
)  # fmt: skip
CHECK_COLUMNS = (
    "event_id, park, gate, occurred_s, person_id, code, temperature_c, decision, reason, route, "
    "replayed, object_c, screening"
)
COMMAND_COLUMNS = (
    "command_id, name, park, gate, issued_by, issued_s, expires_s, payload_summary, outcome, detail"
)
MUSTER_COLUMNS = "emergency_id, park, gate, zone, started_s, inside_count"
MUSTER_PEOPLE_COLUMNS = (
    "park, gate, emergency_id, person_id, since_s, by_gate, accounted_by, accounted_s"
)
GATE_COLUMNS = (
    "park, gate, state, boot_id, software_version, status_occurred_s, last_seen_s, health, "
    "lockdown, risk_tier, faults, backlog, connection_problem, screening"
)


def events_table(name: str = "events") -> str:
    """Every event as it came (the record, and what records search and exports read)."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        event_id TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL, schema TEXT NOT NULL,
        topic TEXT NOT NULL, occurred_s DOUBLE PRECISION NOT NULL,
        received_s DOUBLE PRECISION NOT NULL, replayed INTEGER NOT NULL, payload TEXT NOT NULL,
        PRIMARY KEY (park, gate, event_id))"""


def checks_table(name: str = "checks") -> str:
    """A check: ``temperature_c`` is the screening's estimated core temperature, ``object_c`` the
    screened reading (the forehead as the thermometer saw it), ``screening`` its word."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        event_id TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL,
        occurred_s DOUBLE PRECISION NOT NULL, person_id TEXT, code TEXT NOT NULL,
        temperature_c DOUBLE PRECISION, decision TEXT NOT NULL, reason TEXT NOT NULL,
        route TEXT NOT NULL, replayed INTEGER NOT NULL, object_c DOUBLE PRECISION,
        screening TEXT, PRIMARY KEY (park, gate, event_id))"""


def commands_table(name: str = "commands") -> str:
    """A command to a gate (sent from here or from the command line) and the gate's answer."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        command_id TEXT NOT NULL, name TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL,
        issued_by TEXT, issued_s DOUBLE PRECISION NOT NULL, expires_s DOUBLE PRECISION,
        payload_summary TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL,
        PRIMARY KEY (park, gate, command_id))"""


def musters_table(name: str = "musters") -> str:
    """A gate's fire alarm and its roll call's size (the emergency alert's event id)."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        emergency_id TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL, zone TEXT,
        started_s DOUBLE PRECISION NOT NULL, inside_count BIGINT NOT NULL,
        PRIMARY KEY (park, gate, emergency_id))"""


def muster_people_table(name: str = "muster_people") -> str:
    """Who a roll call names (``by_gate``: the gate that let them in), and who ticked them off."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        park TEXT NOT NULL, gate TEXT NOT NULL, emergency_id TEXT NOT NULL,
        person_id TEXT NOT NULL, since_s DOUBLE PRECISION NOT NULL, by_gate TEXT NOT NULL,
        accounted_by TEXT, accounted_s DOUBLE PRECISION,
        PRIMARY KEY (park, gate, emergency_id, person_id))"""


# the indexes of the gate-keyed tables (dropped with a table the migration rebuilds)
CHECKS_INDEXES = (
    "CREATE INDEX IF NOT EXISTS checks_time ON checks (occurred_s)",
    "CREATE INDEX IF NOT EXISTS checks_person ON checks (person_id, occurred_s)",
    # the search matches a person or a gate without regard to case (ids are ASCII by the
    # contract, so lower() reads them alike on both databases): the index is on what it compares
    "CREATE INDEX IF NOT EXISTS checks_person_nocase ON checks (lower(person_id), occurred_s)",
    "CREATE INDEX IF NOT EXISTS checks_gate_nocase ON checks (lower(gate), occurred_s)",
)
EVENTS_INDEXES = ("CREATE INDEX IF NOT EXISTS events_time ON events (schema, occurred_s)",)
COMMANDS_INDEXES = ("CREATE INDEX IF NOT EXISTS commands_time ON commands (issued_s)",)
MUSTERS_INDEXES = (
    "CREATE INDEX IF NOT EXISTS musters_gate ON musters (park, gate, started_s)",
)  # fmt: skip

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    events_table(),
    *EVENTS_INDEXES,
    checks_table(),
    *CHECKS_INDEXES,
    """CREATE TABLE IF NOT EXISTS gates (
        park TEXT NOT NULL, gate TEXT NOT NULL, state TEXT, boot_id TEXT,
        software_version TEXT, status_occurred_s DOUBLE PRECISION, last_seen_s DOUBLE PRECISION,
        health TEXT, lockdown INTEGER, risk_tier TEXT, faults TEXT, backlog BIGINT,
        backlog_occurred_s DOUBLE PRECISION, connection_problem TEXT, screening TEXT,
        PRIMARY KEY (park, gate))""",
    flags_table(),
    FLAGS_INDEX,
    """CREATE TABLE IF NOT EXISTS faults (
        park TEXT NOT NULL, gate TEXT NOT NULL, kind TEXT NOT NULL, active INTEGER NOT NULL,
        detail TEXT NOT NULL, since_s DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (park, gate, kind))""",
    """CREATE TABLE IF NOT EXISTS daily_reports (
        park TEXT NOT NULL, gate TEXT NOT NULL, day TEXT NOT NULL, event_id TEXT NOT NULL,
        occurred_s DOUBLE PRECISION NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (park, gate, day))""",
    commands_table(),
    *COMMANDS_INDEXES,
    """CREATE TABLE IF NOT EXISTS audit (
        id {id}, at_s DOUBLE PRECISION NOT NULL, username TEXT NOT NULL, action TEXT NOT NULL,
        detail TEXT NOT NULL)""",
    # who looked at what: a repeated view is looked up by action and user, and the audit page
    # filters by action
    "CREATE INDEX IF NOT EXISTS audit_action ON audit (action, username, at_s)",
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
        created_s DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS gate_zones (
        park TEXT NOT NULL, gate TEXT NOT NULL, zone TEXT, capacity BIGINT, inside BIGINT,
        assumption TEXT, occurred_s DOUBLE PRECISION NOT NULL, PRIMARY KEY (park, gate))""",
    musters_table(),
    *MUSTERS_INDEXES,
    muster_people_table(),
    """CREATE TABLE IF NOT EXISTS sessions (
        token_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL,
        expires_s DOUBLE PRECISION NOT NULL)""",
    *PERSON_SCHEMA,
)
