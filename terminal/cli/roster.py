"""``gate-terminal roster check|import FILE --config FILE``: the park's roster onto the gate.

A file is checked whole against the config (its shift groups, and ids unique against the other
roster file) before anything changes. ``import`` then writes it where the config says, atomically
(a temporary file in the same folder, flushed to disk, renamed over the old one), keeping only the
columns the gate reads: an HR export's phone numbers never reach the terminal. The running gate
takes the new file within ``roster.reload_s``.

A file that is not UTF-8 is read with ``--encoding`` (gb18030 for Excel's plain CSV on a Chinese
Windows); the installed copy is written in the config's ``roster.encoding``. Every problem of a
file is listed in one run (the first ``MAX_LISTED``), one line each, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from terminal.common.csvfile import CsvFileError, known_encoding
from terminal.common.safetext import printable
from terminal.config import load
from terminal.rules.roster import RosterError
from terminal.rules.roster_install import check_roster_file, install_roster

MAX_LISTED = 50  # a file wrong on every line is wrong in one way: the first ones say how


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    roster = subparsers.add_parser("roster", help="check or import a workers or visitors CSV")
    actions = roster.add_subparsers(dest="roster_command", required=True)
    for name, text in (
        ("check", "check a workers or visitors CSV against the config; change nothing"),
        ("import", "check a workers or visitors CSV, then install it for the gate"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("file", type=Path, metavar="FILE")
        action.add_argument("--config", type=Path, required=True, metavar="FILE")
        action.add_argument(
            "--encoding",
            metavar="NAME",
            help="the file's encoding when it is not UTF-8: gb18030 (Excel's CSV on a Chinese "
            "Windows), shift_jis, latin-1",
        )


def run(args: argparse.Namespace) -> int:
    """0: the file is good (and installed); 1: it has problems, each listed; 2: it could not be
    checked (config, options)."""
    config = load(args.config)  # a ConfigError is the caller's to report
    if args.encoding is not None:
        try:
            known_encoding(args.encoding)
        except CsvFileError as exc:
            print(f"gate-terminal: --encoding: {exc}", file=sys.stderr)
            return 2
    try:
        checked, target = check_roster_file(args.file, config, args.encoding)
        if args.roster_command == "import":
            install_roster(checked, target, config)
    except RosterError as exc:
        for problem in exc.problems[:MAX_LISTED]:
            print(f"gate-terminal: {problem}", file=sys.stderr)
        more = len(exc.problems) - len(exc.problems[:MAX_LISTED])
        said = [f"{more} more {'problem' if more == 1 else 'problems'}"] if more > 0 else []
        if exc.stopped_at is not None:
            said.append(f"not read after line {exc.stopped_at}")
        if said:
            print(f"gate-terminal: {args.file}: and {', '.join(said)}", file=sys.stderr)
        return 1
    count = f"{len(checked.people)} {checked.kind}"
    ignored = ", ".join(printable(name) for name in checked.ignored)
    ignored = f"; columns not read: {ignored}" if ignored else ""
    if args.roster_command == "import":
        print(
            f"installed {count} from {args.file} as {target}; the running gate takes them "
            f"within {config.roster.reload_s:g} s{ignored}"
        )
    else:
        print(f"{args.file}: {count}, valid for {config.source}{ignored}")
    return 0
