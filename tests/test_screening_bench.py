"""The screening benchmark runs, and what it says holds at a small size: on the simulator's own
forehead model, a returning workforce over two weeks of mornings, the whole screening (rest and
re-screen, each worker's own baseline) keeps the guards near the park's budget and, in a cold
lobby, catches clearly more fevers than the best single-reading rule that knows the model at the
same load."""

from __future__ import annotations

import pytest

from simulator.forehead import VARIATIONS
from simulator.screening_bench import PARTS, configured, main, measure
from terminal.config import ScreeningConfig

# four workforces of 150, as the bench pools them: one alone has too few fevers on its three
# cold mornings to tell the rules apart
WORKERS, SEED, SEEDS = 150, 7, 4
COLD = "cold 10-15"


def test_at_the_default_budget_the_whole_screening_beats_one_reading_in_a_cold_lobby() -> None:
    budget = ScreeningConfig().secondary_budget
    whole = measure(configured(budget), VARIATIONS["own model"], WORKERS, SEED, SEEDS)
    crowd_only = measure(
        configured(budget, **PARTS["neither (crowd only)"]),
        VARIATIONS["own model"],
        WORKERS,
        SEED,
        SEEDS,
    )
    everything, cold = whole["all"], whole[COLD]
    assert cold.fevers >= 30 and everything.faults <= 0.01 * everything.people
    # the guards' load: people without fever sent to them, near what the park set
    assert everything.normal_load == pytest.approx(budget, abs=0.03)
    assert cold.normal_load == pytest.approx(budget, abs=0.05)
    # more fevers than the best rule on the first reading alone, at the very same load
    assert cold.fever_caught >= cold.single_rule_caught + 0.15
    assert everything.fever_caught > everything.single_rule_caught
    # and more than the crowd alone, without rest or baselines, which also sends more people
    # without fever to the guard on a cold morning (its threshold is the whole fortnight's)
    assert cold.fever_caught >= crowd_only[COLD].fever_caught
    assert cold.normal_load < crowd_only[COLD].normal_load
    assert everything.fever_caught > crowd_only["all"].fever_caught


def test_the_benchmark_prints_its_tables(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--workers", "60", "--seeds", "1", "--budgets", "0.05,0.10", "--parts"]
    assert main([*argv, "--model", "own model"]) == 0
    out = capsys.readouterr().out
    assert "## At each budget, all mornings" in out
    assert "| own model | 5% |" in out and "| own model | 10% |" in out
    assert "best single-reading rule, same load: fevers" in out
    for part in PARTS:
        assert f"| own model | {part} | {COLD} |" in out, part
    assert "| own model | rest and baselines | outbreak, cool 15-20 |" in out
    assert "steeper skin response" not in out  # only the model asked for
