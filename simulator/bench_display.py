"""How long a change of the gate's state takes to reach the worker's display: the gate writes the
display state, the page's server notices it and sends an event, the browser draws it. Measured in
Debian's Chromium, from the write to the moment the page's script has shown it (clocks compared
in the browser, the one place both ends can be timed):
``.venv/bin/python -m simulator.bench_display [--changes 200]``."""

from __future__ import annotations

import argparse
import os
import statistics
import time

from playwright.sync_api import sync_playwright

from simulator.broker import free_port
from terminal.display.server import DisplayServer
from terminal.display.state import DisplayState
from terminal.rules.policy import Reason, Route

# the page records when each screen was shown, on the browser's clock (ms since its epoch)
WATCH = """() => {
  window.shownAt = {};
  new MutationObserver(() => {
    window.shownAt[document.body.dataset.kind] = performance.timeOrigin + performance.now();
  }).observe(document.body, {attributes: true, attributeFilter: ["data-kind"]});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    board = DisplayState(
        language="en", answer_s=60.0, isolation_room="Room", isolation_location="here"
    )
    server = DisplayServer(board, "127.0.0.1", free_port())
    server.start()
    while not server.started:
        time.sleep(0.01)
    delays_ms: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
        page = browser.new_page()
        page.goto(server.address)
        page.locator('body[data-kind="show_code"]').wait_for()
        page.evaluate(WATCH)
        for n in range(args.changes):
            time.sleep(0.05 + (n % 7) * 0.011)  # changes at times unrelated to the server's poll
            changed_at_ms = time.time() * 1000
            if n % 2 == 0:
                board.decided(Reason.ADMITTED, Route.THROUGH)
                kind = "admitted"
            else:
                board.approach_over()
                kind = "show_code"
            page.locator(f'body[data-kind="{kind}"]').wait_for()
            shown_at_ms = page.evaluate(f"window.shownAt['{kind}']")
            delays_ms.append(shown_at_ms - changed_at_ms)
        browser.close()
    server.stop()
    delays_ms.sort()
    print(f"{len(delays_ms)} changes, gate's write to the page showing it:")
    print(
        f"  median {statistics.median(delays_ms):.1f} ms, "
        f"95th percentile {delays_ms[int(0.95 * len(delays_ms)) - 1]:.1f} ms, "
        f"max {delays_ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
