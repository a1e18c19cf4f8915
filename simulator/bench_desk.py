"""How long a check at a gate takes to appear on the security desk: the gate writes the check and
its message to its record (as it does after each decision) and hands it to its publisher; the
message goes through a local Mosquitto to the centre's collector, into the centre's database, and
the desk's open page shows it. Measured in Debian's Chromium, from the gate's write to the moment
the row is in the page (clocks compared in the browser, the one place both ends can be timed):
``.venv/bin/python -m simulator.bench_desk [--checks 100] [--database sqlite|postgresql]``
(postgresql: a private, durable PostgreSQL server of the benchmark's own)."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulator.broker import PrivateBroker
from simulator.postgres import PrivatePostgres
from terminal.centre.config import parse_centre
from terminal.centre.running import add_user, start_centre
from terminal.config import MqttConfig
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, Messages
from terminal.record.store import CheckRow, Record

PARK, GATE = "bench-park", "bench-gate"
# the page records when each check's row first appears, on the browser's clock (ms since epoch)
WATCH = """() => {
  window.seenAt = {};
  const note = () => {
    for (const row of document.querySelectorAll("tr.check[data-event]")) {
      const id = row.dataset.event;
      if (!(id in window.seenAt)) window.seenAt[id] = performance.timeOrigin + performance.now();
    }
  };
  note();
  new MutationObserver(note).observe(document.getElementById("live"),
                                     {childList: true, subtree: true});
}"""


def check_row(index: int) -> CheckRow:
    now = time.time()
    return CheckRow(
        event_id=uuid.uuid4().hex, ts="", epoch_s=now, park=PARK, gate=GATE,
        person_id=f"W{index:05d}", code="green", temperature_c=36.6, first_c=None,
        sensor_fault=None, decision="admit", reason="admitted", route="through", check_s=1.5,
        processing_ms=20.0,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        broker = stack.enter_context(PrivateBroker())
        if args.database == "sqlite":
            url = f"sqlite:///{folder / 'centre.sqlite'}"
        else:
            url = stack.enter_context(PrivatePostgres(durable=True)).new_database()
        config = parse_centre(
            {
                "park": PARK,
                "mqtt": {"host": broker.host, "port": broker.port},
                "database": {"url": url},
                "web": {"language": "en", "host": "127.0.0.1"},
            },
            folder / "centre.toml",
        )
        centre = start_centre(config, web_port=0)
        add_user(centre.store, "bench", "viewer", "bench-password")
        record = Record(folder / "gate.sqlite")
        messages = Messages(PARK, GATE, boot_id=uuid.uuid4().hex, timezone=config.timezone)
        topics = GateTopics(PARK, GATE)
        publisher = Publisher(
            record, MqttConfig(host=broker.host, port=broker.port), topics, client_id=GATE
        )
        publisher.start()
        assert publisher.wait_connected(10), "the gate could not reach the broker"
        written_at_ms: dict[str, float] = {}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
                page = browser.new_page()
                page.goto(centre.web_url.rstrip("/") + "/login")
                page.fill("#user", "bench")
                page.fill("#password", "bench-password")
                page.click("#sign-in")
                page.wait_for_url("**/desk")
                page.evaluate(WATCH)
                for index in range(args.checks):
                    # checks at times unrelated to the page's poll of the store
                    time.sleep(0.15 + (index % 7) * 0.037)
                    row = check_row(index)
                    written_at_ms[row.event_id] = time.time() * 1000
                    record.add_check(row, [messages.check(row)])
                    publisher.pump()  # as the gate's loop does after writing
                # polled from here: the page's policy forbids the evaluated predicates of
                # wait_for_function
                deadline = time.monotonic() + 60
                while page.evaluate("Object.keys(window.seenAt).length") < args.checks:
                    assert time.monotonic() < deadline, "the desk did not show every check"
                    time.sleep(0.1)
                seen_at_ms: dict[str, float] = page.evaluate("window.seenAt")
                browser.close()
        finally:
            publisher.stop()
            record.close()
            centre.stop()
        delays_ms = sorted(seen_at_ms[event] - at for event, at in written_at_ms.items())
    print(f"{len(delays_ms)} checks ({args.database}), the gate's write to the desk showing it:")
    print(
        f"  median {statistics.median(delays_ms):.0f} ms, "
        f"95th percentile {delays_ms[int(0.95 * len(delays_ms)) - 1]:.0f} ms, "
        f"max {delays_ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
