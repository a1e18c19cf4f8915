"""Health codes as the gate reads them from a QR code.

Payload: ``HC1|<person_id>|<colour>|<issued_at unix seconds>|<tag>`` where the tag is the first
16 hex digits of HMAC-SHA256 over everything before it, keyed with the park's issuing key. The tag
is what stops a worker printing a green code for themselves; the issue time is what stops an old
screenshot being shown after the colour changed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "HC1"
TAG_HEX_DIGITS = 16
CLOCK_SKEW_S = 300  # a phone's clock may run a few minutes ahead of the gate's


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class HealthCode:
    person_id: str
    colour: Colour
    issued_at: float


class InvalidHealthCode(ValueError):
    """A QR code that is not a valid health code: foreign, forged or expired."""


def _tag(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:TAG_HEX_DIGITS]


def issue(key: bytes, person_id: str, colour: Colour | str, issued_at: float) -> str:
    """The QR payload for a health code (the issuing side; the simulator and tests use it)."""
    if "|" in person_id or not person_id:
        raise ValueError(f"person id {person_id!r} must be non-empty and contain no '|'")
    body = f"{PREFIX}|{person_id}|{Colour(colour).value}|{int(issued_at)}"
    return f"{body}|{_tag(key, body)}"


def verify(payload: str, key: bytes, now: float, max_age_s: float) -> HealthCode:
    parts = payload.split("|")
    if len(parts) != 5 or parts[0] != PREFIX:
        raise InvalidHealthCode("not a health code")
    _, person_id, colour, issued, tag = parts
    body = payload[: payload.rfind("|")]
    if not hmac.compare_digest(tag, _tag(key, body)):
        raise InvalidHealthCode("tag does not match: forged or for another park")
    try:
        code = HealthCode(person_id, Colour(colour), float(int(issued)))
    except ValueError as exc:
        raise InvalidHealthCode(f"malformed field: {exc}") from None
    if code.issued_at > now + CLOCK_SKEW_S:
        raise InvalidHealthCode("issued in the future")
    if now - code.issued_at > max_age_s:
        raise InvalidHealthCode("expired")
    return code
