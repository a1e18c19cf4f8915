"""Signed health codes, as the park's health office issues them and the gate checks them.

A code is one line of text in a QR code (docs/health-codes.md says it field by field)::

    HC2|<key id>|<person id>|<colour>|<issued at>|<valid until>|<signature>

The signature is Ed25519, by the issuer's private key, over the UTF-8 bytes of everything before
the last ``|``. A gate holds only the issuers' public keys, so reading a gate's SD card gives
nobody the power to make codes; the key id says which issuer signed, so a park can rotate keys and
trust several issuers at once.

Every way a payload can be wrong is a :class:`CodeRejected` with its own :class:`CodeProblem`, and
nothing else: whatever a camera reads, verification answers with a code or a reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from terminal.common.errors import GateError
from terminal.common.ids import PERSON_ID, PERSON_ID_RULE

PREFIX = "HC2"
SEPARATOR = "|"
FIELDS = 7
SIGNATURE_BYTES = 64
SIGNATURE_CHARS = 86  # base64url of 64 bytes, without padding
KEY_ID_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
KEY_ID = re.compile(KEY_ID_PATTERN)
# unix seconds in plain decimal digits: a 400-digit "time" is malformed, not an overflow
SECONDS = re.compile(r"^[0-9]{1,11}$")
SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{86}$")
# unpadded base64url: a length of 4n+1 characters spells no whole byte
BASE64URL = re.compile(r"^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$")
# the longest payload the format allows; it must fit QR version 10 at error correction M
MAX_PAYLOAD_CHARS = 213


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


_COLOURS = frozenset(c.value for c in Colour)


class CodeProblem(StrEnum):
    """Why a QR code is not a health code the gate can believe. Each is a denial reason."""

    MALFORMED = "code_malformed"  # not a health code, or one whose fields do not parse
    UNKNOWN_ISSUER = "code_unknown_issuer"  # signed under a key id this gate does not trust
    BAD_SIGNATURE = "code_bad_signature"  # forged, or changed after signing
    EXPIRED = "code_expired"  # past its valid-until, or older than the gate allows
    NOT_YET_VALID = "code_not_yet_valid"  # issued in the future beyond the clock-skew allowance


class CodeRejected(GateError):
    def __init__(self, problem: CodeProblem, detail: str) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail  # never contains the payload: it may identify a person


@dataclass(frozen=True)
class HealthCode:
    person_id: str
    colour: Colour
    issued_at_s: float
    valid_until_s: float
    issuer: str  # the scheme and key id it was verified under, e.g. "HC2/park-2026a"
    fingerprint: str  # SHA-256 of the payload: the record keeps this, never the payload


def fingerprint(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


class CodeVerifier(Protocol):
    """One scheme of health code (this park's signed codes; later, for example, the EU DCC)."""

    def claims(self, payload: str) -> bool:
        """Is this payload meant for this scheme (by its prefix)? Cheap and never raises."""
        ...

    def verify(self, payload: str, now_s: float) -> HealthCode:
        """The code, or :class:`CodeRejected`; never any other exception."""
        ...


class Verifiers:
    """The schemes a gate accepts, each asked in turn whether a payload is its own."""

    def __init__(self, schemes: Sequence[CodeVerifier]) -> None:
        self._schemes = list(schemes)

    def verify(self, payload: str, now_s: float) -> HealthCode:
        for scheme in self._schemes:
            if scheme.claims(payload):
                return scheme.verify(payload, now_s)
        raise CodeRejected(CodeProblem.MALFORMED, "not a health code of any accepted scheme")


# --- keys ---------------------------------------------------------------------------------------
class KeyProblem(GateError, ValueError):
    """A key that cannot be used where it was given (the message says why, without the key)."""


def _der_or_pem(text: str) -> tuple[bytes, bool]:
    """(DER bytes, was PEM) of a key given as a PEM block or as its base64 body on one line."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        return stripped.encode("ascii", "replace"), True
    try:
        return base64.b64decode("".join(stripped.split()), validate=True), False
    except (binascii.Error, ValueError):
        raise KeyProblem("not a key: expected a PEM block or its base64 body") from None


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An issuer's public key from config. A private key is refused: a gate must not hold one."""
    if "PRIVATE KEY" in text:
        raise KeyProblem(
            "this is a private key: a gate holds only the issuer's public key "
            "(the .pub file from `gate-terminal codes keygen`); keep the private key at the "
            "health office"
        )
    data, pem = _der_or_pem(text)
    load_public = serialization.load_pem_public_key if pem else serialization.load_der_public_key
    try:
        key = load_public(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if not pem:
            try:
                serialization.load_der_private_key(data, password=None)
            except (ValueError, TypeError, UnsupportedAlgorithm):
                pass
            else:
                raise KeyProblem(
                    "this is a private key: a gate holds only the issuer's public key; keep the "
                    "private key at the health office"
                ) from None
        raise KeyProblem("not an Ed25519 public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem("not an Ed25519 public key")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    """The one-line form for a gate's config: the base64 body of the PEM public key."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def load_private_key(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyProblem(
            "not a PEM private key (make one with `gate-terminal codes keygen`)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem("not an Ed25519 private key")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# the simulator's issuer: its private key is derived from a published seed, so anyone can make codes
# with it; configs refuse to trust it on real hardware
SIMULATOR_KEY_ID = "sim"
_SIMULATOR_SEED = hashlib.sha256(b"gate-terminal simulator issuer; never trust on a real gate")


def simulator_issuer_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_SIMULATOR_SEED.digest())


# the simulator's operations centre (its guard's commands): a published seed too, refused alike
SIMULATOR_COMMAND_KEY_ID = "sim-centre"
_SIMULATOR_COMMAND_SEED = hashlib.sha256(
    b"gate-terminal simulator command key; never trust on a real gate"
)


def simulator_command_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_SIMULATOR_COMMAND_SEED.digest())


def published_simulator_key(key: Ed25519PublicKey) -> str | None:
    """Which of the simulator's published keys ``key`` is ("issuer key", "command key"), or None.
    Compared by the key's raw bytes: a key's text has many spellings (PEM or one line, any line
    ends and indentation, alternative last base64 characters), its bytes only one."""
    raw = key.public_bytes_raw()
    for name, private in (
        ("issuer key", simulator_issuer_key),
        ("command key", simulator_command_key),
    ):
        if private().public_key().public_bytes_raw() == raw:
            return name
    return None


# --- the issuing side ---------------------------------------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_text(key: Ed25519PrivateKey, body: bytes) -> str:
    """The Ed25519 signature of ``body`` as a payload carries it (base64url, no padding)."""
    return _b64url(key.sign(body))


def b64url_bytes(text: str) -> bytes:
    """The bytes ``text`` spells in base64url without padding, only when it is their one
    spelling: a decoder ignores the unused low bits of the last character (so 16 texts give the
    same 64-byte signature), and a lenient one skips padding, spaces and the other alphabet's
    characters. Re-encoding the bytes must give back ``text`` exactly. ValueError otherwise."""
    if not BASE64URL.fullmatch(text):
        raise ValueError("not base64url (letters, digits, - and _ only, no padding)")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64url(data) != text:
        raise ValueError("not the canonical base64url of its bytes")
    return data


def signature_verifies(key: Ed25519PublicKey, signature: str, body: bytes) -> bool:
    """Does a signature as a payload carries it verify ``body`` under ``key``? Never raises."""
    try:
        key.verify(b64url_bytes(signature), body)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def issue(
    key: Ed25519PrivateKey,
    key_id: str,
    person_id: str,
    colour: Colour | str,
    issued_at_s: float,
    valid_until_s: float,
) -> str:
    """The QR payload of a signed health code (the health office's side; the simulator too)."""
    if not KEY_ID.fullmatch(key_id):
        raise ValueError(f"key id {key_id!r} must match {KEY_ID_PATTERN}")
    if not PERSON_ID.fullmatch(person_id):
        raise ValueError(f"person id {person_id!r} is not an id: an id is {PERSON_ID_RULE}")
    issued, until = int(issued_at_s), int(valid_until_s)
    if not 0 <= issued < until < 10**11:
        raise ValueError("a code must be valid from its issue time to a later time")
    body = SEPARATOR.join(
        [PREFIX, key_id, person_id, Colour(colour).value, str(issued), str(until)]
    )
    return f"{body}{SEPARATOR}{sign_text(key, body.encode('ascii'))}"


# --- the gate's side ----------------------------------------------------------------------------
FieldCheck = tuple[str, Callable[[str], object]]  # a field's name, and whether it is well-formed


def split_signed(
    payload: str, prefix: str, checks: Sequence[FieldCheck], max_chars: int
) -> list[str]:
    """The fields of a signed one-line payload (health code, vehicle permit): its prefix, one
    field for each of ``checks``, its signature. ValueError naming what is malformed."""
    if len(payload) > max_chars or not payload.isascii():
        raise ValueError("not a payload of this format (length, text)")
    fields = payload.split(SEPARATOR)
    if len(fields) != len(checks) + 2 or fields[0] != prefix:
        raise ValueError(f"expected {len(checks) + 2} fields")
    for (name, well_formed), field in zip(checks, fields[1:], strict=False):
        if not well_formed(field):
            raise ValueError(f"{name} is malformed")
    if not SIGNATURE.fullmatch(fields[-1]):
        raise ValueError("signature is malformed")
    try:
        b64url_bytes(fields[-1])  # one spelling per signature: a code has one fingerprint
    except ValueError:
        raise ValueError("signature is malformed (not its canonical spelling)") from None
    return fields


# the fields of a health code between its prefix and its signature
_CODE_FIELDS: list[FieldCheck] = [
    ("key id", KEY_ID.fullmatch),
    ("person id", PERSON_ID.fullmatch),
    ("colour", _COLOURS.__contains__),
    ("issued at", SECONDS.fullmatch),
    ("valid until", SECONDS.fullmatch),
]


@dataclass(frozen=True)
class SignedCodeRules:
    max_age_s: float  # however long the issuer made it valid, a gate takes no older code
    clock_skew_s: float  # a phone or the issuing server may run this far ahead of the gate


class SignedCodeVerifier:
    """This park's own signed codes (``HC2|...``)."""

    def __init__(self, issuers: Mapping[str, Ed25519PublicKey], rules: SignedCodeRules) -> None:
        self._issuers = dict(issuers)
        self._rules = rules

    def claims(self, payload: str) -> bool:
        return payload.startswith(PREFIX + SEPARATOR)

    def verify(self, payload: str, now_s: float) -> HealthCode:
        fields = self._fields(payload)
        _, key_id, person_id, colour, issued, until, signature = fields
        key = self._issuers.get(key_id)
        if key is None:
            raise CodeRejected(CodeProblem.UNKNOWN_ISSUER, "signed under a key id not configured")
        body = payload[: payload.rfind(SEPARATOR)].encode("ascii")
        if not signature_verifies(key, signature, body):
            raise CodeRejected(CodeProblem.BAD_SIGNATURE, "signature does not verify")
        issued_s, until_s = float(issued), float(until)
        if issued_s > now_s + self._rules.clock_skew_s:
            raise CodeRejected(CodeProblem.NOT_YET_VALID, "issued later than the gate's time")
        if now_s > until_s:
            raise CodeRejected(CodeProblem.EXPIRED, "past its valid-until time")
        if now_s - issued_s > self._rules.max_age_s:
            raise CodeRejected(CodeProblem.EXPIRED, "older than this gate accepts")
        return HealthCode(
            person_id=person_id,
            colour=Colour(colour),
            issued_at_s=issued_s,
            valid_until_s=until_s,
            issuer=f"{PREFIX}/{key_id}",
            fingerprint=fingerprint(payload),
        )

    @staticmethod
    def _fields(payload: str) -> list[str]:
        try:
            return split_signed(payload, PREFIX, _CODE_FIELDS, MAX_PAYLOAD_CHARS)
        except ValueError as exc:
            raise CodeRejected(CodeProblem.MALFORMED, str(exc)) from None
