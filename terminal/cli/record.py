"""``gate-terminal record ...``: the gate's written record from the command line."""

from __future__ import annotations

import argparse

from terminal.cli.record_backup import add_backup_parser, run_backup


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    record = subparsers.add_parser("record", help="the gate's written record: back it up")
    actions = record.add_subparsers(dest="record_command", required=True)
    add_backup_parser(actions)


def run(args: argparse.Namespace) -> int:
    if args.record_command == "backup":
        return run_backup(args)
    raise AssertionError(f"no such record command: {args.record_command}")
