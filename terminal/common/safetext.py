"""Text from outside (roster names, config texts, command fields): refused when it could forge
what a screen or a terminal shows, and escaped wherever it is printed.

Control characters (a newline forges a log or table line, ESC clears a terminal), Unicode's
format characters (bidirectional marks reorder what is shown) and separators other than the
plain space are never part of a name or a place, so they are refused where text comes in.
"""

from __future__ import annotations

import unicodedata

# Cc: controls (incl. newline, ESC, DEL); Cf: format (bidi marks, zero-width); Zl, Zp: line and
# paragraph separators; Cs: lone surrogates. Private-use and not-yet-assigned characters are let
# through: rare characters of Chinese names live there in some fonts and input methods.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` that a name or a place must not hold, as U+XXXX, or None."""
    for char in text:
        if unicodedata.category(char) in _REFUSED_CATEGORIES or (
            unicodedata.category(char) == "Zs" and char != " "
        ):
            return f"U+{ord(char):04X}"
    return None


def check_plain_text(text: str, what: str) -> str:
    """``text`` unchanged, or ValueError naming ``what`` and the character refused."""
    bad = unsafe_character(text)
    if bad is not None:
        raise ValueError(f"{what} holds a control or formatting character ({bad})")
    return text


def printable(text: str) -> str:
    """``text`` safe to print on a terminal or in a log line: every refused character as \\uXXXX."""
    if unsafe_character(text) is None:
        return text
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES or (category == "Zs" and char != " "):
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)
