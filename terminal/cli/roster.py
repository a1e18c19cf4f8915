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
import contextlib
import csv
import os
import sys
import tempfile
from pathlib import Path

from terminal.common.csvfile import CsvFileError, known_encoding
from terminal.common.safetext import printable
from terminal.config import Config, load
from terminal.rules.roster import PeopleFile, RosterError, check_unique, read_people_file

DEFAULT_MODE = 0o640  # the gate's group reads it; names and health data are nobody else's
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
        checked, target = _check(args.file, config, args.encoding)
        if args.roster_command == "import":
            _install(checked, target, config)
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


def _configured(config: Config, kind: str) -> Path | None:
    path = config.roster.workers if kind == "workers" else config.roster.visitors
    return None if path is None else config.resolved(path)


def _check(path: Path, config: Config, encoding: str | None = None) -> tuple[PeopleFile, Path]:
    checked = read_people_file(path, config, encoding)
    target = _configured(config, checked.kind)
    if target is None:
        raise RosterError(
            f"{config.source}: roster.{checked.kind}: not set, so the gate has no {checked.kind} "
            f"file to take {path}"
        )
    other_kind = "visitors" if checked.kind == "workers" else "workers"
    other_path = _configured(config, other_kind)
    if other_path is not None and other_path.exists():
        how = f"set roster.encoding in {config.source}"
        other = read_people_file(other_path, config, config.roster.encoding, how=how)
        check_unique(other, checked)
    return checked, target


def _install(checked: PeopleFile, target: Path, config: Config) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise RosterError(f"{target}: folder {folder} does not exist")
    _check_encodable(checked, config)
    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", newline="", encoding=config.roster.encoding) as out:
            writer = csv.writer(out)
            writer.writerow(checked.columns)
            writer.writerows(checked.rows)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, (old.st_mode & 0o777) if old else DEFAULT_MODE)
        if old is not None:
            with contextlib.suppress(PermissionError):  # only root can give it away
                os.chown(temp, old.st_uid, old.st_gid)
        # what the gate will read is what was checked
        if read_people_file(temp, config, config.roster.encoding).people != checked.people:
            raise RosterError(f"{target}: the written copy differs from {checked.path}")
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise RosterError(f"{target}: cannot install: {exc.strerror}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)


def _check_encodable(checked: PeopleFile, config: Config) -> None:
    """Every cell can be written in the encoding the gate reads its roster files in."""
    encoding = config.roster.encoding
    problems = []
    for person, cells in zip(checked.people, checked.rows, strict=True):
        for column, cell in zip(checked.columns, cells, strict=True):
            try:
                cell.encode(encoding)
            except UnicodeEncodeError:
                problems.append(
                    f"{checked.path}:{checked.lines[person.person_id]}: {column}: cannot be "
                    f"written in {encoding} (roster.encoding in {config.source})"
                )
    if problems:
        raise RosterError(*problems)
