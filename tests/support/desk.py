"""The centre's security desk in a browser: a running centre, signed-in staff, a live gate."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from starlette.applications import Starlette

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from simulator.rig import build_rig
from terminal.centre.running import WebServer
from terminal.centre.web.app import build_app
from terminal.centre.web.auth import hash_password
from terminal.config import Config
from terminal.link.topics import GateTopics
from terminal.record.store import Record
from tests.conftest import make_config
from tests.support.centre_fixture import centre_config, running_centre
from tests.support.secondary import commanded_gate

CHROMIUM = Path("/usr/bin/chromium")


SEEN_MS = 15_000  # how long the page may take to show a change: generous, this is not a timing test


PARK, GATE = "desk-park", "gate-d"  # a park of its own: no retained status from other tests


ROOM, PLACE = "Isolation room 2", "east gatehouse, ground floor"


PASSWORDS = {"anna": "anna-guards-the-gate", "victor": "victor-only-looks", "hana": "hana-health"}


SWITCHED_ON_S = 1.0  # the rig is switched on this long before the first person comes


ROLES = {"anna": "guard", "victor": "viewer", "hana": "health_officer"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    assert CHROMIUM.exists(), "Debian's chromium is needed: make system-packages installs it"
    with sync_playwright() as playwright:
        # the desk's alarm is a sound: let the page play it without a click first
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--autoplay-policy=no-user-gesture-required"],
        )
        yield launched
        launched.close()


@dataclass
class Centre:
    url: str
    store: Any
    sender: Any
    config: Any
    app: Starlette


@contextmanager
def centre_running(
    folder: Path, broker: PrivateBroker, park: str = PARK, **sections: Any
) -> Iterator[Centre]:
    """The centre as ``gate-terminal centre`` runs it: collector, store, sender, web pages."""
    config = centre_config(folder, broker.port, park=park, **sections)
    with running_centre(config) as running:
        for name, role in ROLES.items():
            running.store.add_user(name, role, hash_password(PASSWORDS[name]))
        app = build_app(running.store, config, running.sender)
        server = WebServer(app, "127.0.0.1", 0)
        server.start()
        try:
            yield Centre(server.url.rstrip("/"), running.store, running.sender, config, app)
        finally:
            server.stop()


def sign_in(page: Page, centre: Centre, user: str, password: str | None = None) -> None:
    page.goto(f"{centre.url}/login")
    page.fill("#user", user)
    page.fill("#password", password if password is not None else PASSWORDS[user])
    page.click("#sign-in")


def signed_in(browser: Browser, centre: Centre, user: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, centre, user)
    expect(page).to_have_url(f"{centre.url}/desk")
    return page


def audit_entries(centre: Centre, user: str) -> list[tuple[str, str]]:
    return [(a.action, a.detail) for a in centre.store.audit_log(500) if a.user == user]


class LiveGate:
    """A gate service's parts on the simulated entrance: the gate, its publisher on the broker
    (taking its commands) and its command desk, on a clock that keeps to the wall clock."""

    def __init__(
        self,
        tmp_path: Path,
        broker: PrivateBroker,
        people: list[SimPerson],
        park: str = PARK,
        gate: str = GATE,
    ) -> None:
        # the shift starts now, and the rig's clock keeps to the wall clock: the gate and the
        # centre agree on when a command was issued
        start = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(seconds=SWITCHED_ON_S)
        self.config: Config = make_config(
            tmp_path,
            gate={"park": park, "id": gate},
            secondary={"realert_s": 3600.0, "isolation_room": ROOM, "isolation_location": PLACE},
            simulator={"shift_start": start.replace(tzinfo=None).isoformat(timespec="seconds")},
        )
        self.rig = build_rig(
            self.config, people, real_time=True, switched_on_before_s=SWITCHED_ON_S
        )
        self.record = Record(tmp_path / "gate-record.sqlite")
        self.state, self.publisher, self.gate, self.desk = commanded_gate(
            self.rig, self.record, broker, GateTopics(park, gate)
        )

    def run_until(self, condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
        """Poll the gate, taking commands between frames as the service does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.desk.run_pending(self.publisher.commands)
            self.gate.poll()
            if condition():
                return
        raise AssertionError("the gate never got there")

    def checks(self) -> list[dict[str, Any]]:
        return self.record.checks()

    def relay_pulses(self) -> int:
        return len(self.rig.gpio.pulses(self.config.outputs.relay_pin))

    def steps(self, flag_id: str) -> list[tuple[str, str]]:
        return [
            (s["step"], s["by"])
            for s in self.record.rows("secondary_steps")
            if s["flag_id"] == flag_id
        ]

    def close(self) -> None:
        self.gate.close()
        self.publisher.stop()
        self.record.close()
