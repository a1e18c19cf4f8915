"""Screenshots of the worker's display for the documentation, taken in Debian's Chromium:
``.venv/bin/python -m simulator.display_screens [--out docs/screens]``."""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

from simulator.broker import free_port
from terminal.display.server import DisplayServer
from terminal.display.state import DisplayState
from terminal.rules.policy import SHIFT_REASONS, Reason, Route
from terminal.rules.shifts import Opening
from terminal.rules.windows import parse_window
from terminal.state import GateState

SCREEN_PX = {"width": 800, "height": 480}  # the Raspberry Pi 7-inch touch display
# a worker come too early for this window
EARLY_FOR = Opening(
    date(2026, 11, 23),
    parse_window("07:40-08:00"),
    "arrival",
    datetime(2026, 11, 23, 7, 40, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
)
PLACES = {
    "en": ("Temporary isolation room", "Building A, ground floor, room 012"),
    "zh": ("临时隔离室", "A栋一楼012室"),
}


def screens_arguments(description: str | None) -> argparse.Namespace:
    """The options every screenshot script takes: where the pictures go (made if missing) and
    the system's Chromium (the browser Playwright would download is never fetched)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def main() -> None:
    args = screens_arguments(__doc__)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
        for language in ("en", "zh"):
            room, location = PLACES[language]
            board = DisplayState(
                language=language,
                answer_s=60.0,
                isolation_room=room,
                isolation_location=location,
                timezone="Asia/Shanghai",  # the simulator's gate
            )
            server = DisplayServer(board, "127.0.0.1", free_port())
            server.start()
            while not server.started:
                time.sleep(0.01)
            page = browser.new_page(viewport=SCREEN_PX)  # type: ignore[arg-type]
            page.goto(server.address)
            shots = {
                "": (Reason.CODE_RED, Route.ISOLATION_ROOM),
                "-pass": (Reason.ADMITTED, Route.THROUGH),
                "-secondary": (Reason.SECONDARY_CHECK, Route.SECONDARY_CHECK),
                "-shift": (Reason.SHIFT_EARLY, Route.ASIDE),
            }
            for suffix, (reason, route) in shots.items():
                board.decided(reason, route, EARLY_FOR if reason in SHIFT_REASONS else None)
                page.locator(f'body[data-kind="{reason.value}"]').wait_for()
                page.wait_for_timeout(300)  # the background's colour change
                target = args.out / f"worker-display-{language}{suffix}.png"
                page.screenshot(path=str(target))
                print(target)
            board.approach_over()
            page.locator('body[data-kind="show_code"]').wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=str(args.out / f"worker-display-{language}-idle.png"))
            board.conditions = GateState(risk_tier="low", emergency=True)  # the fire alarm
            page.locator('body[data-kind="emergency"]').wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=str(args.out / f"worker-display-{language}-emergency.png"))
            page.close()
            server.stop()
        browser.close()


if __name__ == "__main__":
    main()
