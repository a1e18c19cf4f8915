"""Screenshots of the security desk and the centre's board for the documentation, taken in
Debian's Chromium over a park's morning (four gates, their checks, flags, a fever, a fault, a gate
lost, daily reports), stored by the centre's own store from the gates' own messages:
``.venv/bin/python -m simulator.centre_screens [--out docs/screens]``."""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, sync_playwright

from simulator.broker import PrivateBroker
from simulator.display_screens import screens_arguments
from terminal.centre.config import CentreConfig, parse_centre
from terminal.centre.flags import flag_ref
from terminal.centre.running import WebServer, add_user
from terminal.centre.sender import CommandSender
from terminal.centre.store import Store, open_store
from terminal.centre.web.app import build_app
from terminal.codes.healthcode import (
    SIMULATOR_COMMAND_KEY_ID,
    private_key_pem,
    simulator_command_key,
)
from terminal.common.clock_sync import always_synchronised
from terminal.link import contract
from terminal.link.topics import Messages
from terminal.record.store import CheckRow

PARK = "riverside"
GATES = ("north-1", "north-2", "east-1", "south-1")
ZONE = ZoneInfo("Asia/Shanghai")
ROOMS = {
    "en": ("Temporary isolation room", "Building A, ground floor, room 012"),
    "zh": ("临时隔离室", "A栋一楼012室"),
}
DESK_PX = {"width": 1366, "height": 900}
# the zones behind the gates, as each gate's status reports them: (zone, capacity, inside)
ZONES = {
    "north-1": ("plant-hall", 400, 137),
    "north-2": ("plant-hall", 400, 137),
    "east-1": ("warehouse", 40, 40),  # full: the next one waits
}


class ParkMorning:
    """The park's gates' messages from 06:00 to now, written into a centre's store."""

    def __init__(self, store: Store, language: str, now: dt.datetime) -> None:
        self.store, self.now = store, now
        self.room, self.location = ROOMS[language]
        self.rng = random.Random(7)
        self.checked: list[CheckRow] = []
        self.gates = {
            g: Messages(PARK, g, boot_id=uuid.uuid4().hex, timezone=str(ZONE)) for g in GATES
        }

    def put(self, topic: str, payload: str) -> None:
        self.store.ingest(topic, payload.encode(), self.now)

    def row(self, gate: str, at: dt.datetime, person: str | None, **decision: object) -> CheckRow:
        fields: dict[str, object] = {
            "code": "green", "temperature_c": round(36.3 + self.rng.random() * 0.5, 1),
            "decision": "admit", "reason": "admitted", "route": "through", **decision,
        }  # fmt: skip
        return CheckRow(
            event_id=uuid.uuid4().hex, ts=at.astimezone(dt.UTC).isoformat(),
            epoch_s=at.timestamp(), park=PARK, gate=gate, person_id=person, first_c=None,
            sensor_fault=None, check_s=2.1, processing_ms=25.0, **fields,  # type: ignore[arg-type]
        )  # fmt: skip

    def check(self, row: CheckRow) -> None:
        self.checked.append(row)
        message = self.gates[row.gate].check(row)
        self.put(message.topic, message.payload)

    def status(self, gate: str, state: str, **fields: object) -> None:
        lost = state == "lost"
        if not lost and gate in ZONES:
            name, capacity, inside = ZONES[gate]
            fields.setdefault("zone", {"name": name, "capacity": capacity, "inside": inside})
        status = contract.Status.model_validate(
            {
                "schema": "gate.status/1", "park": PARK, "gate": gate, "state": state,
                "boot_id": self.gates[gate].boot_id, "software_version": "0.1.0",
                "config_hash": "5f1c0a9e7b3d2c41",
                "occurred_at": None if lost else self.now.astimezone(dt.UTC),
                "health": None if lost else {"camera": "ok", "thermometer": "ok", "record": "ok"},
                "lockdown": None if lost else False, "risk_tier": None if lost else "low",
                "backlog": None if lost else 0, **fields,
            }
        )  # fmt: skip
        self.store.ingest(self.gates[gate].topics.status, contract.to_json(status).encode(),
                          self.now, retained=True)  # fmt: skip

    def morning(self) -> None:
        start = self.now.replace(hour=6, minute=0, second=0, microsecond=0)
        minutes = max(30, int((self.now - start).total_seconds() // 60))
        for gate in GATES:
            self.status(gate, "online")
        for number in range(minutes * 2):
            at = start + dt.timedelta(minutes=self.rng.random() * minutes)
            gate = self.rng.choice(GATES[:3])  # south-1 was lost early on
            hour_weight = 3 if at.hour in (7, 8) else 1
            if self.rng.random() > 0.4 * hour_weight:
                continue
            person = f"W{self.rng.randint(1, 900):04d}"
            if self.rng.random() < 0.08:
                reason = self.rng.choice(["code_yellow", "no_code", "outside_shift"])
                code = {"code_yellow": "yellow", "no_code": "none"}.get(reason, "green")
                self.check(
                    self.row(
                        gate,
                        at,
                        None if code == "none" else person,
                        decision="deny",
                        reason=reason,
                        route="aside",
                        code=code,
                    )
                )
            else:
                self.check(self.row(gate, at, person))
            del number
        self.flags()
        self.status("south-1", "lost")
        fault = self.gates["east-1"].fault(
            "backlog_over_limit", (self.now - dt.timedelta(minutes=12)).timestamp(),
            "1,240 events wait to be sent (limit 1,000)",
        )  # fmt: skip
        self.put(fault.topic, fault.payload)
        later = (self.now + dt.timedelta(seconds=1)).astimezone(dt.UTC)  # the newest status wins
        self.status("east-1", "online", faults=["backlog_over_limit"], backlog=1240,
                    occurred_at=later)  # fmt: skip
        # the gates' reports (their [report] daily_at is 09:00 here), counting what they checked
        reported_at = self.now.replace(hour=9, minute=0, second=0, microsecond=0)
        for gate in ("north-1", "north-2"):  # reports sent (the zero-report board)
            rows = [
                r for r in self.checked if r.gate == gate and r.epoch_s < reported_at.timestamp()
            ]
            denied = Counter(r.reason for r in rows if r.decision == "deny")
            data = contract.DailyReportData(
                date=self.now.date(), timezone=str(ZONE), checks=len(rows),
                admitted=sum(1 for r in rows if r.decision == "admit"),
                denied_by_reason=dict(denied), flags=denied["secondary_check"],
                secondary_checks=denied["secondary_check"], fevers_confirmed=0, faults=0,
                uptime_s=3 * 3600.0,
            )  # fmt: skip
            report = self.gates[gate].daily_report(uuid.uuid4().hex, reported_at.timestamp(), data)
            self.put(report.topic, report.payload)

    def flag(self, gate: str, minutes_ago: float, person: str, reading: float) -> CheckRow:
        at = self.now - dt.timedelta(minutes=minutes_ago)
        row = self.row(gate, at, person, decision="deny", reason="secondary_check",
                       route="secondary_check", temperature_c=reading)  # fmt: skip
        self.check(row)
        alert = self.gates[gate].alert(row, "secondary_check")
        self.put(alert.topic, alert.payload)
        return row

    def outcome(
        self, row: CheckRow, kind: str, minutes_later: float, fields: dict[str, object]
    ) -> None:
        at = row.epoch_s + minutes_later * 60
        message = self.gates[row.gate].flag_alert(row.event_id, kind, at, fields)
        self.put(message.topic, message.payload)

    def flags(self) -> None:
        waiting = self.flag("north-1", 3.5, "W0417", 37.9)
        self.outcome(waiting, "secondary_check", 2.0, {
            "person_id": "W0417", "temperature_c": 37.9, "route": "secondary_check",
            "open_s": 120.0, "alerts": 2})  # fmt: skip
        fever = self.flag("north-2", 9, "V0032", 38.4)
        self.outcome(fever, "fever", 4, {
            "person_id": "V0032", "clinical_c": 38.5, "guard": "wang.li", "reason": "fever",
            "route": "isolation_room", "isolation_room": self.room,
            "isolation_location": self.location})  # fmt: skip
        self.store.take(flag_ref(fever.park, fever.gate, fever.event_id), "wang.li")
        normal = self.flag("east-1", 41, "W0221", 37.6)
        self.outcome(normal, "secondary_resolved", 3, {
            "person_id": "W0221", "clinical_c": 36.8, "guard": "zhao.min", "reason": "admitted",
            "route": "through", "outcome": "admitted"})  # fmt: skip
        self.store.take(flag_ref(normal.park, normal.gate, normal.event_id), "zhao.min")

    def answer(self, detail: str) -> None:
        """The gate's answer to the newest command the centre sent: done, in the gate's words."""
        command = self.store.command_results(1)[0]
        result = contract.CommandResultData(
            command_id=command.command_id, name=command.name, outcome="done", detail=detail,
            issued_by=command.issued_by,
        )  # fmt: skip
        message = self.gates[command.gate].command_result(
            command.issued_at.timestamp() + 0.4, command.name, result
        )
        self.put(message.topic, message.payload)

    def fire_drill(self) -> None:
        """The fire alarm at north-2, a few minutes ago: its roll call, the people of the plant
        hall's latest admissions at the zone's two gates."""
        sounded = self.now - dt.timedelta(minutes=3)
        admitted = [
            r
            for r in self.checked
            if r.gate in ("north-1", "north-2") and r.decision == "admit" and r.person_id
        ]
        inside = {r.person_id: r for r in admitted[-14:]}
        roll_call = {
            "zone": "plant-hall",
            "inside_count": len(inside),
            "inside": [
                {
                    "person_id": person,
                    "since": dt.datetime.fromtimestamp(r.epoch_s, ZONE).isoformat(),
                    "gate": r.gate,
                }
                for person, r in sorted(inside.items(), key=lambda item: item[1].epoch_s)
            ],
        }
        alarm = self.gates["north-2"].gate_alert(
            "emergency", sounded.timestamp(), "fire alarm", uuid.uuid4().hex, roll_call
        )
        self.put(alarm.topic, alarm.payload)


def centre_config(folder: Path, language: str, broker: PrivateBroker) -> CentreConfig:
    key_file = folder / "centre-key.pem"  # the simulator's published command key
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(simulator_command_key()))
    return parse_centre(
        {
            "park": PARK,
            "timezone": str(ZONE),
            "mqtt": {"host": broker.host, "port": broker.port},
            "commands": {"key_id": SIMULATOR_COMMAND_KEY_ID, "key_file": str(key_file)},
            "database": {"url": f"sqlite:///{folder / 'centre.sqlite'}"},
            "web": {"language": language, "host": "127.0.0.1"},
            "collector": {"report_due_at": "09:00"},
            "gates": list(GATES),
        },
        folder / "centre.toml",
    )


def sign_in(page: Page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#user", user)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url("**/desk")


def main() -> None:
    args = screens_arguments(__doc__)
    now = dt.datetime.now(ZONE).replace(hour=10, minute=42)  # a morning, whenever it is run
    with sync_playwright() as playwright, PrivateBroker() as broker:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            headless=True,
            args=["--autoplay-policy=no-user-gesture-required"],  # as the desk's kiosk runs
        )
        for language in ("en", "zh"):
            with tempfile.TemporaryDirectory() as scratch:
                config = centre_config(Path(scratch), language, broker)
                store = open_store(config.database_url(), config.board_settings())
                morning = ParkMorning(store, language, now)
                morning.morning()
                add_user(store, "wang.li", "health_officer", "screens-password")
                sender = CommandSender.connect(config, store)
                app = build_app(store, config, sender, clock_synchronised=always_synchronised)
                app.state.web.now = lambda: now.astimezone(dt.UTC)
                server = WebServer(app, "127.0.0.1", 0)
                server.start()
                base = server.url.rstrip("/")
                page = browser.new_page(viewport=DESK_PX)  # type: ignore[arg-type]
                sign_in(page, base, "wang.li", "screens-password")
                shots = [("/desk", f"desk-{language}.png"), ("/board", f"board-{language}.png")]
                for path, name in shots:
                    page.goto(base + path)
                    page.wait_for_timeout(3000)  # the alarm's sound has started (no button)
                    page.screenshot(path=str(args.out / name), full_page=path == "/board")
                    print(args.out / name)
                if language == "en":
                    page.goto(f"{base}/desk")
                    page.click("a.resolve")
                    page.fill("#clinical_c", "37.1")
                    page.screenshot(path=str(args.out / "desk-resolve-en.png"))
                    print(args.out / "desk-resolve-en.png")
                    page.goto(f"{base}/commands")
                    form = page.locator("#form-lockdown")
                    form.locator("select.target").select_option("north-1")
                    form.locator('input[name="reason"]').fill("fire drill, north gate")
                    form.locator('button[type="submit"]').click()
                    page.wait_for_load_state("load")  # the confirmation page, not the form
                    page.screenshot(
                        path=str(args.out / "board-confirm-en.png"),
                        clip={"x": 0, "y": 0, "width": 900, "height": 260},
                    )
                    print(args.out / "board-confirm-en.png")
                    page.click("#confirm")
                    page.wait_for_load_state("load")
                    morning.answer("lockdown on: nobody is admitted except by a staff open-once")
                    page.locator('#results tr[data-outcome="done"]').wait_for()
                    page.screenshot(path=str(args.out / "board-commands-en.png"), full_page=True)
                    print(args.out / "board-commands-en.png")
                    morning.fire_drill()
                    page.goto(f"{base}/desk")
                    muster = page.locator("section.muster")
                    muster.wait_for()
                    for person in range(3):  # three have reached the muster point
                        muster.locator("button.account").first.click()
                        page.wait_for_load_state("load")
                        muster.locator("tr.muster-person.accounted").nth(person).wait_for()
                    page.wait_for_timeout(1500)  # the live desk has drawn the last tick
                    page.screenshot(path=str(args.out / "desk-roll-call-en.png"))
                    print(args.out / "desk-roll-call-en.png")
                page.close()
                server.stop()
                sender.close()
                store.close()
        browser.close()


if __name__ == "__main__":
    main()
