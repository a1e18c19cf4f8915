"""A gate's flags at the centre: what its alerts make of them.

A flag belongs to the gate that raised it. It is keyed by park, gate and id (the id is the event
id of the check that raised it), and the park and gate are the topic's the alert came on: the
broker lets a gate publish only on its own topics, so a gate can raise, re-alert and resolve only
its own flags. The same id sent by another gate is another flag, never this one.
"""

from __future__ import annotations

from typing import NamedTuple

from terminal.centre.database import Database
from terminal.link import contract

# the columns a flag's view is read from, in FlagView's order
FLAG_COLUMNS = (
    "flag_id, park, gate, person_id, kind, temperature_c, first_c, route, isolation_room, "
    "isolation_location, raised_s, alerts, last_alert_s, state, clinical_c, guard, resolved_s, "
    "taken_by, taken_s, escorted_by, escorted_s, escort_note, reason, object_c, threshold_c, "
    "reference_c, reference_basis, why, identity, identified_by, identified_s, escalated_s, "
    "dismissed_by, dismissed_s, dismiss_note"
)
# the columns schema 4 added: why the screening sent the person on (the screened reading, the
# threshold, the reference and its basis), who an unidentified person is as a guard recorded it,
# when the flag was raised again to the second role, and a not-returned person's dismissal
SCREENING_FLAG_COLUMNS = (
    ("object_c", "DOUBLE PRECISION"), ("threshold_c", "DOUBLE PRECISION"),
    ("reference_c", "DOUBLE PRECISION"), ("reference_basis", "TEXT"), ("why", "TEXT"),
    ("identity", "TEXT"), ("identified_by", "TEXT"), ("identified_s", "DOUBLE PRECISION"),
    ("escalated_s", "DOUBLE PRECISION"), ("dismissed_by", "TEXT"),
    ("dismissed_s", "DOUBLE PRECISION"), ("dismiss_note", "TEXT"),
)  # fmt: skip


def flags_table(name: str = "flags") -> str:
    """The table, under ``name`` (the migration builds it aside, then renames it)."""
    return f"""CREATE TABLE IF NOT EXISTS {name} (
        flag_id TEXT NOT NULL, park TEXT NOT NULL, gate TEXT NOT NULL, person_id TEXT,
        kind TEXT NOT NULL, temperature_c DOUBLE PRECISION, first_c DOUBLE PRECISION,
        route TEXT, isolation_room TEXT, isolation_location TEXT,
        raised_s DOUBLE PRECISION NOT NULL, alerts INTEGER NOT NULL,
        last_alert_s DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, reason TEXT,
        clinical_c DOUBLE PRECISION, guard TEXT, resolved_s DOUBLE PRECISION,
        taken_by TEXT, taken_s DOUBLE PRECISION, escorted_by TEXT, escorted_s DOUBLE PRECISION,
        escort_note TEXT, object_c DOUBLE PRECISION, threshold_c DOUBLE PRECISION,
        reference_c DOUBLE PRECISION, reference_basis TEXT, why TEXT, identity TEXT,
        identified_by TEXT, identified_s DOUBLE PRECISION, escalated_s DOUBLE PRECISION,
        dismissed_by TEXT, dismissed_s DOUBLE PRECISION, dismiss_note TEXT,
        PRIMARY KEY (park, gate, flag_id))"""


FLAGS_INDEX = "CREATE INDEX IF NOT EXISTS flags_state ON flags (state, raised_s)"


class FlagKey(NamedTuple):
    park: str
    gate: str
    flag_id: str


def flag_ref(park: str, gate: str, flag_id: str) -> str:
    """One text naming one flag (a form's field, a link): ``park/gate/id``."""
    return f"{park}/{gate}/{flag_id}"


def parse_flag_ref(ref: str) -> FlagKey | None:
    """The flag a :func:`flag_ref` names; None for anything else (a bare id names no flag: the
    same id may be two gates' flags). A park or a gate is one topic level: never a slash."""
    parts = ref.split("/", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return FlagKey(*parts)


# every statement below ends with this condition: the flag of this gate only
_THIS_FLAG = "park = ? AND gate = ? AND flag_id = ?"


def record_alert(db: Database, key: FlagKey, data: contract.AlertData, occurred_s: float) -> None:
    """What an alert about a person tells of the gate's flag ``key``; idempotent and
    order-free (a flag's state only moves forward)."""
    kind = "secondary_check" if data.kind == "secondary_resolved" else data.kind
    route = data.route.value if data.route else None
    # the flag as the first alert would make it; an existing one is updated below
    db.execute(
        "INSERT INTO flags (flag_id, park, gate, person_id, kind, temperature_c, first_c, route, "
        "isolation_room, isolation_location, raised_s, alerts, last_alert_s, state) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'open') ON CONFLICT (park, gate, flag_id) "
        "DO NOTHING",
        (
            key.flag_id, key.park, key.gate, data.person_id, kind, data.temperature_c,
            data.first_c, route, data.isolation_room, data.isolation_location, occurred_s,
            occurred_s,
        ),
    )  # fmt: skip
    # what any alert tells: the earliest time, readings, person and why, if not yet known (an
    # older gate's alert carries no why: the flag shows what it has)
    db.execute(
        "UPDATE flags SET raised_s = CASE WHEN raised_s > ? THEN ? ELSE raised_s END, "
        "person_id = COALESCE(person_id, ?), temperature_c = COALESCE(temperature_c, ?), "
        "first_c = COALESCE(first_c, ?), object_c = COALESCE(object_c, ?), "
        "threshold_c = COALESCE(threshold_c, ?), reference_c = COALESCE(reference_c, ?), "
        "reference_basis = COALESCE(reference_basis, ?), why = COALESCE(why, ?) "
        f"WHERE {_THIS_FLAG}",
        (
            occurred_s, occurred_s, data.person_id, data.temperature_c, data.first_c,
            data.object_c, data.threshold_c, data.reference_c, data.reference_basis, data.why,
            *key,
        ),
    )  # fmt: skip
    if data.kind in ("secondary_check", "not_returned"):
        # the first alert (1) or a re-alert (the gate numbers them): the highest number
        # is the count, whatever order they arrive in; the state is left as it is
        number = data.alerts or 1
        db.execute(
            "UPDATE flags SET alerts = CASE WHEN alerts > ? THEN alerts ELSE ? END, "
            "last_alert_s = CASE WHEN last_alert_s < ? THEN ? ELSE last_alert_s END "
            f"WHERE {_THIS_FLAG}",
            (number, number, occurred_s, occurred_s, *key),
        )
        return
    if data.kind == "secondary_resolved":
        _resolve(db, key, data.outcome or "refused", data, occurred_s)
        return
    # fever, suspected_fever, health_code, nat_positive: the person goes to the isolation
    # room; a confirmed fever (after a clinical reading) is the most serious of them
    db.execute(
        "UPDATE flags SET kind = ?, isolation_room = COALESCE(?, isolation_room), "
        "isolation_location = COALESCE(?, isolation_location), route = COALESCE(?, route), "
        "alerts = CASE WHEN alerts < 1 THEN 1 ELSE alerts END, "
        "last_alert_s = CASE WHEN last_alert_s < ? THEN ? ELSE last_alert_s END "
        f"WHERE {_THIS_FLAG} AND (kind <> 'fever' OR ? = 'fever')",
        (
            data.kind, data.isolation_room, data.isolation_location, route, occurred_s,
            occurred_s, *key, data.kind,
        ),
    )  # fmt: skip
    if data.kind == "fever" and data.clinical_c is not None:
        _resolve(db, key, "fever_confirmed", data, occurred_s)


def _resolve(
    db: Database, key: FlagKey, state: str, data: contract.AlertData, occurred_s: float
) -> None:
    """The guard's outcome; only an open flag takes it (an escort stays an escort)."""
    db.execute(
        "UPDATE flags SET state = ?, clinical_c = ?, guard = ?, resolved_s = ?, reason = ? "
        f"WHERE {_THIS_FLAG} AND state = 'open'",
        (
            state, data.clinical_c, data.guard, occurred_s,
            data.reason.value if data.reason else None, *key,
        ),
    )  # fmt: skip
    # an escort recorded before the outcome arrived keeps the outcome's reading all the same
    db.execute(
        "UPDATE flags SET clinical_c = COALESCE(clinical_c, ?), guard = COALESCE(guard, ?), "
        f"resolved_s = COALESCE(resolved_s, ?) WHERE {_THIS_FLAG}",
        (data.clinical_c, data.guard, occurred_s, *key),
    )


# the desk's two actions on a flag: (user, at_s, *key) and (user, at_s, note, user, at_s, *key)
TAKE = f"UPDATE flags SET taken_by = ?, taken_s = ? WHERE {_THIS_FLAG} AND taken_by IS NULL"
ESCORT = (
    "UPDATE flags SET state = 'escorted', escorted_by = ?, escorted_s = ?, escort_note = ?, "
    f"taken_by = COALESCE(taken_by, ?), taken_s = COALESCE(taken_s, ?) WHERE {_THIS_FLAG}"
)
# who an unidentified person sent to the isolation room is, as the guard gives it:
# (identity, user, at_s, *key); a flag that names its person keeps the gate's word
IDENTIFY = (
    "UPDATE flags SET identity = ?, identified_by = ?, identified_s = ? "
    f"WHERE {_THIS_FLAG} AND person_id IS NULL"
)
# a person told to rest who never came back, dismissed with a note:
# (user, at_s, note, user, at_s, *key)
DISMISS = (
    "UPDATE flags SET state = 'dismissed', dismissed_by = ?, dismissed_s = ?, dismiss_note = ?, "
    "taken_by = COALESCE(taken_by, ?), taken_s = COALESCE(taken_s, ?) "
    f"WHERE {_THIS_FLAG} AND kind = 'not_returned' AND state = 'open'"
)
# a flag nobody took within the escalation time, raised again to the second role: (at_s, *key)
ESCALATE = (
    f"UPDATE flags SET escalated_s = ? WHERE {_THIS_FLAG} AND escalated_s IS NULL "
    "AND taken_by IS NULL AND state = 'open'"
)
