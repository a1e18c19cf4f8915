"""Every class of hostile input, a few dozen of each, against the real entry points: each is
refused in one line or taken as genuine, and nothing escapes (tests/support/hostile_inputs.py runs
thousands)."""

from __future__ import annotations

import pytest

from tests.support.hostile_inputs import CLASSES, run, table

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts


@pytest.mark.parametrize("name", list(CLASSES))
def test_nothing_hostile_escapes(name: str) -> None:
    tallies = run(attempts=40, seed=7, only=[name])
    assert [t.name for t in tallies] == [name]
    assert not tallies[0].escapes, table(tallies)
    assert tallies[0].refused > 0  # the attacks reach the checks, not only the happy path
