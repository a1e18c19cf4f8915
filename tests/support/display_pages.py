"""The worker's display served on a local port and looked at in chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from simulator.broker import free_port
from terminal.config import Config
from terminal.display.server import DisplayServer
from terminal.display.state import DisplayState
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.people import TABLE_ONLY

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; the browser is never downloaded


ROOM, PLACE = "Isolation room 2", "east gatehouse, ground floor"


ROOM_ZH, PLACE_ZH = "二号隔离室", "东门岗亭一楼"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    assert CHROMIUM.exists(), "Debian's chromium is needed: make system-packages installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


def display_config(tmp_path: Path, language: str) -> Config:
    room, place = (ROOM_ZH, PLACE_ZH) if language == "zh" else (ROOM, PLACE)
    return make_config(
        tmp_path,
        screening=TABLE_ONLY,
        secondary={"isolation_room": room, "isolation_location": place},
        display={"enabled": True, "language": language, "port": free_port()},
    )


def board_for(config: Config, state: GateState) -> DisplayState:
    return DisplayState(
        language=config.display.language,
        answer_s=config.display.answer_s,
        isolation_room=config.secondary.isolation_room,
        isolation_location=config.secondary.isolation_location,
        conditions=state,
        timezone=config.gate.timezone,
    )


def serve(board: DisplayState, config: Config, page: Page) -> DisplayServer:
    server = DisplayServer(board, "127.0.0.1", config.display.port)
    server.start()
    for _ in range(3):  # the server's thread may still be binding its port
        try:
            page.goto(server.address)
            break
        except Exception:
            page.wait_for_timeout(300)
    return server
