"""A gate's record of two days as an inspector would ask for it, written through the record's own
methods: checks (admitted, refused, sent to the secondary check), the secondary checks' steps (a
fever confirmed and taken to the isolation room, a normal reading admitted by staff), a vehicle,
and a config file naming the record."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from terminal.record.passages import PassageRow
from terminal.record.store import Record
from tests.conftest import SIMULATOR_ISSUER
from tests.support.records import check

ZONE = ZoneInfo("Asia/Shanghai")
GATE, PARK = "gate-x", "export-park"
ROOM = "Isolation room 2, east gatehouse"
FEVER_C, NORMAL_C = 38.1, 36.8
FIRST_DAY, SECOND_DAY = "2026-11-05", "2026-11-06"


def at(day: str, clock: str) -> float:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZONE).timestamp()


def _step(flag_id: str, at_s: float, step: str, by: str, **more: object) -> dict[str, object]:
    return {"flag_id": flag_id, "at_s": at_s, "step": step, "by": by, "clinical_c": None,
            "detail": "", **more}  # fmt: skip


def write_record(path: Path) -> None:
    """The first day: five checks (two admitted: one went through, one still in the turnstile's
    window; a red code to the isolation room, two sent to the secondary check), a fever confirmed
    at 38.1 by guard-7 and one admitted at 36.8 who turned back at the turnstile, and a vehicle;
    the second day: one check, an exit (no passage kept). A check just before the first day's
    midnight (local) belongs to no day asked for."""
    record = Record(path)
    try:
        common = {"park": PARK, "gate": GATE, "screening": "pass", "direction": "entry"}
        checks = [
            check("before", at(FIRST_DAY, "00:00:00") - 1, person_id="W0", **common),
            check("c1", at(FIRST_DAY, "07:58:12"), person_id="W1", object_c=33.4, **common),
            check("c2", at(FIRST_DAY, "08:01:40"), person_id="W2", object_c=33.1, **common),
            check("c3", at(FIRST_DAY, "08:03:05"), person_id="W3", object_c=33.0, code="red",
                  decision="deny", reason="code_red", route="isolation_room", **common),
            check("f1", at(FIRST_DAY, "08:05:30"), person_id="W4", object_c=35.9,
                  temperature_c=38.3, decision="deny", reason="secondary_check",
                  route="secondary_check", **{**common, "screening": "guard"}),
            check("f2", at(FIRST_DAY, "08:07:10"), person_id="=W5", object_c=35.2,
                  temperature_c=37.6, decision="deny", reason="secondary_check",
                  route="secondary_check", **{**common, "screening": "guard"}),
            check("d2", at(SECOND_DAY, "09:00:00"), person_id="W1", object_c=33.2,
                  **{**common, "direction": "exit"}),
        ]  # fmt: skip
        # the passages through the turnstile: W1 went through, W2 is still in its window
        opened = {"c1": "passed", "c2": "waiting"}
        for row in checks:
            passage = None
            if row.event_id in opened:
                passage = PassageRow(row.event_id, "check", row.person_id, row.epoch_s, 8.0,
                                     "waiting", direction="entry")  # fmt: skip
            record.add_check(row, [], passage=passage)
        record.close_passage("c1", "passed", at(FIRST_DAY, "07:58:15"), [],
                             at(FIRST_DAY, "07:58:15"))  # fmt: skip
        steps = [
            [_step("f1", at(FIRST_DAY, "08:05:30"), "sent_to_secondary_check", "gate")],
            [_step("f2", at(FIRST_DAY, "08:07:10"), "sent_to_secondary_check", "gate")],
            [_step("f1", at(FIRST_DAY, "08:09:00"), "clinical_reading", "guard-7",
                   clinical_c=FEVER_C, detail="sent by desk"),
             _step("f1", at(FIRST_DAY, "08:09:00"), "fever_confirmed", "guard-7",
                   clinical_c=FEVER_C),
             _step("f1", at(FIRST_DAY, "08:09:00"), "routed_to_isolation", "gate", detail=ROOM)],
            [_step("f2", at(FIRST_DAY, "08:12:00"), "clinical_reading", "guard-8",
                   clinical_c=NORMAL_C),
             _step("f2", at(FIRST_DAY, "08:12:00"), "admitted_by_staff", "guard-8",
                   detail="admitted")],
        ]  # fmt: skip
        for number, rows in enumerate(steps):
            record.add_event(f"s{number}", [], rows[-1]["at_s"], table="secondary_steps",
                             rows=rows)  # fmt: skip
        # =W5, admitted by staff, never went through the turnstile: turned back
        record.add_event(
            "s-pass",
            [],
            at(FIRST_DAY, "08:12:00"),
            passage=PassageRow(
                "f2", "guard", "=W5", at(FIRST_DAY, "08:12:00"), 8.0, "waiting", direction="entry"
            ),
        )
        record.close_passage("f2", "not_passed", at(FIRST_DAY, "08:12:08"), [])
        vehicle = {
            "event_id": "v1", "at_s": at(FIRST_DAY, "08:20:00"), "plate": "粤B12345",
            "driver": "W1", "purpose": "delivery", "decision": "admit", "reason": "admitted",
            "driver_check_id": "c1", "by": "guard-7", "command_id": None, "source": "command",
        }  # fmt: skip
        record.add_event("v1", [], vehicle["at_s"], table="vehicles", rows=[vehicle])  # type: ignore[arg-type]
    finally:
        record.close()


def gate_toml(folder: Path, record: Path) -> Path:
    path = folder / "gate.toml"
    path.write_text(
        "\n".join(
            [
                "[gate]",
                f'park = "{PARK}"',
                f'id = "{GATE}"',
                'timezone = "Asia/Shanghai"',
                'hardware = "simulated"',
                "[secondary]",
                # the room the gate sends people to directly, and after a confirmed fever
                'isolation_room = "Isolation room 2"',
                'isolation_location = "east gatehouse"',
                "[record]",
                f"path = {json.dumps(str(record))}",
                "[roster]",
                f"workers = {json.dumps(str(folder / 'workers.csv'))}",
                "[[healthcode.issuers]]",
                f"key_id = {json.dumps(SIMULATOR_ISSUER['key_id'])}",
                f"public_key = {json.dumps(SIMULATOR_ISSUER['public_key'])}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path
