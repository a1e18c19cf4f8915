"""The centre forgets what the gates sent about people once it is past the park's retention
period, keeps the daily counts longer, says what it forgot in the audit log, and forgets nothing
by a clock that is not synchronised or has just jumped: on SQLite and on a real PostgreSQL, with
rows made by ingesting the gates' own messages."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from terminal.centre.config import ConfigError, RetentionConfig, parse_centre
from terminal.centre.retention import NOT_PURGED, purged_tables
from terminal.centre.schema import SCHEMA
from terminal.centre.store import CheckQuery, Store
from terminal.centre.upkeep import FIRST_PURGE_AFTER_S, PURGE_EVERY_S, Upkeep
from tests.support.centre_messages import FakeGate
from tests.support.centre_store import MORNING, feed, store
from tests.support.pgserver import postgres_server  # noqa: F401  (a fixture)

__all__ = ["store"]  # shared fixtures, taken by name

OLD = MORNING - timedelta(days=40)  # past the default 30 days
RECENT = MORNING - timedelta(days=10)
ANCIENT = MORNING - timedelta(days=1200)  # past the counts' 1095 days too


def a_day_at_the_gate(store: Store, gate: FakeGate, when: datetime, who: str) -> None:
    """A check, a flag, a fire alarm's roll call, a vehicle's driver and a staff command, as a
    gate sends them; and that day's counts."""
    feed(store, gate.check(when, person_id=who), when)
    _row, flagged = gate.flagged(when + timedelta(minutes=1), person_id=who)
    for message in flagged:
        feed(store, message, when)
    roll_call = gate.fire_alarm("emergency", when, zone="hall", inside=[(who, when)])
    feed(store, roll_call, when)
    feed(store, gate.vehicle(when, "沪A12345", f"D{who}", "admitted"), when)
    feed(store, gate.command_result(f"cmd-{who}", "admit", "done", when), when)
    feed(store, gate.daily_report(when.date().isoformat(), when, checks=2), when)


def upkeep(store: Store, synced: list[bool], steady: list[float], now: list[datetime]) -> Upkeep:
    return Upkeep(
        store,
        RetentionConfig(),
        lambda: synced[0],
        now=lambda: now[0],
        steady=lambda: steady[0],
    )


def test_health_data_past_the_period_is_forgotten_and_the_counts_kept(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    gate = FakeGate("g1")
    a_day_at_the_gate(store, gate, OLD, "W0100")
    a_day_at_the_gate(store, gate, RECENT, "W0200")
    feed(store, gate.daily_report(ANCIENT.date().isoformat(), ANCIENT, checks=7), ANCIENT)
    steady, now = [1000.0], [MORNING]
    chores = upkeep(store, [True], steady, now)
    assert chores.run_due() is None  # not at the start: a few minutes in
    steady[0] += FIRST_PURGE_AFTER_S
    now[0] += timedelta(seconds=FIRST_PURGE_AFTER_S)

    with caplog.at_level(logging.INFO, logger="terminal.centre.upkeep"):
        result = chores.run_due()

    assert result is not None
    assert {c.person_id for c in store.checks(CheckQuery())} == {"W0200"}
    assert {f.person_id for f in store.flags()} == {"W0200"}
    assert [v.driver for v in store.vehicles()] == ["DW0200"]
    # the roll calls and commands of that old day went with it; the counts of that day stay
    assert {t: result.removed[t] for t in ("musters", "muster_people", "commands")} == {
        "musters": 1,
        "muster_people": 1,
        "commands": 1,
    }
    old_day = store.daily_reports(OLD.date())["g1"]
    assert old_day is not None and old_day["checks"] == 2
    assert store.daily_reports(ANCIENT.date())["g1"] is None  # past the counts' days
    # what was forgotten is said once in the audit log and the log, without anyone's data
    [entry] = [a for a in store.audit_log() if a.action == "retention_purge"]
    assert "checks 2" in entry.detail and "flags 1" in entry.detail
    assert "+08:00" in entry.detail  # the cutoffs in the park's time
    assert "retention: forgot" in caplog.text
    assert "W0100" not in entry.detail + caplog.text and "37.6" not in caplog.text
    # an hour later nothing more is old: the purge runs and writes nothing
    steady[0] += PURGE_EVERY_S
    now[0] += timedelta(seconds=PURGE_EVERY_S)
    again = chores.run_due()
    assert again is not None and again.total == 0
    assert len([a for a in store.audit_log() if a.action == "retention_purge"]) == 1


def test_nothing_is_forgotten_by_an_unsynchronised_or_jumped_clock(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    gate = FakeGate("g1")
    a_day_at_the_gate(store, gate, OLD, "W0100")
    synced, steady, now = [False], [1000.0], [MORNING]
    chores = upkeep(store, synced, steady, now)
    steady[0] += FIRST_PURGE_AFTER_S
    now[0] += timedelta(seconds=FIRST_PURGE_AFTER_S)
    with caplog.at_level(logging.WARNING, logger="terminal.centre.upkeep"):
        assert chores.run_due() is None
        assert "the purge waits: the clock is not synchronised" in caplog.text
        assert len(store.checks(CheckQuery())) == 2

        # synchronised, but set a year ahead half a minute later
        synced[0] = True
        steady[0] += 30
        now[0] = MORNING + timedelta(days=365)
        chores.watch_clock()
        # the next hour's purge comes less than an hour of steady running after the jump
        steady[0] += PURGE_EVERY_S - 30
        now[0] += timedelta(seconds=PURGE_EVERY_S - 30)
        assert chores.run_due() is None
        assert "the purge waits: the clock jumped less than an hour ago" in caplog.text
    assert len(store.checks(CheckQuery())) == 2
    assert not [a for a in store.audit_log() if a.action == "retention_purge"]

    # the hour after: it has run steady for an hour since the jump, and is trusted again
    steady[0] += PURGE_EVERY_S
    now[0] += timedelta(seconds=PURGE_EVERY_S)
    result = chores.run_due()
    assert result is not None and result.removed["checks"] == 2
    assert store.checks(CheckQuery()) == []


def test_the_counts_are_kept_at_least_as_long_as_the_health_data() -> None:
    source = Path("centre.toml")
    defaults = parse_centre({"park": "p1"}, source).retention
    assert (defaults.health_days, defaults.counts_days) == (30, 1095)
    shorter = {"park": "p1", "retention": {"health_days": 60, "counts_days": 20}}
    with pytest.raises(ConfigError, match=r"retention: .*counts_days \(20\) is shorter"):
        parse_centre(shorter, source)
    with pytest.raises(ConfigError, match=r"retention\.health_days"):
        parse_centre({"park": "p1", "retention": {"health_days": 0}}, source)
    with pytest.raises(ConfigError, match=r"retention\.keep_forever"):
        parse_centre({"park": "p1", "retention": {"keep_forever": True}}, source)


def test_every_table_of_the_centre_has_its_retention_decided() -> None:
    """A new table fails here until docs/centre.md and retention.py say how long it keeps."""
    created = {
        statement.split("EXISTS", 1)[1].split()[0]
        for statement in SCHEMA
        if statement.lstrip().startswith("CREATE TABLE")
    }
    assert purged_tables().isdisjoint(NOT_PURGED)
    assert created == purged_tables() | set(NOT_PURGED)
    documented = (Path(__file__).parent.parent / "docs" / "centre.md").read_text(encoding="utf-8")
    table = documented.split("### What is kept how long", 1)[1].split("###", 1)[0]
    assert all(f"`{name}`" in table for name in created - {"meta"})
