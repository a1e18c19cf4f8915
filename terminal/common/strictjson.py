"""JSON that comes from outside the gate (a command, a zone peer's passage or status), parsed so
that whatever the bytes hold ends as a value or as one :class:`JsonRefused` with a one-line
reason, never as an exception of the parser's own limits.

Python's parser alone lets through, or fails oddly on: an integer of more than 4300 digits
(ValueError from the int conversion limit), ``NaN``, ``Infinity`` and ``1e999`` (floats no
JSON allows, which then pass every ``gt=0`` bound), nesting deep enough for a RecursionError,
lone surrogates such as ``"\\ud800"`` (text that cannot be written back as UTF-8, so the record
or a signature check fails on it later), and a key given twice (the last one silently wins,
so two readers may see two different objects).
"""

from __future__ import annotations

import json
import math
from typing import Any

from terminal.common.errors import GateError

MAX_DEPTH = 32  # the gate's messages nest a few levels; far more is no message of the contract
MAX_NUMBER_CHARS = 40  # a time, a count or a reading: never more than this many characters


class JsonRefused(GateError, ValueError):
    """Why the bytes are not JSON the gate takes, in one line (never quoting them)."""


def loads(raw: bytes) -> Any:
    """The value ``raw`` holds, or :class:`JsonRefused`; no other exception."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            parse_int=_integer,
            parse_float=_decimal,
            parse_constant=_no_constant,
            object_pairs_hook=_object,
        )
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"not JSON ({exc.msg} at character {exc.pos})") from None
    _check_tree(value)
    return value


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number of more than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _decimal(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number of more than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):  # 1e999: a float beyond its range is infinity
        raise JsonRefused("a number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise JsonRefused("an object gives a key twice")
    return value


def _check_tree(value: Any) -> None:
    """No deeper than MAX_DEPTH, and every text (keys too) encodable as UTF-8. Walked without
    recursion, so that the walk itself cannot run out of stack."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, str) and not _encodable(item):
                raise JsonRefused("a text holds a lone surrogate (\\ud800 to \\udfff), no UTF-8")
            continue
        if depth >= MAX_DEPTH:
            raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in children)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
