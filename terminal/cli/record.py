"""``gate-terminal record ...``: the gate's written record for the people who ask for it.

``record export --config FILE --from YYYY-MM-DD --to YYYY-MM-DD --format csv|html|pdf
[--lang zh|en] [--record PATH] [--output PATH]`` writes the checks, secondary checks and
vehicles of those local days (the gate's ``gate.timezone``) as a CSV, a printable page (a sheet
per day, to sign) or its PDF, to PATH or to the standard output. The record is read read-only:
a running gate goes on writing. ``record backup`` copies the record off the SD card
(:mod:`terminal.cli.record_backup`). Each command of the group is one ``_add_*`` function
and one entry in ``RUNS``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from terminal.cli.record_backup import add_backup_parser, run_backup
from terminal.common.printed.export import (
    FORMATS,
    ExportProblem,
    day_of,
    days_asked,
    exported,
    format_of,
    language_of,
)
from terminal.common.printed.page import Printing
from terminal.common.printed.rows import printed_days
from terminal.common.printed.words import LANGUAGES
from terminal.common.times import day_bounds, local_day
from terminal.config import load
from terminal.record.inspection import Inspection


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    record = subparsers.add_parser(
        "record", help="the gate's written record: export it for inspectors, back it up"
    )
    actions = record.add_subparsers(dest="record_command", required=True)
    _add_export(actions)
    add_backup_parser(actions)


def _add_export(actions: argparse._SubParsersAction) -> None:
    export = actions.add_parser(
        "export",
        help="write the record of some days as CSV, a printable page or a PDF",
        description="write the checks, secondary checks and vehicles of the local days asked "
        "for (both included) as CSV, a printable page (HTML, a sheet per day) or a PDF",
    )
    export.add_argument("--config", type=str, required=True, metavar="FILE")
    # the values are checked by the command, not by argparse: a wrong one is one line, as any
    # other refusal
    export.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--format", default="csv", metavar="|".join(FORMATS))
    export.add_argument("--lang", default="zh", metavar="|".join(LANGUAGES))
    export.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="PATH",
        help="a record other than the config's record.path (a copy, a backup, a simulation's)",
    )
    export.add_argument(
        "--output", type=Path, default=None, metavar="PATH", help="default: standard output"
    )


def run(args: argparse.Namespace) -> int:
    return RUNS[args.record_command](args)


def _who() -> str:
    """The OS user printing (the gate's record is the ``gate`` user's)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid with no name (a container)
        return "?"


def _export(args: argparse.Namespace) -> int:
    kind = format_of(args.format)
    language = language_of(args.lang)
    first, last = day_of(args.first, "--from"), day_of(args.last, "--to")
    config = load(Path(args.config))  # a ConfigError is the caller's to report
    zone = ZoneInfo(config.gate.timezone)
    now_s = time.time()
    days = days_asked(first, last, local_day(now_s, zone))
    if args.record is not None:
        path = args.record
        if not path.is_file():
            raise ExportProblem(f"--record {path}: no record here")
    else:
        path = config.resolved(config.record.path)
        if not path.is_file():
            raise ExportProblem(f"{path}: no record here (record.path in {config.source})")
    start_s, end_s = day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]
    room = f"{config.secondary.isolation_room}, {config.secondary.isolation_location}"
    with Inspection(path, config.gate.id, room) as record:
        printed = printed_days(
            config.gate.park,
            [config.gate.id],
            days,
            zone,
            record.checks(start_s, end_s),
            record.flags(start_s, end_s),
            record.vehicles(start_s, end_s),
        )
    printing = Printing(now_s, "gate", _who(), str(path))
    data = exported(printed, kind, language, printing)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        try:
            args.output.write_bytes(data)
        except OSError as exc:
            raise ExportProblem(f"--output {args.output}: {exc.strerror or exc}") from None
    return 0


RUNS: dict[str, Callable[[argparse.Namespace], int]] = {"export": _export, "backup": run_backup}
