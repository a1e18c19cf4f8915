"""``gate-terminal centre``: run the operations centre, or manage its staff.

gate-terminal centre --config centre.toml                  # collector + desk + board
gate-terminal centre --config centre.toml --collector-only --client-id centre-b
gate-terminal centre user add alice --role guard --config centre.toml   # password: prompt/stdin
gate-terminal centre user passwd alice --config centre.toml
gate-terminal centre user list --config centre.toml
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from terminal.centre.config import CentreConfig, load_centre
from terminal.centre.errors import CentreError
from terminal.centre.store import ROLES


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
    for sub in (add, passwd, listing):
        # after the action too; SUPPRESS keeps a --config given before it
        sub.add_argument("--config", type=existing_file, metavar="FILE", default=argparse.SUPPRESS)


def read_password(prompt: Callable[[str], str] = getpass.getpass) -> str:
    """From the terminal (asked twice), or the first line of standard input (a script)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = prompt("password: ")
    if prompt("again: ") != first:
        raise CentreError("the two passwords differ")
    return first


def _users(args: argparse.Namespace, config: CentreConfig) -> int:
    from terminal.centre.running import add_user
    from terminal.centre.store import StoreError, open_store
    from terminal.centre.web.auth import hash_password

    store = open_store(config.database_url(), config.board_settings(), config.database.password())
    try:
        if args.user_action == "list":
            for user in store.list_users():
                print(f"{user.name}\t{user.role}")
            return 0
        password = read_password()
        if args.user_action == "add":
            add_user(store, args.name, args.role, password)
            store.audit("(command line)", "user_add", f"{args.name} as {args.role}")
            print(f"user {args.name} ({args.role}) added", file=sys.stderr)
        else:
            if len(password) < 8:
                raise StoreError("password: at least 8 characters")
            store.set_password(args.name, hash_password(password))
            store.audit("(command line)", "user_passwd", args.name)
            print(f"password of {args.name} changed; their sessions ended", file=sys.stderr)
        return 0
    finally:
        store.close()


def run(args: argparse.Namespace) -> int:
    """Errors of the centre's own (config, database, broker) are one line and exit 2."""
    from terminal.config import ConfigError

    if getattr(args, "config", None) is None:
        print("gate-terminal centre: --config FILE is required", file=sys.stderr)
        return 2
    try:
        config = load_centre(args.config)
        if args.centre_action == "user":
            return _users(args, config)
        from terminal.centre.running import serve_forever

        return serve_forever(config, client_id=args.client_id, web=not args.collector_only)
    except (CentreError, ConfigError) as exc:
        print(f"gate-terminal centre: {exc}", file=sys.stderr)
        return 2
