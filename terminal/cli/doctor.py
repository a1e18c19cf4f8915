"""``gate-terminal doctor --config FILE``: is this gate ready to run? A pass/fail table, one row
per check with what to do about each failure; the exit code is 1 when anything failed.

The devices come from the factory ``run`` would use (terminal/cli/hardware.py): the Pi's on a
Pi, the simulator's twins on a simulated gate."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from terminal.doctor import CHECKS, Row, not_checked
from terminal.doctor.text import (
    CHECK_NAMES,
    STATUS,
    Language,
    default_language,
    padded,
    say,
    width,
    words,
)


def add_commands(commands: Any, existing_file: Callable[[str], Any]) -> None:
    doctor = commands.add_parser(
        "doctor", help="check that this gate is ready to run: a pass/fail table with the fixes"
    )
    doctor.add_argument("--config", type=existing_file, required=True, metavar="FILE")
    doctor.add_argument(
        "--actuate",
        action="store_true",
        help="click the relay once: the turnstile is released once (default: it is not)",
    )
    doctor.add_argument(
        "--language",
        choices=("zh", "en"),
        default=None,
        help="default: the worker's display's ([display] language)",
    )


def examine(path: Path, actuate: bool = False) -> tuple[list[Row], Language | None]:
    """Every check's row, and the config's display language (None: the config did not load)."""
    # here, not at the top: the centre's install has the command line without the camera stack
    from terminal.cli.hardware import device_factory
    from terminal.doctor.broker import broker_row
    from terminal.doctor.devices import DeviceRows, check_devices
    from terminal.doctor.system import (
        clock_row,
        config_row,
        disk_row,
        gate_running,
        record_row,
        system_clock,
    )
    from terminal.rules.roster import Roster

    row, config, roster = config_row(path)
    if config is None:
        return [row, *(not_checked(name, say("no_config")) for name in CHECKS[1:])], None
    running = gate_running()
    if running:  # the gate's devices are the gate's while it runs: not a pin is touched
        found = DeviceRows([not_checked(name, say("gate_running")) for name in CHECKS[1:7]], None)
    else:  # checked without a roster too: a gate is wired before its roster comes
        found = check_devices(config, device_factory(config), roster or Roster([]), actuate)
    clock = found.clock or system_clock()
    rows = [row, *found.rows, broker_row(config, running), clock_row(config, clock)]
    return [*rows, disk_row(config), record_row(config)], config.display.language


def table(rows: list[Row], language: Language, source: Path) -> str:
    def name(check: str) -> str:
        return f"{check} {CHECK_NAMES[check]}" if language == "zh" else check

    index = 1 if language == "zh" else 0
    headings = words(say("columns"), language).split("|")
    first = max(width(h) for h in [headings[0], *(name(r.check) for r in rows)])
    second = max(width(h) for h in [headings[1], *(s[index] for s in STATUS.values())])
    indent = " " * (first + second + 4)
    lines = [words(say("heading", config=source), language), ""]
    lines.append(f"{padded(headings[0], first)}  {padded(headings[1], second)}  {headings[2]}")
    for row in rows:
        status = STATUS[row.status][index]
        detail = words(row.detail, language)
        lines.append(f"{padded(name(row.check), first)}  {padded(status, second)}  {detail}")
        if row.fix is not None:
            lines.append(f"{indent}{words(say('fix'), language)}{words(row.fix, language)}")
    checks = len({row.check for row in rows})
    failed = len({row.check for row in rows if row.failed})
    skipped = len({row.check for row in rows if row.status == "skip"})
    if failed:
        summary = say("some_failed", failed=failed, n=checks)
    elif skipped:
        summary = say("some_skipped", passed=checks - skipped, skipped=skipped, n=checks)
    else:
        summary = say("all_passed", n=checks)
    lines += ["", words(summary, language)]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    rows, configured = examine(args.config, actuate=args.actuate)
    language: Language = args.language or configured or default_language()
    sys.stdout.write(table(rows, language, args.config))
    return 1 if any(row.failed for row in rows) else 0
