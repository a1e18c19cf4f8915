"""Other spellings of one health code: what a decoder must read as the same code."""

from __future__ import annotations

import base64

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def other_spellings(text: str) -> list[str]:
    """Every other base64url text a lenient decoder reads as the same bytes as ``text`` (without
    padding): its last character with other values in the bits past the last whole byte."""
    spare_bits = len(text) * 6 % 8
    last = BASE64URL.index(text[-1])
    others = {BASE64URL[(last & ~((1 << spare_bits) - 1)) | low] for low in range(1 << spare_bits)}
    respelt = [text[:-1] + char for char in sorted(others - {text[-1]})]
    for other in respelt:  # the same bytes to a decoder that ignores those bits
        assert base64.urlsafe_b64decode(other + "==") == base64.urlsafe_b64decode(text + "==")
    return respelt
