"""``gate-terminal centre``: run the operations centre, or manage its staff.

gate-terminal centre --config centre.toml                  # collector + desk + board
gate-terminal centre --config centre.toml --collector-only --client-id centre-b
gate-terminal centre user add alice --role guard --config centre.toml   # password: prompt/stdin
gate-terminal centre user passwd alice --config centre.toml
gate-terminal centre user list --config centre.toml
gate-terminal centre backup --config centre.toml --to /mnt/centre-backup [--keep 14]
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from terminal.centre.backup import DEFAULT_KEEP
from terminal.centre.config import CentreConfig, load_centre
from terminal.centre.errors import CentreError
from terminal.centre.store import ROLES
from terminal.common.errors import GateError


def add_parser(commands: argparse._SubParsersAction, existing_file: Callable[[str], Path]) -> None:
    centre = commands.add_parser(
        "centre", help="run the park's operations centre (collector, security desk, board)"
    )
    centre.add_argument("--config", type=existing_file, metavar="FILE")
    centre.add_argument(
        "--client-id",
        default=None,
        metavar="ID",
        help="this collector's MQTT client id (each collector of a park needs its own)",
    )
    centre.add_argument(
        "--collector-only",
        action="store_true",
        help="store the gates' messages, without the web application (another collector)",
    )
    actions = centre.add_subparsers(dest="centre_action")
    user = actions.add_parser("user", help="the centre's staff: add, change a password, list")
    user_actions = user.add_subparsers(dest="user_action", required=True)
    add = user_actions.add_parser("add", help="a new user; the password is asked for")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    passwd = user_actions.add_parser("passwd", help="a new password (ends the user's sessions)")
    passwd.add_argument("name")
    listing = user_actions.add_parser("list", help="the users and their roles")
    backup = actions.add_parser(
        "backup",
        help="copy the database (SQLite: online backup; PostgreSQL: pg_dump) into a folder",
    )
    backup.add_argument("--to", type=Path, required=True, metavar="DIR")
    backup.add_argument(
        "--keep",
        type=_positive,
        default=DEFAULT_KEEP,
        metavar="N",
        help=f"keep the newest N backups there (default {DEFAULT_KEEP})",
    )
    backup.add_argument(
        "--allow-same-disk",
        action="store_true",
        help="an SQLite centre: write the backup even on the database's own disk",
    )
    for sub in (add, passwd, listing, backup):
        # after the action too; SUPPRESS keeps a --config given before it
        sub.add_argument("--config", type=existing_file, metavar="FILE", default=argparse.SUPPRESS)


def read_password(prompt: Callable[[str], str] = getpass.getpass) -> str:
    """From the terminal (asked twice), or the first line of standard input (a script). Ctrl-D,
    Ctrl-C or an input that ends first: one line, and no user changed."""
    if sys.stdin is None:  # started with its standard input closed
        raise CentreError("password: no standard input to read it from")
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise CentreError("password: standard input ended before a line")
        return line.rstrip("\r\n")
    try:
        first = prompt("password: ")
        again = prompt("again: ")
    except (EOFError, KeyboardInterrupt) as stopped:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # the prompt's line was left open: the message on its own
        if isinstance(stopped, EOFError):
            raise CentreError("password: none given (input ended); nothing changed") from None
        raise CentreError("password: cancelled; nothing changed") from None
    if again != first:
        raise CentreError("the two passwords differ")
    return first


def _users(args: argparse.Namespace, config: CentreConfig) -> int:
    from terminal.centre.running import add_user
    from terminal.centre.store import StoreError, open_store
    from terminal.centre.users import check_new_password, check_user_name
    from terminal.centre.web.auth import hash_password

    store = open_store(config.database_url(), config.board_settings(), config.database.password())
    try:
        if args.user_action == "list":
            for user in store.list_users():
                print(f"{user.name}\t{user.role}")
            return 0
        # what can be said of the name is said before the password is asked for
        name = check_user_name(args.name)
        exists = store.user(name) is not None
        if args.user_action == "add" and exists:
            raise StoreError(f"user {name!r}: already exists")
        if args.user_action == "passwd" and not exists:
            raise StoreError(f"user {name!r}: no such user")
        password = read_password()
        if args.user_action == "add":
            add_user(store, name, args.role, password)
            store.audit("(command line)", "user_add", f"{name} as {args.role}")
            print(f"user {name} ({args.role}) added", file=sys.stderr)
        else:
            store.set_password(name, hash_password(check_new_password(password)))
            store.audit("(command line)", "user_passwd", name)
            print(f"password of {name} changed; their sessions ended", file=sys.stderr)
        return 0
    finally:
        store.close()


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number of backups from 1 to 1000: {text!r}")
    return int(text)


def _backup(args: argparse.Namespace, config: CentreConfig) -> int:
    from terminal.centre.backup import back_up_centre

    try:
        done = back_up_centre(config, args.to, keep=args.keep, allow_same_disk=args.allow_same_disk)
    except GateError as exc:  # refused (2) or failed (1): one line either way
        print(f"gate-terminal centre: {exc}", file=sys.stderr)
        return exc.exit_code
    print(
        f"centre database ({done.kind}) backed up to {done.path}; {len(done.removed)} older "
        f"removed, {done.kept}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Errors of the centre's own (config, database, broker) are one line and exit 2."""
    from terminal.config import ConfigError

    if getattr(args, "config", None) is None:
        print("gate-terminal centre: --config FILE is required", file=sys.stderr)
        return 2
    try:
        if args.centre_action == "backup":
            # a backup signs nothing: the signing key is not needed here
            return _backup(args, load_centre(args.config, commands=False))
        if args.centre_action == "user":
            # the staff's accounts sign no command: the signing key is not needed here
            return _users(args, load_centre(args.config, commands=False))
        config = load_centre(args.config)
        from terminal.centre.running import serve_forever

        return serve_forever(config, client_id=args.client_id, web=not args.collector_only)
    except (CentreError, ConfigError) as exc:
        print(f"gate-terminal centre: {exc}", file=sys.stderr)
        return 2
