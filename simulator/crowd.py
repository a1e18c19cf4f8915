"""Who comes to the gate: a random morning crowd, or a planned one read from a scenario CSV."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from simulator.mlx90614 import Fault as SensorFault
from terminal.csvfile import CsvFileError, read_table

CodeShown = Literal["green", "yellow", "red", "unreadable", "none"]
CODES_SHOWN: tuple[str, ...] = get_args(CodeShown)
SCENARIO_HEADER = ["person_id", "arrival_s", "core_c", "ambient_c", "code"]
# optional: what the thermometer sees once they stand where the gate asks (skips the forehead
# model), where they first stand, the forehead model's inputs, and the thermometer misbehaving
# while they are in front (nack, bad_pec, error_flag, stuck)
SCENARIO_OPTIONAL = ["object_c", "distance_cm", "minutes_inside", "outside_c", "sensor_fault"]
SENSOR_FAULTS: tuple[str, ...] = get_args(SensorFault)


@dataclass(frozen=True)
class SimPerson:
    person_id: str
    arrival_s: float  # seconds after the shift's start
    core_c: float
    ambient_c: float
    code: CodeShown
    registered: bool = True
    in_shift: bool = True  # arrives inside the shift window the roster gives them
    dark_mode: bool = False  # the phone shows the code light-on-dark
    code_after_s: float = 0.5  # from stepping up to holding the code to the camera
    leaves_phone: bool = (
        False  # walks on and leaves the phone, code showing, in front of the camera
    )
    sensor_fault: SensorFault | None = (
        None  # the thermometer misbehaves while this person is in front
    )
    # where they first stand, in front of the distance sensor; they come closer when asked
    distance_cm: float = 30.0
    # the forehead: either what the thermometer sees once they stand where the gate asks (the
    # forehead model skipped), or the model's inputs (None: drawn from the model)
    object_c: float | None = None
    minutes_inside: float | None = None
    outside_c: float | None = None


@dataclass(frozen=True)
class CrowdMix:
    """Shares of a random crowd. The rest show a green code with a normal temperature."""

    arrival_window_s: float = 900.0
    fever: float = 0.02
    yellow: float = 0.02
    red: float = 0.01
    unreadable: float = 0.02
    no_code: float = 0.02
    unregistered: float = 0.02
    outside_shift: float = 0.01
    dark_mode: float = 0.3
    sensor_fault: float = 0.01


def random_crowd(workers: int, seed: int, mix: CrowdMix | None = None) -> list[SimPerson]:
    mix = mix or CrowdMix()
    rng = random.Random(seed)
    arrivals = sorted(rng.uniform(0, mix.arrival_window_s) for _ in range(workers))
    people = []
    for index, arrival in enumerate(arrivals):
        # the air warms through the morning
        ambient = 16.0 + 6.0 * arrival / max(mix.arrival_window_s, 1.0) + rng.gauss(0, 0.3)
        feverish = rng.random() < mix.fever
        core = rng.uniform(37.6, 39.0) if feverish else min(rng.gauss(36.6, 0.2), 37.0)
        draw = rng.random()
        code: CodeShown = "green"
        for name, share in (
            ("yellow", mix.yellow),
            ("red", mix.red),
            ("unreadable", mix.unreadable),
            ("none", mix.no_code),
        ):
            if draw < share:
                code = name  # type: ignore[assignment]
                break
            draw -= share
        fault: SensorFault | None = None
        # a faulty sensor is only noticed when a code starts the check
        if code != "none" and rng.random() < mix.sensor_fault:
            fault = rng.choice(["nack", "bad_pec", "error_flag"])
        distance = round(rng.uniform(10.0, 55.0), 1)
        people.append(
            SimPerson(
                person_id=f"W{index + 1:04d}",
                arrival_s=round(arrival, 3),
                core_c=round(core, 2),
                ambient_c=round(ambient, 2),
                code=code,
                registered=rng.random() >= mix.unregistered,
                in_shift=rng.random() >= mix.outside_shift,
                dark_mode=rng.random() < mix.dark_mode,
                # most have the code ready; some still have to find it on the phone
                code_after_s=round(min(rng.lognormvariate(math.log(0.6), 0.7), 3.5), 2),
                sensor_fault=fault,
                distance_cm=distance,
            )
        )
    return people


class ScenarioError(CsvFileError):
    pass


def _number(path: Path, line: int, column: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{path}:{line}: {column} must be a number, got {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ScenarioError(f"{path}:{line}: {column} must be between {low} and {high}, got {text}")
    return value


def load_scenario(path: Path) -> list[SimPerson]:
    """A planned crowd. Everyone in it is registered in the roster."""
    people: list[SimPerson] = []
    seen: set[str] = set()
    try:
        planned = read_table(path, SCENARIO_HEADER, "scenario", optional=SCENARIO_OPTIONAL)
    except CsvFileError as exc:
        raise ScenarioError(str(exc)) from None
    for line, cells in planned:
        person_id, arrival, core, ambient, code = (cells[name] for name in SCENARIO_HEADER)
        if not person_id or "|" in person_id:
            raise ScenarioError(f"{path}:{line}: person_id must be non-empty and without '|'")
        if person_id in seen:
            raise ScenarioError(f"{path}:{line}: person_id {person_id!r} appears twice")
        seen.add(person_id)
        if code not in CODES_SHOWN:
            raise ScenarioError(
                f"{path}:{line}: code must be one of {', '.join(CODES_SHOWN)}, got {code!r}"
            )
        fault = cells["sensor_fault"] or None
        if fault is not None and fault not in SENSOR_FAULTS:
            raise ScenarioError(
                f"{path}:{line}: sensor_fault must be empty or one of "
                f"{', '.join(SENSOR_FAULTS)}, got {fault!r}"
            )

        def optional(
            column: str, low: float, high: float, cells: dict = cells, line: int = line
        ) -> float | None:
            text = cells[column]
            return None if not text else _number(path, line, column, text, low, high)

        people.append(
            SimPerson(
                person_id=person_id,
                arrival_s=_number(path, line, "arrival_s", arrival, 0, 7 * 86400),
                core_c=_number(path, line, "core_c", core, 30, 45),
                ambient_c=_number(path, line, "ambient_c", ambient, -20, 50),
                code=code,  # type: ignore[arg-type]
                sensor_fault=fault,  # type: ignore[arg-type]
                distance_cm=optional("distance_cm", 1, 300) or 30.0,
                object_c=optional("object_c", -20, 60),
                minutes_inside=optional("minutes_inside", 0, 24 * 60),
                outside_c=optional("outside_c", -40, 55),
            )
        )
    if not people:
        raise ScenarioError(f"{path}: no persons in the scenario")
    return sorted(people, key=lambda p: p.arrival_s)
