"""Mentions of a person in stored text: their id (or another identifier of theirs, a code's
fingerprint) as a whole word, never inside a longer one; in a JSON value, only in its strings
(its numbers and keys are never a person). What the gate's record and the centre's store both
use to find a person's rows and to put a pseudonym in their place."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

# a person id's characters (the contract's PERSON): a mention is the id not inside a longer word
_WORD = "A-Za-z0-9._-"
# the columns and message fields that say whose a row or a message is
OWNER_KEYS = ("person_id", "driver")
# what a person's copy of their data says in place of anybody else
ANOTHER_PERSON = "(another person)"


def ascii_lower(text: str) -> str:
    """As SQL's lower() reads an id (A-Z only: the same on SQLite and PostgreSQL)."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def same_person(value: object, person_id: str, ignore_case: bool) -> bool:
    """Whether ``value`` names ``person_id`` (in any case of its ASCII letters if asked)."""
    if not isinstance(value, str):
        return False
    return ascii_lower(value) == ascii_lower(person_id) if ignore_case else value == person_id


class Mentions:
    """Whole-word mentions of a set of words (an id, fingerprints) in a column's text;
    ``ignore_case``: in any case of their ASCII letters (the centre matches a person id so, as
    its search does: by the contract an id is ASCII)."""

    def __init__(self, words: Iterable[str], ignore_case: bool = False) -> None:
        self.words = sorted({w for w in words if w}, key=len, reverse=True)
        self.ignore_case = ignore_case
        alternatives = "|".join(re.escape(w) for w in self.words) or r"(?!)"
        # ASCII: a Kelvin sign or a long s is never read as a K or an s of an id
        flags = re.IGNORECASE | re.ASCII if ignore_case else 0
        self._pattern = re.compile(f"(?<![{_WORD}])(?:{alternatives})(?![{_WORD}])", flags)

    def found_in(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        parsed = _json_of(value)
        if parsed is not None:
            return any(self._pattern.search(text) for text in _strings(parsed))
        return self._pattern.search(value) is not None

    def replaced(self, value: str, pseudonym: str) -> str:
        """The text with every mention replaced by ``pseudonym`` (a JSON column's strings only:
        its numbers and keys are never a person)."""
        parsed = _json_of(value)
        if parsed is None:
            return self._pattern.sub(pseudonym, value)
        swapped = _map_strings(parsed, lambda text: self._pattern.sub(pseudonym, text))
        return json.dumps(swapped, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _json_of(value: str) -> Any:
    if not value.startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _strings(data: Any) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for item in data.values():
            yield from _strings(item)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _map_strings(data: Any, change: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return change(data)
    if isinstance(data, dict):
        return {key: _map_strings(item, change) for key, item in data.items()}
    if isinstance(data, list):
        return [_map_strings(item, change) for item in data]
    return data


def others_masked(value: Any, person_id: str, ignore_case: bool = False) -> Any:
    """``value`` (a column's value) with anybody but ``person_id`` named as a row's or a
    message's person or driver written :data:`ANOTHER_PERSON` (in a JSON value, at any depth):
    a person's copy of their data is not a copy of anybody else's."""
    if not isinstance(value, str):
        return value
    parsed = _json_of(value)
    if parsed is None:
        return value
    masked = _others_masked(parsed, person_id, ignore_case)
    if masked == parsed:
        return value
    return json.dumps(masked, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def owner_masked(row: dict[str, Any], person_id: str, ignore_case: bool = False) -> dict[str, Any]:
    """A row with its person or driver, when another's, and its JSON values masked."""
    return _owners_masked(
        row, person_id, ignore_case, lambda value: others_masked(value, person_id, ignore_case)
    )


def _owners_masked(
    data: dict[str, Any], person_id: str, ignore_case: bool, rest: Callable[[Any], Any]
) -> dict[str, Any]:
    """``data`` with its person or driver, when another's, written :data:`ANOTHER_PERSON`, and
    ``rest`` of each of its other values."""
    return {
        key: ANOTHER_PERSON
        if key in OWNER_KEYS
        and isinstance(value, str)
        and not same_person(value, person_id, ignore_case)
        else rest(value)
        for key, value in data.items()
    }


def _others_masked(data: Any, person_id: str, ignore_case: bool) -> Any:
    if isinstance(data, dict):
        return _owners_masked(
            data, person_id, ignore_case, lambda item: _others_masked(item, person_id, ignore_case)
        )
    if isinstance(data, list):
        return [_others_masked(item, person_id, ignore_case) for item in data]
    return data
