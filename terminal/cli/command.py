"""``gate-terminal command``: the operations centre's side of a command, for an operator or a
script: make the centre's signing key, and sign one command for one gate.

    gate-terminal command keygen --out centre.pem
    gate-terminal command sign --key centre.pem --key-id centre-2026 --park P --gate G \\
        --name lockdown --payload '{"on": true, "reason": "red card"}' --by duty-officer \\
      | mosquitto_pub -t gate/v1/P/G/cmd/lockdown -q 1 -s ...
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from terminal.codes.healthcode import KeyProblem, load_private_key, private_key_pem, public_key_text
from terminal.common import strictjson
from terminal.common.errors import GateError
from terminal.common.safefile import MAX_KEY_BYTES, UnreadableFile, read_regular_file
from terminal.link import contract
from terminal.link.command_signing import sign_command


class CommandLineError(GateError, ValueError):
    """One line for the operator; exit 2."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("command", help="make a signing key, or sign a command")
    actions = command.add_subparsers(dest="action", required=True)
    keygen = actions.add_parser("keygen", help="a new Ed25519 key for signing commands")
    keygen.add_argument("--out", type=Path, required=True, metavar="FILE.pem")
    sign = actions.add_parser("sign", help="print a signed command (JSON) for one gate")
    sign.add_argument("--key", type=Path, required=True, metavar="FILE.pem")
    sign.add_argument("--key-id", required=True)
    sign.add_argument("--park", required=True)
    sign.add_argument("--gate", required=True)
    sign.add_argument("--name", required=True, choices=sorted(contract.COMMAND_PAYLOADS))
    sign.add_argument("--payload", required=True, metavar="JSON")
    sign.add_argument("--by", required=True, help="who sends it (recorded by the gate)")
    sign.add_argument("--lifetime", type=float, default=60.0, metavar="SECONDS")


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "keygen":
            _keygen(args.out)
        else:
            print(json.dumps(_sign(args), separators=(",", ":")))
    except CommandLineError as exc:
        print(f"gate-terminal: {exc}", file=sys.stderr)
        return 2
    return 0


def _keygen(out: Path) -> None:
    if out.exists():
        raise CommandLineError(f"{out}: exists; not overwritten")
    key = Ed25519PrivateKey.generate()
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(key))
    print(public_key_text(key.public_key()))
    print(f"private key in {out} (keep it at the centre); the line above goes into each gate's "
          "[[commands.keys]] public_key", file=sys.stderr)  # fmt: skip


def _sign(args: argparse.Namespace) -> dict:
    try:
        key = load_private_key(
            read_regular_file(args.key, max_bytes=MAX_KEY_BYTES, what="the signing key")
        )
    except UnreadableFile as exc:
        raise CommandLineError(str(exc)) from None
    except KeyProblem as exc:
        raise CommandLineError(f"{args.key}: {exc}") from None
    try:  # parsed as the gate parses the command: what it would refuse is not signed
        payload = strictjson.loads(args.payload.encode("utf-8", "surrogatepass"))
    except strictjson.JsonRefused as exc:
        raise CommandLineError(f"--payload: {exc}") from None
    try:
        contract.COMMAND_PAYLOADS[args.name].model_validate(payload)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        raise CommandLineError(f"--payload: {where}: {error['msg']}") from None
    command = sign_command(
        key, args.key_id, name=args.name, park=args.park, gate=args.gate, payload=payload,
        issued_by=args.by, now_s=time.time(), lifetime_s=args.lifetime,
    )  # fmt: skip
    try:
        contract.SignedCommand.model_validate(command)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        raise CommandLineError(f"--{error['loc'][0]}: {error['msg']}".replace("_", "-")) from None
    return command
