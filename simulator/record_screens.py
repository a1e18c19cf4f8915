"""A screenshot of the printed record for the documentation, taken in Debian's Chromium: a short
simulated shift into a record of its own, exported by ``gate-terminal record export --format
html --lang en`` and its first sheet shown as printed:
``.venv/bin/python -m simulator.record_screens [--out docs/screens]``."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

from simulator.display_screens import screens_arguments
from simulator.rig import shift_start_epoch
from simulator.runner import run_simulation
from terminal.cli.main import DEFAULT_SIMULATOR_CONFIG
from terminal.cli.main import main as gate_terminal
from terminal.common.times import local_day
from terminal.config import load

WORKERS, SEED = 24, 7  # a crowd whose shift fits one sheet, with a fever confirmed among it
SHEET_PX = {"width": 900, "height": 1200}


def main() -> None:
    args = screens_arguments(__doc__)
    config = load(DEFAULT_SIMULATOR_CONFIG)
    day = local_day(shift_start_epoch(config), ZoneInfo(config.gate.timezone)).isoformat()
    with tempfile.TemporaryDirectory(prefix="record-screens-") as folder:
        record, page_path = Path(folder) / "record.sqlite", Path(folder) / "record.html"
        with contextlib.redirect_stdout(io.StringIO()):  # the shift's summary is not wanted here
            run_simulation(config, workers=WORKERS, seed=SEED, record_path=record)
        # the simulator's own config (its gate, zone and isolation room), the shift's record
        exported = gate_terminal(["record", "export", "--config", str(DEFAULT_SIMULATOR_CONFIG),
                                  "--record", str(record), "--from", day, "--to", day,
                                  "--format", "html", "--lang", "en",
                                  "--output", str(page_path)])  # fmt: skip
        if exported != 0:
            raise SystemExit(exported)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
            page = browser.new_page(viewport=SHEET_PX)  # type: ignore[arg-type]
            page.emulate_media(media="print")
            page.goto(page_path.as_uri())
            page.locator("section.day").first.screenshot(path=str(args.out / "record-export.png"))
            browser.close()
    print(f"wrote {args.out / 'record-export.png'}")


if __name__ == "__main__":
    main()
