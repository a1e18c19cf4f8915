"""A screening whose judgement the test sets: the gate's rest and re-screen, its records and its
messages are tested apart from the estimator (tests/test_screening.py holds that to its figures).

The judge keeps the measurement as taken (the thermometer, the distance, faults) and says, from
the screened reading alone: at or above ``GUARD_C`` the guard at once; at or above ``REST_C``
rest (a first reading) or the guard (after a rest); below, pass."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from simulator.rig import Rig
from terminal.devices import Devices
from terminal.rules.policy import Temperature

REST_C = 34.6  # screened readings at 19 °C: 33.8 is plainly normal
GUARD_C = 35.5


@dataclass
class ScriptedJudge:
    calls: list[tuple[str | None, Any]] = field(default_factory=list)

    def __call__(
        self, measured: Temperature, person_id: str | None, rested: Any, *, learn: bool = True
    ) -> Temperature:
        self.calls.append((person_id, rested))
        object_c = measured.object_c
        assert object_c is not None
        if object_c >= GUARD_C:
            verdict = "guard"
        elif object_c >= REST_C:
            verdict = "guard" if rested is not None else "rest"
        else:
            verdict = "pass"
        return dataclasses.replace(
            measured,
            first_c=round(36.8 + (object_c - 33.8) / 0.8, 2),
            verdict=verdict,  # type: ignore[arg-type]
            stage="rested" if rested is not None else "first",
            mode="crowd",
            reference_c=33.8,
            threshold_c=REST_C if rested is None else GUARD_C,
            why=f"screened {object_c:.2f} against {REST_C:.2f} (the crowd)",
        )


def scripted(screener: object) -> ScriptedJudge:
    """Give the gate's screener a scripted judgement; the calls it is asked."""
    judge = ScriptedJudge()
    screener.judge = judge  # type: ignore[attr-defined]
    return judge


def devices_telling(rig: Rig, told: list[str]) -> Devices:
    """The rig's devices, whose display device's words for the person (``rest``,
    ``staff_admitted:<id>``) are kept in ``told`` and not acted on by the simulated crowd (the
    test walks them back itself); the measuring states reach the crowd as ever."""
    devices = rig.devices()
    world = devices.display

    def display(what: str) -> None:
        if what == "rest" or what.startswith("staff_admitted:"):
            told.append(what)
            return
        if world is not None:
            world(what)

    return dataclasses.replace(devices, display=display)
