"""What the screening catches at the load its guards can take, under the simulator's forehead model
and its variations: ``python -m simulator.screening_bench``.

A returning workforce comes to one gate every morning for two weeks: mornings from cold to hot, and
one outbreak day. Each worker keeps their own forehead offset for life, with a day-to-day wobble;
some fall ill for a few days (and their readings then enter the record's history). Each morning
the air drifts inside its band; people arrive minutes after coming in from outside. The gate's own
screening (:class:`terminal.screening.Screening`, fed what the thermometer would give: the model
at the distance the gate asks for, with sensor noise, the median of the samples, the sensor's
health checks) says pass, rest or guard; told to rest, a person rests ``rest_min`` minutes (and a
minute's walk) and is read again.

Per model and kind of morning: fevers (core 37.5 °C or more) sent to the guard, people without
fever (core below 37.5 °C: the guard's load the park's budget counts) sent to the guard, people
asked to rest, faults; each part (rest, baselines) switched off in turn; and beside it the best
single-reading rule that knows the model: per morning, the threshold on the first reading that
sends the same share of people without fever to the guard, and the fevers it catches there.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from simulator.forehead import VARIATIONS, ForeheadModel, draw_forehead, worker_offset_c
from terminal.config import ScreeningConfig
from terminal.rules.policy import Temperature
from terminal.screening.health import SensorHealth
from terminal.screening.judge import RestTaken, Screening

FEVER_C = 37.5
WALK_MIN = 1.0  # from the waiting area back to the gate
# the mornings of the two weeks: (kind, air at the gate's low and high end), cold to hot, with
# an outbreak day in the cool of the second week
MORNINGS: tuple[tuple[str, float, float], ...] = (
    ("cold 10-15", 10.0, 15.0),
    ("cool 15-20", 15.0, 20.0),
    ("mild 20-25", 20.0, 25.0),
    ("warm 25-30", 25.0, 30.0),
    ("hot 30-35", 30.0, 35.0),
    ("cold 10-15", 10.0, 15.0),
    ("cool 15-20", 15.0, 20.0),
    ("mild 20-25", 20.0, 25.0),
    ("warm 25-30", 25.0, 30.0),
    ("outbreak, cool 15-20", 15.0, 20.0),
    ("hot 30-35", 30.0, 35.0),
    ("cold 10-15", 10.0, 15.0),
    ("cool 15-20", 15.0, 20.0),
    ("mild 20-25", 20.0, 25.0),
)
OUTBREAK_SHARE = 0.25  # of the workforce with a fever on the outbreak day
KINDS = (
    "cold 10-15",
    "cool 15-20",
    "mild 20-25",
    "warm 25-30",
    "hot 30-35",
    "outbreak, cool 15-20",
)
# each part switched off in turn, beside the whole
PARTS: dict[str, dict[str, bool]] = {
    "rest and baselines": {},
    "no baselines": {"baseline": False},
    "no rest": {"rest": False},
    "neither (crowd only)": {"rest": False, "baseline": False},
}


@dataclass
class Tally:
    fevers: int = 0
    fevers_guarded: int = 0
    normals: int = 0
    normals_guarded: int = 0
    people: int = 0
    rested: int = 0
    faults: int = 0
    single_caught: float = 0.0  # the best single-reading rule's fevers caught, summed per morning

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def fever_caught(self) -> float:
        return self.fevers_guarded / self.fevers if self.fevers else math.nan

    @property
    def normal_load(self) -> float:
        return self.normals_guarded / self.normals if self.normals else math.nan

    @property
    def rest_share(self) -> float:
        return self.rested / self.people if self.people else math.nan

    @property
    def single_rule_caught(self) -> float:
        return self.single_caught / self.fevers if self.fevers else math.nan


@dataclass(frozen=True)
class Visit:
    worker: int
    core_c: float
    first: tuple[float, ...]  # the thermometer's samples, first reading
    rested: tuple[float, ...]  # the samples after a rest, were they told to rest
    ambient_c: float
    at_s: float


@dataclass
class Workforce:
    model: ForeheadModel
    size: int
    seed: int
    offsets_c: list[float] = field(default_factory=list)
    ill_until: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.offsets_c = [worker_offset_c(self.model, rng) for _ in range(self.size)]

    def core_c(self, worker: int, day: int, outbreak: bool, rng: random.Random) -> float:
        """Illness lasts a few days; most days, most people are well."""
        if outbreak and rng.random() < OUTBREAK_SHARE:
            return min(FEVER_C + rng.expovariate(1 / 0.5), 40.5)
        if self.ill_until.get(worker, -1) >= day or rng.random() < 0.012:
            if worker not in self.ill_until or self.ill_until[worker] < day:
                self.ill_until[worker] = day + rng.randint(0, 3)
            return min(FEVER_C + rng.expovariate(1 / 0.6), 41.0)
        if rng.random() < 0.06:
            return rng.uniform(37.01, 37.49)
        return min(rng.gauss(36.7, 0.22), 37.0)


def _samples(
    forehead: object, model: ForeheadModel, config: ScreeningConfig, rng: random.Random
) -> tuple[float, ...]:
    distance = rng.uniform(5.0, config.max_distance_cm)
    # the thermometer's words are 0.02 K apart
    return tuple(
        round((forehead.object_c(distance) + rng.gauss(0, model.noise_c)) / 0.02) * 0.02  # type: ignore[attr-defined]
        for _ in range(config.samples)
    )


def mornings(
    workforce: Workforce, config: ScreeningConfig, seed: int
) -> Iterator[tuple[str, list[Visit]]]:
    """Each morning's visits, in arrival order (the same for every configuration measured)."""
    rng = random.Random(seed)
    model = workforce.model
    for day, (kind, low, high) in enumerate(MORNINGS):
        order = list(range(workforce.size))
        rng.shuffle(order)
        phase = rng.uniform(0, 2 * math.pi)
        visits = []
        for index, worker in enumerate(order):
            air = low + (high - low) * (0.5 + 0.5 * math.sin(phase + math.pi * index / len(order)))
            core = workforce.core_c(worker, day, kind.startswith("outbreak"), rng)
            forehead = draw_forehead(model, core, air, rng, offset_c=workforce.offsets_c[worker])
            rested = replace(
                forehead, minutes_inside=forehead.minutes_inside + config.rest_min + WALK_MIN
            )
            visits.append(
                Visit(
                    worker,
                    core,
                    _samples(forehead, model, config, rng),
                    _samples(rested, model, config, rng),
                    air,
                    day * 86400.0 + 6 * 3600.0 + index * 8.0,
                )
            )
        yield kind, visits


def _measured(samples: tuple[float, ...], ambient_c: float, at_s: float) -> Temperature:
    return Temperature(
        first_c=None, object_c=round(statistics.median(samples), 2), ambient_c=ambient_c, at_s=at_s
    )


def run_morning(screening: Screening, health: SensorHealth, visits: list[Visit]) -> Tally:
    tally = Tally()
    config = screening.config
    for visit in visits:
        tally.people += 1
        fever = visit.core_c >= FEVER_C
        normal = not fever
        tally.fevers += fever
        tally.normals += normal
        measured = _measured(visit.first, visit.ambient_c, visit.at_s)
        problem = health.problem(list(visit.first), visit.ambient_c, measured.object_c or 0.0)
        if problem is not None:
            health.failed(problem)
            tally.faults += 1
            continue
        health.accepted(measured.object_c or 0.0)
        person = f"W{visit.worker:04d}"
        judged = screening.judge(measured, person)
        if judged.verdict == "rest":
            tally.rested += 1
            back_s = visit.at_s + (config.rest_min + WALK_MIN) * 60.0
            taken = RestTaken(measured.object_c or 0.0, visit.ambient_c, visit.at_s)
            judged = screening.judge(
                _measured(visit.rested, visit.ambient_c, back_s), person, taken
            )
        guarded = judged.verdict == "guard"
        tally.fevers_guarded += fever and guarded
        tally.normals_guarded += normal and guarded
    return tally


def best_single_rule(visits: list[Visit], load: float) -> float:
    """Fevers caught by the threshold on the first reading that sends ``load`` of the people
    without fever of this morning to the guard (the model, and so who has a fever, known)."""
    normals = sorted(
        (statistics.median(v.first) for v in visits if v.core_c < FEVER_C), reverse=True
    )
    fevers = [statistics.median(v.first) for v in visits if v.core_c >= FEVER_C]
    if not normals or not fevers:
        return 0.0
    flagged = min(len(normals) - 1, max(0, round(load * len(normals)) - 1))
    threshold = normals[flagged] if load > 0 else math.inf
    return float(sum(1 for value in fevers if value >= threshold))


def measure(
    config: ScreeningConfig, model: ForeheadModel, workers: int, seed: int, seeds: int = 1
) -> dict[str, Tally]:
    """Per kind of morning (and "all"), the screening's tally over the two weeks, summed over
    ``seeds`` workforces (each a fresh gate)."""
    by_kind: dict[str, Tally] = {kind: Tally() for kind in (*KINDS, "all")}
    for each in range(seeds):
        screening = Screening(config)
        health = SensorHealth(config)
        workforce = Workforce(model, workers, seed + 100 * each)
        for kind, visits in mornings(workforce, config, seed + 100 * each + 1):
            tally = run_morning(screening, health, visits)
            tally.single_caught = best_single_rule(visits, tally.normal_load)
            by_kind[kind].add(tally)
            by_kind["all"].add(tally)
    return by_kind


def configured(budget: float, **parts: object) -> ScreeningConfig:
    return ScreeningConfig.model_validate(
        {**ScreeningConfig().model_dump(), "secondary_budget": budget, **parts}
    )


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0%}"


def table(results: dict[str, dict[str, dict[str, Tally]]]) -> str:
    """``results[model][part][kind]``."""
    lines = [
        "| model | parts | mornings | fevers | fevers to the guard | without fever to the guard |"
        " asked to rest | faults | best single-reading rule, same load: fevers |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, parts in results.items():
        for part, kinds in parts.items():
            for kind, t in kinds.items():
                lines.append(
                    f"| {name} | {part} | {kind} | {t.fevers} | {_pct(t.fever_caught)} |"
                    f" {_pct(t.normal_load)} | {_pct(t.rest_share)} |"
                    f" {_pct(t.faults / t.people if t.people else math.nan)} |"
                    f" {_pct(t.single_rule_caught)} |"
                )
    return "\n".join(lines)


def budgets_table(results: dict[str, dict[float, Tally]]) -> str:
    """``results[model][budget]``: the whole screening over all mornings, at each budget."""
    lines = [
        "| model | budget | fevers to the guard | without fever to the guard | asked to rest |"
        " best single-reading rule, same load: fevers | gain, points |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, budgets in results.items():
        for budget, t in budgets.items():
            gain = (t.fever_caught - t.single_rule_caught) * 100
            lines.append(
                f"| {name} | {budget:.0%} | {_pct(t.fever_caught)} | {_pct(t.normal_load)} |"
                f" {_pct(t.rest_share)} | {_pct(t.single_rule_caught)} | {gain:+.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=300, help="the returning workforce")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=4, help="workforces, each a fresh gate")
    parser.add_argument("--budgets", default="0.05,0.10,0.20", help="secondary_budget values")
    parser.add_argument("--parts", action="store_true", help="also each part switched off")
    parser.add_argument("--model", choices=sorted(VARIATIONS), action="append")
    args = parser.parse_args(argv)
    models = {name: VARIATIONS[name] for name in (args.model or VARIATIONS)}
    budgets = [float(value) for value in args.budgets.split(",")]
    by_budget = {
        name: {
            budget: measure(configured(budget), model, args.workers, args.seed, args.seeds)["all"]
            for budget in budgets
        }
        for name, model in models.items()
    }
    print(
        f"{args.seeds} workforces of {args.workers}, {len(MORNINGS)} mornings each"
        f" (seed {args.seed})\n"
    )
    print("## At each budget, all mornings\n")
    print(budgets_table(by_budget))
    if args.parts:
        default = ScreeningConfig().secondary_budget
        by_part = {
            name: {
                part: measure(
                    configured(default, **switches), model, args.workers, args.seed, args.seeds
                )
                for part, switches in PARTS.items()
            }
            for name, model in models.items()
        }
        print(f"\n## At the default budget ({default:.0%}), each part switched off in turn\n")
        print(table(by_part))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
