"""Signed vehicle permits, as the park's permit office issues them and a vehicle gate checks them.

A permit is one line of ASCII text in a QR code, shown to the gate's camera after the driver's
own check::

    VP1|<key id>|<plate>|<driver>|<valid until>|<purpose>|<signature>

The plate and the purpose are percent-encoded UTF-8 (a plate begins with a Chinese character; a
purpose is free text), so that the payload stays ASCII and no field can hold a ``|``. The driver
is a person id, or empty for a permit any screened driver may bring. The signature is Ed25519,
by the permit office's private key, over the UTF-8 bytes of everything before the last ``|``,
exactly as a health code's (terminal/codes/healthcode.py): a gate holds only the public keys, listed
under ``[[vehicles.permit_issuers]]``.

Every way a payload can be wrong is a :class:`PermitRefused` with its own problem, and nothing
else: whatever a camera reads, verification answers with a permit or a reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, unquote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from terminal.codes.healthcode import (
    KEY_ID,
    KEY_ID_PATTERN,
    SECONDS,
    FieldCheck,
    sign_text,
    signature_verifies,
    split_signed,
)
from terminal.codes.plates import normalise_plate
from terminal.common.errors import GateError
from terminal.common.ids import PERSON_ID, PERSON_ID_RULE

PREFIX = "VP1"
SEPARATOR = "|"
MAX_PURPOSE_CHARS = 80
# a purpose of 80 Chinese characters, percent-encoded, with the other fields: fits QR version 20
MAX_PAYLOAD_CHARS = 1000


class PermitProblem(StrEnum):
    """Why a QR code is not a vehicle permit the gate can believe. Each is a vehicle's reason."""

    MALFORMED = "permit_malformed"  # fields that do not parse, or a plate that is none
    UNKNOWN_ISSUER = "permit_unknown_issuer"  # signed under a key id this gate does not list
    BAD_SIGNATURE = "permit_bad_signature"  # forged, or changed after signing
    EXPIRED = "permit_expired"  # past its valid-until time


class PermitRefused(GateError):
    def __init__(self, problem: PermitProblem, detail: str) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail  # never the payload


@dataclass(frozen=True)
class VehiclePermit:
    plate: str  # as terminal/codes/plates.py records it
    driver: str | None  # the only driver it admits; None: any screened driver
    purpose: str
    valid_until_s: float
    issuer: str  # e.g. "VP1/fleet-2026"
    fingerprint: str  # SHA-256 of the payload


def claims(payload: str) -> bool:
    """Is this text meant to be a vehicle permit (by its prefix)? Cheap and never raises."""
    return payload.startswith(PREFIX + SEPARATOR)


def issue_permit(
    key: Ed25519PrivateKey,
    key_id: str,
    *,
    plate: str,
    purpose: str,
    valid_until_s: float,
    driver: str | None = None,
) -> str:
    """The QR payload of a signed permit (the permit office's side; the tests' too)."""
    if not KEY_ID.fullmatch(key_id):
        raise ValueError(f"key id {key_id!r} must match {KEY_ID_PATTERN}")
    if driver is not None and not PERSON_ID.fullmatch(driver):
        raise ValueError(f"driver {driver!r} is not an id: an id is {PERSON_ID_RULE}")
    if not 0 < len(purpose) <= MAX_PURPOSE_CHARS:
        raise ValueError(f"a purpose is 1 to {MAX_PURPOSE_CHARS} characters")
    until = int(valid_until_s)
    if not 0 < until < 10**11:
        raise ValueError("valid until: not a time")
    fields = [
        PREFIX,
        key_id,
        quote(_plate(plate), safe=""),
        driver or "",
        str(until),
        quote(purpose, safe=""),
    ]
    body = SEPARATOR.join(fields)
    return f"{body}{SEPARATOR}{sign_text(key, body.encode('ascii'))}"


# the fields between the prefix and the signature; the plate's and the purpose's text is checked
# once the signature says the issuer wrote them
_PERMIT_FIELDS: list[FieldCheck] = [
    ("key id", KEY_ID.fullmatch),
    ("plate", bool),
    ("driver", lambda text: not text or PERSON_ID.fullmatch(text)),
    ("valid until", SECONDS.fullmatch),
    ("purpose", bool),
]


class PermitVerifier:
    def __init__(self, issuers: Mapping[str, Ed25519PublicKey]) -> None:
        self._issuers = dict(issuers)

    def verify(self, payload: str, now_s: float) -> VehiclePermit:
        """The permit, or :class:`PermitRefused`; never any other exception."""
        try:
            fields = split_signed(payload, PREFIX, _PERMIT_FIELDS, MAX_PAYLOAD_CHARS)
        except ValueError as exc:
            raise PermitRefused(PermitProblem.MALFORMED, str(exc)) from None
        _, key_id, plate_text, driver, until, purpose_text, signature = fields
        key = self._issuers.get(key_id)
        if key is None:
            raise PermitRefused(PermitProblem.UNKNOWN_ISSUER, "signed under a key id not listed")
        body = payload[: payload.rfind(SEPARATOR)].encode("ascii")
        if not signature_verifies(key, signature, body):
            raise PermitRefused(PermitProblem.BAD_SIGNATURE, "signature does not verify")
        # signed, so its issuer wrote these: a wrong one is the issuer's mistake, refused alike
        plate, purpose = _text(plate_text, "plate"), _text(purpose_text, "purpose")
        try:
            plate = normalise_plate(plate)
        except ValueError:
            raise PermitRefused(PermitProblem.MALFORMED, "plate is not a licence plate") from None
        if not 0 < len(purpose) <= MAX_PURPOSE_CHARS or not purpose.isprintable():
            raise PermitRefused(PermitProblem.MALFORMED, "purpose is malformed")
        if now_s > float(until):
            raise PermitRefused(PermitProblem.EXPIRED, "past its valid-until time")
        return VehiclePermit(
            plate=plate,
            driver=driver or None,
            purpose=purpose,
            valid_until_s=float(until),
            issuer=f"{PREFIX}/{key_id}",
            fingerprint=hashlib.sha256(payload.encode("ascii")).hexdigest(),
        )


def _text(field: str, name: str) -> str:
    try:
        return unquote(field, errors="strict")
    except UnicodeDecodeError:
        raise PermitRefused(PermitProblem.MALFORMED, f"{name} is not UTF-8") from None


def _plate(text: str) -> str:
    try:
        return normalise_plate(text)
    except ValueError as exc:
        raise ValueError(f"plate: {exc}") from None
