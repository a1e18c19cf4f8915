"""A real gate never trusts the simulator's keys, however their text is spelt: their private keys
are published, so whoever holds them could make health codes or permits the gate believes, or sign
an ``open_once``. A simulated gate trusts them (its simulated office, and its guard, sign with
them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from terminal.codes.healthcode import public_key_text, simulator_command_key, simulator_issuer_key
from terminal.config import ConfigError
from tests.conftest import make_config

PARK = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def one_line(key: Ed25519PublicKey) -> str:
    return public_key_text(key)


def one_line_other_last_character(key: Ed25519PublicKey) -> str:
    """The same key bytes, spelt with another last base64 character before its ``=`` (the two
    bits it carries past the key's 44 bytes are ignored by a base64 decoder)."""
    text = public_key_text(key)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(text[-2])
    return text[:-2] + alphabet[last ^ 0b01] + "="


def pem(key: Ed25519PublicKey) -> str:
    data = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode("ascii")


def pem_crlf(key: Ed25519PublicKey) -> str:
    return pem(key).replace("\n", "\r\n")


def pem_indented(key: Ed25519PublicKey) -> str:
    """As pasted into a TOML multi-line string under an indented table."""
    return "\n" + "".join(f"    {line}  \n" for line in pem(key).splitlines()) + "  "


SPELLINGS: list[Callable[[Ed25519PublicKey], str]] = [
    one_line,
    one_line_other_last_character,
    pem,
    pem_crlf,
    pem_indented,
]
KEYS = {
    "issuer key": simulator_issuer_key().public_key(),
    "command key": simulator_command_key().public_key(),
}


def sections(role: str, public_key: str) -> dict[str, dict]:
    """A real gate's config trusting ``public_key`` in ``role``, and the park's own key where a
    gate must trust one."""
    park = public_key_text(PARK.public_key())
    issuers = [{"key_id": "park-2026", "public_key": park}]
    entry = {"key_id": "published", "public_key": public_key}
    if role == "healthcode.issuers":
        return {"healthcode": {"issuers": [*issuers, entry]}}
    if role == "vehicles.permit_issuers":
        return {"healthcode": {"issuers": issuers}, "vehicles": {"permit_issuers": [entry]}}
    return {"healthcode": {"issuers": issuers}, "commands": {"keys": [entry]}}


ROLES = {
    "healthcode.issuers": ("healthcode.issuers[1]", "make health codes"),
    "vehicles.permit_issuers": ("vehicles.permit_issuers[0]", "make permits"),
    "commands.keys": ("commands.keys[0]", "send commands"),
}


@pytest.mark.parametrize("spelling", SPELLINGS, ids=lambda spelling: spelling.__name__)
@pytest.mark.parametrize("which", list(KEYS))
@pytest.mark.parametrize("role", list(ROLES))
def test_a_real_gate_refuses_a_published_key_in_every_role_and_spelling(
    tmp_path: Path, role: str, which: str, spelling: Callable[[Ed25519PublicKey], str]
) -> None:
    text = spelling(KEYS[which])
    where, power = ROLES[role]
    with pytest.raises(ConfigError) as refused:
        make_config(tmp_path, gate={"hardware": "pi"}, **sections(role, text))
    message = str(refused.value)
    assert message == (
        f"{tmp_path / 'test.toml'}: {where}.public_key: the simulator's {which}: its private key "
        f"is published, so anyone could {power}; a real gate never trusts it"
    )
    assert "\n" not in message and "-----" not in message  # one line; the key's text not echoed


@pytest.mark.parametrize("spelling", SPELLINGS, ids=lambda spelling: spelling.__name__)
@pytest.mark.parametrize("role", list(ROLES))
def test_a_simulated_gate_trusts_them_and_a_real_gate_its_parks_own_key(
    tmp_path: Path, role: str, spelling: Callable[[Ed25519PublicKey], str]
) -> None:
    make_config(tmp_path, **sections(role, spelling(KEYS["issuer key"])))
    make_config(tmp_path, gate={"hardware": "pi"}, **sections(role, spelling(PARK.public_key())))


def test_every_published_key_in_a_config_is_named_at_once(tmp_path: Path) -> None:
    issuer, command = (public_key_text(key) for key in KEYS.values())
    trusted = sections("healthcode.issuers", pem(KEYS["command key"]))
    trusted["commands"] = {"keys": [{"key_id": "sim-centre", "public_key": issuer}]}
    trusted["vehicles"] = {"permit_issuers": [{"key_id": "sim", "public_key": command}]}
    with pytest.raises(ConfigError) as refused:
        make_config(tmp_path, gate={"hardware": "pi"}, **trusted)
    named = re.findall(
        r"([a-z_.]+\[\d\])\.public_key: the simulator's (\w+ key)", str(refused.value)
    )
    assert named == [
        ("healthcode.issuers[1]", "command key"),
        ("vehicles.permit_issuers[0]", "command key"),
        ("commands.keys[0]", "issuer key"),
    ]
