"""``gate-terminal codes``: the park health office's tools for signed health codes.

- ``keygen --out DIR``: a new issuing key pair; the private key readable by its owner only.
- ``issue --person ID --colour C --valid 24h --key FILE [--png FILE]``: one code.
- ``issue --roster FILE --key FILE --out DIR [--encoding NAME]``: one PNG per person on a roster
  file.
- ``verify PAYLOAD --config FILE``: exit 0 when a gate with that config believes the code.
- ``permit --plate P --purpose TEXT [--driver ID] --valid 24h --key FILE [--png FILE]``: a signed
  vehicle permit (terminal/codes/permits.py), with a key pair made by ``keygen`` whose public key a
  vehicle gate lists under ``[[vehicles.permit_issuers]]``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import segno

from terminal.codes.healthcode import (
    KEY_ID,
    KEY_ID_PATTERN,
    CodeRejected,
    Colour,
    KeyProblem,
    issue,
    load_private_key,
    private_key_pem,
    public_key_text,
)
from terminal.codes.permits import issue_permit
from terminal.common.csvfile import CsvFileError, known_encoding, read_table
from terminal.common.errors import GateError
from terminal.common.ids import PERSON_ID, PERSON_ID_RULE
from terminal.common.safefile import MAX_KEY_BYTES, UnreadableFile, read_regular_file
from terminal.config import load

_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([mhd])$")
_UNIT_S = {"m": 60.0, "h": 3600.0, "d": 86400.0}
MAX_VALID_S = 14 * 86400.0
PNG_SCALE = 8  # pixels per module: a code that prints sharp and reads from a screen


class CodesError(GateError):
    """A problem to report in one line, exit status 2."""


def _duration_s(text: str) -> float:
    found = _DURATION.fullmatch(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"expected a duration like 90m, 24h or 2d, got {text!r}")
    seconds = float(found.group(1)) * _UNIT_S[found.group(2)]
    if not 0 < seconds <= MAX_VALID_S:
        raise argparse.ArgumentTypeError(
            f"a code is valid for more than 0 and at most 14d, got {text}"
        )
    return seconds


def _key_id(text: str) -> str:
    if not KEY_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"key id must match {KEY_ID_PATTERN}, got {text!r}")
    return text


def add_commands(commands: argparse._SubParsersAction) -> None:
    codes = commands.add_parser("codes", help="make and check signed health codes")
    actions = codes.add_subparsers(dest="codes_command", required=True)

    keygen = actions.add_parser("keygen", help="a new issuing key pair")
    keygen.add_argument("--out", type=Path, required=True, metavar="DIR")
    keygen.add_argument(
        "--key-id",
        type=_key_id,
        default=None,
        help="the key's id in every code it signs (default: park-YYYYMMDD)",
    )

    make = actions.add_parser("issue", help="issue a code, or one per person on a roster")
    who = make.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="ID", help=f"the person's id: {PERSON_ID_RULE}")
    who.add_argument("--roster", type=Path, metavar="FILE", help="a CSV with a person_id column")
    make.add_argument("--colour", choices=[c.value for c in Colour], default="green")
    make.add_argument("--valid", type=_duration_s, default=_duration_s("24h"), metavar="DURATION")
    make.add_argument("--key", type=Path, required=True, metavar="FILE", help="the private key")
    make.add_argument(
        "--key-id", type=_key_id, default=None, help="default: the key file's name (ID.key)"
    )
    make.add_argument("--png", type=Path, default=None, metavar="FILE", help="with --person")
    make.add_argument("--out", type=Path, default=None, metavar="DIR", help="with --roster")
    make.add_argument(
        "--encoding",
        metavar="NAME",
        help="with --roster, when the file is not UTF-8: gb18030 (Excel's CSV on a Chinese "
        "Windows), shift_jis, latin-1",
    )

    permit = actions.add_parser("permit", help="a signed vehicle permit for a vehicle gate")
    permit.add_argument("--plate", required=True, help="the licence plate, e.g. 粤BD12345")
    permit.add_argument("--purpose", required=True, help="why the vehicle comes")
    permit.add_argument("--driver", default=None, metavar="ID", help="the only driver it admits")
    permit.add_argument("--valid", type=_duration_s, default=_duration_s("24h"), metavar="DURATION")
    permit.add_argument("--key", type=Path, required=True, metavar="FILE", help="the private key")
    permit.add_argument(
        "--key-id", type=_key_id, default=None, help="default: the key file's name (ID.key)"
    )
    permit.add_argument("--png", type=Path, default=None, metavar="FILE")

    verify = actions.add_parser("verify", help="would a gate with this config believe the code?")
    verify.add_argument("payload")
    verify.add_argument("--config", type=Path, required=True, metavar="FILE")


def run(args: argparse.Namespace) -> int:
    # a CodesError or a ConfigError is said by the command line's one handler (exit 2)
    if args.codes_command == "keygen":
        return _keygen(args.out, args.key_id)
    if args.codes_command == "issue":
        return _issue(args)
    if args.codes_command == "permit":
        return _permit(args)
    return _verify(args.payload, args.config)


def _keygen(folder: Path, key_id: str | None) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key_id = key_id or f"park-{datetime.now(UTC):%Y%m%d}"
    private_path, public_path = folder / f"{key_id}.key", folder / f"{key_id}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise CodesError(
                f"{path}: exists; a key is never overwritten (choose another --key-id)"
            )
    key = Ed25519PrivateKey.generate()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # created readable by its owner only, before a byte of the key is in it
        handle = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as private_file:
            private_file.write(private_key_pem(key))
        public_path.write_text(public_key_text(key.public_key()) + "\n", encoding="ascii")
    except OSError as exc:
        raise CodesError(f"{folder}: cannot write the keys: {exc.strerror}") from None
    print(f"private key: {private_path} (keep it at the health office; never on a gate)")
    print(f"public key:  {public_path}")
    print("Add to each gate's config:")
    print("[[healthcode.issuers]]")
    print(f'key_id = "{key_id}"')
    print(f'public_key = "{public_key_text(key.public_key())}"')
    return 0


def _load_key(path: Path) -> object:
    try:
        data = read_regular_file(path, max_bytes=MAX_KEY_BYTES, what="the key")
    except UnreadableFile as exc:
        raise CodesError(str(exc)) from None
    try:
        return load_private_key(data)
    except KeyProblem as exc:
        raise CodesError(f"{path}: {exc}") from None


def _key_id_of(args: argparse.Namespace) -> str:
    key_id: str = args.key_id or args.key.stem
    if not KEY_ID.fullmatch(key_id):
        raise CodesError(
            f"{args.key}: the file name is no key id ({KEY_ID_PATTERN}); give --key-id"
        )
    return key_id


def _permit(args: argparse.Namespace) -> int:
    key = _load_key(args.key)
    key_id = _key_id_of(args)
    try:
        payload = issue_permit(
            key,  # type: ignore[arg-type]
            key_id,
            plate=args.plate,
            purpose=args.purpose,
            driver=args.driver,
            valid_until_s=time.time() + args.valid,
        )
    except ValueError as exc:
        raise CodesError(f"permit: {exc}") from None
    if args.png is not None:
        _save_png(payload, args.png)
    print(payload)
    return 0


def _issue(args: argparse.Namespace) -> int:
    key = _load_key(args.key)
    key_id = _key_id_of(args)
    issued_s = time.time()
    until_s = issued_s + args.valid

    def one(person_id: str) -> str:
        return issue(key, key_id, person_id, args.colour, issued_s, until_s)  # type: ignore[arg-type]

    if args.person is not None:
        if args.out is not None:
            raise CodesError("--out goes with --roster; for one person use --png FILE")
        if not PERSON_ID.fullmatch(args.person):
            raise CodesError(f"--person: {args.person!r} is not an id: an id is {PERSON_ID_RULE}")
        payload = one(args.person)
        if args.png is not None:
            _save_png(payload, args.png)
        print(payload)
        return 0
    if args.out is None or args.png is not None:
        raise CodesError("--roster writes one PNG per person into --out DIR (not --png)")
    try:
        if args.encoding is not None:
            known_encoding(args.encoding)
    except CsvFileError as exc:
        raise CodesError(f"--encoding: {exc}") from None
    try:
        table = read_table(args.roster, ["person_id"], "roster", encoding=args.encoding)
    except CsvFileError as exc:
        raise CodesError(str(exc)) from None
    people = []
    for line, cells in table:
        if not PERSON_ID.fullmatch(cells["person_id"]):
            raise CodesError(
                f"{args.roster}:{line}: person_id: {cells['person_id']!r} is not an id: an id is "
                f"{PERSON_ID_RULE}"
            )
        people.append(cells["person_id"])
    for person_id in people:
        _save_png(one(person_id), args.out / f"{person_id}.png")
    print(f"{len(people)} codes ({args.colour}, key {key_id}) written to {args.out}")
    return 0


def _save_png(payload: str, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        segno.make_qr(payload, error="m").save(str(path), scale=PNG_SCALE, border=4)
    except OSError as exc:
        raise CodesError(f"{path}: cannot write: {exc.strerror}") from None


def _verify(payload: str, config_path: Path) -> int:
    config = load(config_path)
    try:
        code = config.healthcode.verifiers().verify(payload, time.time())
    except CodeRejected as exc:
        print(f"gate-terminal: refused: {exc.problem.value} ({exc.detail})", file=sys.stderr)
        return 1
    until = datetime.fromtimestamp(code.valid_until_s, UTC).isoformat(timespec="seconds")
    print(f"valid: {code.person_id} {code.colour.value}, issuer {code.issuer}, until {until}")
    return 0
