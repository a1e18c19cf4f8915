"""The screening's judgement of a reading, taken once the code says whose forehead it was.

The check measures first (the code is read meanwhile), then asks the screening to judge the
reading against that person: their own baseline, or the stage after a rest. This module is the
one place the lane reaches for that judgement: ``Screener.judge`` and ``RestTaken`` where the
screening provides them; otherwise the reading as measured (a screening that judges inside
``measure`` has judged it already).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from terminal.rules.policy import Temperature


@dataclass(frozen=True)
class _RestTaken:
    """The first reading of a person told to rest, and when they were told."""

    first_object_c: float
    first_ambient_c: float
    told_at_s: float


def _rest_taken_type() -> Callable[..., Any]:
    try:
        module = importlib.import_module("terminal.screening.judge")
    except ImportError:
        return _RestTaken
    made: Callable[..., Any] = getattr(module, "RestTaken", _RestTaken)
    return made


RestTaken = _rest_taken_type()


def rest_taken(first_object_c: float, first_ambient_c: float, told_at_s: float) -> Any:
    """The screening's RestTaken for a person back from their rest."""
    return RestTaken(first_object_c, first_ambient_c, told_at_s)


def judge(
    screener: object, measured: Temperature, person_id: str | None, rested: Any
) -> Temperature:
    """``measured`` judged for ``person_id`` (``rested``: a RestTaken, or None for a first
    reading)."""
    judged: Callable[..., Temperature] | None = getattr(screener, "judge", None)
    if judged is None:
        return measured
    return judged(measured, person_id, rested)


def estimated_catch(screener: object) -> float | None:
    """What the screening's own model says its rule catches at today's load, when it says."""
    estimate: Callable[[], float | None] | None = getattr(screener, "estimated_catch", None)
    return None if estimate is None else estimate()
