"""Signing a command for a gate: the operations centre's side of the operations link, apart from
the gate's verification (terminal/link/commands.py) so that the centre, the command line and the
simulator sign without importing the gate.

A command is signed by the centre's Ed25519 key over the canonical JSON of every other field
(:func:`terminal.link.contract.canonical_json`); ``key_id`` names the key the gates know it by."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from terminal.link import contract


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _rfc3339(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")


def sign_command(
    key: Ed25519PrivateKey,
    key_id: str,
    *,
    name: str,
    park: str,
    gate: str,
    payload: Mapping[str, Any],
    issued_by: str,
    now_s: float,
    lifetime_s: float = 60.0,
    command_id: str | None = None,
) -> dict[str, Any]:
    """The command as published on ``gate/v1/{park}/{gate}/cmd/{name}`` (a JSON object)."""
    command: dict[str, Any] = {
        "schema": "gate.command/1",
        "command_id": command_id or uuid.uuid4().hex,
        "name": name,
        "park": park,
        "gate": gate,
        "issued_by": issued_by,
        "issued_at": _rfc3339(now_s),
        "expires_at": _rfc3339(now_s + lifetime_s),
        "payload": dict(payload),
        "key_id": key_id,
    }
    command["signature"] = _b64url(key.sign(contract.canonical_json(command)))
    return command
