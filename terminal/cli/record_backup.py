"""``gate-terminal record backup --config FILE [--to DIR] [--keep N] [--allow-same-disk]``: a copy
of the record, taken while the gate runs (SQLite's online backup), checked, into a folder off the
SD card, named ``record-<gate>-<UTC stamp>.sqlite``; the oldest beyond ``keep`` removed. Run daily
by ``gate-record-backup.timer``; docs/record.md says how to mount a share and how to restore.

Exit 0: backed up; 2: refused before anything was written (no folder, the same disk as the
record, a config to fix); 1: the copy failed (nothing kept)."""

from __future__ import annotations

import argparse
from pathlib import Path

from terminal.common.backups import (
    BackupNames,
    BackupRefused,
    check_target,
    kept,
    take_backup,
)
from terminal.config import load
from terminal.record.backup import copy_record


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number of backups from 1 to 1000: {text!r}")
    return int(text)


def add_backup_parser(record_subparsers: argparse._SubParsersAction) -> None:
    text = "copy the record, while the gate runs, into a folder off the SD card"
    backup = record_subparsers.add_parser("backup", help=text, description=text)
    backup.add_argument("--config", type=Path, required=True, metavar="FILE")
    backup.add_argument(
        "--to", type=Path, default=None, metavar="DIR", help="the folder (default: backup.dir)"
    )
    backup.add_argument(
        "--keep",
        type=_positive,
        default=None,
        metavar="N",
        help="keep the newest N backups there (default: backup.keep, 14)",
    )
    backup.add_argument(
        "--allow-same-disk",
        action="store_true",
        help="write the backup even on the record's own disk (lost with the SD card)",
    )


def run_backup(args: argparse.Namespace) -> int:
    config = load(args.config)
    source = config.resolved(config.record.path)
    if not source.is_file():
        raise BackupRefused(f"{source}: no record here (record.path in {config.source})")
    if args.to is not None:
        target = args.to
    elif config.backup.dir is not None:
        target = config.resolved(config.backup.dir)
    else:
        raise BackupRefused(
            f"no folder for the backup: give --to DIR, or backup.dir in {args.config}"
        )
    keep = args.keep or config.backup.keep
    check_target(source, target, allow_same_disk=args.allow_same_disk)
    checks: list[int] = []
    names = BackupNames(f"record-{config.gate.id}-", ".sqlite")
    final, removed = take_backup(
        target,
        names,
        lambda partial: checks.append(copy_record(source, partial)),
        keep=keep,
    )
    print(
        f"record backed up to {final} ({checks[0]} checks, integrity ok); "
        f"{len(removed)} older removed, {kept(target, names, keep)}"
    )
    return 0
