"""How well the screening tells fevers apart, per band of air temperature, under the simulator's
forehead model and its variations: ``python -m simulator.screening_bench``.

For each model and band a stream of people passes one gate (air drifting slowly inside the band,
one person every few seconds, 5 % with a core of 37.5 °C or more). Each estimator sees what the
thermometer would give (the forehead model at the distance the gate asks for, with sensor noise,
the median of the samples) and says flag or not. Beside it, the best any single-reading rule could
do with the model known: per band, the threshold on the reading that catches at least as many
fevers, and the share of people without fever it would flag.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from simulator.forehead import VARIATIONS, ForeheadModel, draw_forehead
from terminal.config import ScreeningConfig
from terminal.screening.estimators import Estimator, Reading
from terminal.screening.factory import make_estimator
from terminal.screening.health import SensorHealth

BANDS_C = ((10.0, 15.0), (15.0, 20.0), (20.0, 25.0), (25.0, 30.0), (30.0, 35.0))
FEVER_C = 37.5
NORMAL_MAX_C = 37.0


@dataclass(frozen=True)
class Person:
    core_c: float
    object_c: float
    ambient_c: float
    at_s: float
    samples: tuple[float, ...]


@dataclass(frozen=True)
class BandResult:
    fevers: int
    normals: int
    fever_flagged: float  # share of core >= 37.5 flagged
    normal_flagged: float  # share of core <= 37.0 flagged
    faults: float  # share of everyone refused as a sensor fault
    best_rule_normal_flagged: float  # the best single-reading rule at the same sensitivity


def draw_core(rng: random.Random) -> float:
    draw = rng.random()
    if draw < 0.05:
        return min(FEVER_C + rng.expovariate(1 / 0.6), 41.0)
    if draw < 0.12:
        return rng.uniform(37.01, 37.49)
    return min(rng.gauss(36.7, 0.22), NORMAL_MAX_C)


def stream(
    model: ForeheadModel, band: tuple[float, float], people: int, seed: int, config: ScreeningConfig
) -> list[Person]:
    rng = random.Random(seed)
    low, high = band
    out = []
    phase = rng.uniform(0, 2 * math.pi)
    samples = config.samples
    for index in range(people):
        # the air drifts slowly through the band over the shift
        air = low + (high - low) * (0.5 + 0.5 * math.sin(phase + 2 * math.pi * index / 600))
        core = draw_core(rng)
        forehead = draw_forehead(model, core, air, rng)
        distance = rng.uniform(5.0, config.max_distance_cm)
        # the thermometer's words are 0.02 K apart
        readings = tuple(
            round((forehead.object_c(distance) + rng.gauss(0, model.noise_c)) / 0.02) * 0.02
            for _ in range(samples)
        )
        out.append(Person(core, statistics.median(readings), air, index * 6.0, readings))
    return out


def best_rule(people: list[Person], sensitivity: float) -> float:
    """The lowest share of people without fever that any threshold on the reading flags while
    catching at least ``sensitivity`` of the fevers."""
    fevers = sorted((p.object_c for p in people if p.core_c >= FEVER_C), reverse=True)
    normals = [p.object_c for p in people if p.core_c <= NORMAL_MAX_C]
    if not fevers or not normals:
        return float("nan")
    needed = max(1, math.ceil(sensitivity * len(fevers) - 1e-9))
    threshold = fevers[needed - 1]
    return sum(1 for value in normals if value >= threshold) / len(normals)


def run_band(people: list[Person], estimator: Estimator, config: ScreeningConfig) -> BandResult:
    flagged_fevers = flagged_normals = faults = 0
    fevers = sum(1 for p in people if p.core_c >= FEVER_C)
    normals = sum(1 for p in people if p.core_c <= NORMAL_MAX_C)
    health = SensorHealth(config)  # the gate's own checks: a refused reading is a fault
    for person in people:
        problem = health.problem(list(person.samples), person.ambient_c, person.object_c)
        if problem is not None:
            health.failed(problem)
            faults += 1
            continue
        health.accepted(person.object_c)
        reading = Reading(person.object_c, person.ambient_c, person.at_s)
        estimate = estimator.estimate(reading)
        estimator.learn(reading)
        if person.core_c >= FEVER_C:
            flagged_fevers += estimate.flagged
        elif person.core_c <= NORMAL_MAX_C:
            flagged_normals += estimate.flagged
    sensitivity = flagged_fevers / max(fevers, 1)
    return BandResult(
        fevers,
        normals,
        sensitivity,
        flagged_normals / max(normals, 1),
        faults / len(people),
        best_rule(people, sensitivity),
    )


def measure(
    config: ScreeningConfig,
    models: dict[str, ForeheadModel],
    people: int,
    seed: int,
    factory: Callable[[ScreeningConfig], Estimator] = make_estimator,
) -> dict[str, list[BandResult]]:
    results: dict[str, list[BandResult]] = {}
    for name, model in models.items():
        results[name] = [
            run_band(stream(model, band, people, seed + index, config), factory(config), config)
            for index, band in enumerate(BANDS_C)
        ]
    return results


def table(results: dict[str, list[BandResult]]) -> str:
    lines = [
        "| model | air °C | fevers | core >= 37.5 flagged | core <= 37.0 flagged | faults |"
        " best single-reading rule: core <= 37.0 flagged |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, bands in results.items():
        for (low, high), r in zip(BANDS_C, bands, strict=True):
            lines.append(
                f"| {name} | {low:.0f}-{high:.0f} | {r.fevers} | {r.fever_flagged:.1%} |"
                f" {r.normal_flagged:.1%} | {r.faults:.1%} | {r.best_rule_normal_flagged:.1%} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=8000, help="per model and band")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--estimator", choices=["relative", "absolute", "both"], default="both")
    parser.add_argument("--offset", type=float, default=None, help="relative_offset_c to try")
    parser.add_argument("--quantile", type=float, default=None, help="reference_quantile to try")
    parser.add_argument("--threshold", type=float, default=None, help="fever_threshold_c to try")
    args = parser.parse_args(argv)
    chosen = ["relative", "absolute"] if args.estimator == "both" else [args.estimator]
    for estimator in chosen:
        update: dict[str, object] = {"estimator": estimator}
        if args.offset is not None:
            update["relative_offset_c"] = args.offset
        if args.quantile is not None:
            update["reference_quantile"] = args.quantile
        if args.threshold is not None:
            update["fever_threshold_c"] = args.threshold
        config = ScreeningConfig.model_validate({**ScreeningConfig().model_dump(), **update})
        print(
            f"\n## estimator {estimator} (fever_threshold_c {config.fever_threshold_c},"
            f" reference_quantile {config.reference_quantile},"
            f" relative_offset_c {config.relative_offset_c})\n"
        )
        print(table(measure(config, VARIATIONS, args.people, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
