"""What the centre's staff do: take a flag's alert, record an escort, record who an unidentified
person is, dismiss a person who never came back from a rest, tick a person off a roll call, send a
command to a gate. The first taker, escort and tick are kept. And what the desk does on its own:
raise a flag nobody took in time again, to the second role."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from terminal.centre.audit import audit_row
from terminal.centre.flags import DISMISS, ESCALATE, ESCORT, IDENTIFY, TAKE, parse_flag_ref
from terminal.centre.guarded import Guarded
from terminal.centre.schema import COMMAND_COLUMNS
from terminal.centre.times import epoch, utcnow


def command_summary(name: str, payload: Mapping[str, Any]) -> str:
    """What the command asked, in one line; never a whole roster."""
    if name == "push_roster":
        csv_text = str(payload.get("csv", ""))
        rows = max(0, len(csv_text.splitlines()) - 1)
        return f"{payload.get('kind', '?')} roster, {rows} rows"
    if name in ("export_person", "erase_person"):
        # never the person's id: the request on the persons page keeps a salted hash of it
        mode = f", mode={payload.get('mode', 'pseudonymise')}" if name == "erase_person" else ""
        return f"a person's data (see the persons page){mode}"
    parts = [f"{key}={value}" for key, value in sorted(payload.items())]
    return ", ".join(parts)[:300]


class StaffActions:
    def __init__(self, guarded: Guarded) -> None:
        self._guarded = guarded

    def take(self, ref: str, user: str, at: datetime | None = None) -> None:
        """Someone took the alert of the flag ``ref`` names (the banner and the sound stop).
        The first taker is kept."""
        key = parse_flag_ref(ref)
        if key is not None:
            self._guarded.change(TAKE, (user, epoch(at or utcnow()), *key))

    def record_escort(self, ref: str, user: str, note: str, at: datetime | None = None) -> None:
        """The person was escorted to the isolation room (a fever, or another isolation
        route). Also takes the alert when nobody had."""
        key = parse_flag_ref(ref)
        if key is not None:
            at_s = epoch(at or utcnow())
            self._guarded.change(ESCORT, (user, at_s, note[:500], user, at_s, *key))

    def identify(self, ref: str, user: str, identity: str, at: datetime | None = None) -> bool:
        """Who the unidentified person of the flag ``ref`` is, as ``user`` was told (a name, a
        badge number); a correction replaces it. False when the flag names its person already,
        or there is no such flag."""
        key = parse_flag_ref(ref)
        if key is None:
            return False
        return self._guarded.change(IDENTIFY, (identity, user, epoch(at or utcnow()), *key)) > 0

    def dismiss(self, ref: str, user: str, note: str, at: datetime | None = None) -> bool:
        """A person told to rest who never came back: seen to (found, gone home), with a note.
        False when the flag is not an open not-returned one."""
        key = parse_flag_ref(ref)
        if key is None:
            return False
        at_s = epoch(at or utcnow())
        return self._guarded.change(DISMISS, (user, at_s, note[:500], user, at_s, *key)) > 0

    def escalate_due(self, now: datetime, after_s: float, role: str) -> list[str]:
        """Every open flag nobody took within ``after_s`` of its first alert is raised again to
        ``role``, once, with the escalation in the audit log (in the same transaction: several
        desks or centres asking together escalate and audit it once). The refs escalated now."""
        now_s = epoch(now)
        escalated = []
        with self._guarded.lock:
            try:
                due = self._guarded.db.query(
                    "SELECT park, gate, flag_id FROM flags WHERE state = 'open' "
                    "AND taken_by IS NULL AND escalated_s IS NULL AND raised_s <= ? "
                    "AND kind <> 'not_returned' ORDER BY raised_s",
                    (now_s - after_s,),
                )
                for park, gate, flag_id in due:
                    if self._guarded.db.execute(ESCALATE, (now_s, park, gate, flag_id)):
                        detail = f"flag {flag_id} at {gate}: not taken in {after_s:.0f} s"
                        audit_row(self._guarded.db, now_s, "centre", f"escalate to {role}", detail)
                        escalated.append(f"{park}/{gate}/{flag_id}")
                self._guarded.db.commit()
            except BaseException:
                self._guarded.db.rollback()
                raise
            if escalated:
                self._guarded.db.bump_version()
        return escalated

    def account(
        self, emergency_id: str, person_id: str, user: str, at: datetime | None = None
    ) -> bool:
        """``person_id`` is at the muster point, as ``user`` saw; the first tick is kept. False
        when nobody of that roll call has that id, or they were ticked off already."""
        ticked = self._guarded.change(
            "UPDATE muster_people SET accounted_by = ?, accounted_s = ? "
            "WHERE emergency_id = ? AND person_id = ? AND accounted_by IS NULL",
            (user, epoch(at or utcnow()), emergency_id, person_id),
        )
        return ticked > 0

    def record_command(self, command: dict[str, Any], user: str) -> None:
        """A signed command (the dict that was published), as sent by ``user``."""
        issued_s = datetime.fromisoformat(command["issued_at"]).timestamp()
        expires_s = datetime.fromisoformat(command["expires_at"]).timestamp()
        self._guarded.change(
            f"INSERT INTO commands ({COMMAND_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sent', '') "
            "ON CONFLICT (park, gate, command_id) DO UPDATE SET issued_by = excluded.issued_by, "
            "issued_s = excluded.issued_s, expires_s = excluded.expires_s, "
            "payload_summary = excluded.payload_summary",
            (
                command["command_id"],
                command["name"],
                command["park"],
                command["gate"],
                user,
                issued_s,
                expires_s,
                command_summary(command["name"], command.get("payload", {})),
            ),
        )

    def command_failed(self, command_id: str, detail: str) -> None:
        """A command that never left (the broker did not take it). Its id is this centre's own,
        fresh for each command: it names one row."""
        self._guarded.change(
            "UPDATE commands SET outcome = 'failed', detail = ? WHERE command_id = ? "
            "AND outcome = 'sent'",
            (detail[:300], command_id),
        )
