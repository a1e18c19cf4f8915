"""A screenshot of the printed record for the documentation, taken in Debian's Chromium: a short
simulated shift into a record of its own, exported by ``gate-terminal record export --format
html --lang en`` and its first sheet shown as printed:
``.venv/bin/python -m simulator.record_screens [--out docs/screens]``."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

from simulator.display_screens import screens_arguments
from simulator.rig import shift_start_epoch
from simulator.runner import run_simulation
from terminal.cli.main import DEFAULT_SIMULATOR_CONFIG
from terminal.cli.main import main as gate_terminal
from terminal.codes.healthcode import SIMULATOR_KEY_ID, public_key_text, simulator_issuer_key
from terminal.common.times import local_day
from terminal.config import Config, load

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
        shift_config = Path(folder) / "gate.toml"
        shift_config.write_text(_config_for(config, record), encoding="utf-8")
        exported = gate_terminal(["record", "export", "--config", str(shift_config), "--from", day,
                                  "--to", day, "--format", "html", "--lang", "en",
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


def _config_for(config: Config, record: Path) -> str:
    """A gate's config naming the simulated gate and its record: all the export reads."""
    issuer = public_key_text(simulator_issuer_key().public_key())
    return "\n".join(
        [
            "[gate]",
            f"park = {json.dumps(config.gate.park)}",
            f"id = {json.dumps(config.gate.id)}",
            f"timezone = {json.dumps(config.gate.timezone)}",
            'hardware = "simulated"',
            "[record]",
            f"path = {json.dumps(str(record))}",
            "[roster]",
            f"workers = {json.dumps(str(record.with_name('workers.csv')))}",
            "[[healthcode.issuers]]",
            f"key_id = {json.dumps(SIMULATOR_KEY_ID)}",
            f"public_key = {json.dumps(issuer)}",
            "",
        ]
    )


if __name__ == "__main__":
    main()
