"""Zones and the fire alarm's roll call in the centre's store, on SQLite and on a real PostgreSQL:
each gate's count of its zone from its status, today's waits and zone refusals, and the roll
call kept from the emergency alert, ticked off person by person."""

from __future__ import annotations

from datetime import timedelta

from terminal.centre.store import Store
from tests.support.centre_messages import FakeGate, at
from tests.support.centre_store import MORNING, feed, store
from tests.support.pgserver import postgres_server

__all__ = ["postgres_server", "store"]  # the store's fixtures: SQLite, and a real PostgreSQL

LATER = MORNING + timedelta(minutes=5)


def test_each_gate_counts_its_zone_and_the_board_sees_when_they_disagree(store: Store) -> None:
    a, b, other = FakeGate("hall-a"), FakeGate("hall-b"), FakeGate("g9")
    assert feed(store, a.status("online", MORNING, zone=("hall", 3, 2)))
    assert feed(store, b.status("online", MORNING, zone=("hall", 3, 2)))
    assert feed(store, other.status("online", MORNING))  # a gate without a zone
    (hall,) = store.zones(MORNING + timedelta(seconds=10))
    assert (hall.park, hall.name, hall.inside, hall.capacity) == ("p1", "hall", 2, 3)
    assert [g.gate for g in hall.gates] == ["hall-a", "hall-b"]
    assert not hall.disagree and not hall.full
    # a passage B has not heard (it is cut off): each gate's own figure, and the disagreement
    cut_off = "counting own passages only since 08:03; occupancy may be under-counted"
    assert feed(store, a.status("online", LATER, zone=("hall", 3, 3)))
    assert feed(store, b.status("online", LATER, zone=("hall", 3, 2), zone_assumption=cut_off))
    (hall,) = store.zones(LATER)
    assert hall.disagree and hall.full  # by A's count it is full
    assert {g.gate: (g.inside, g.assumption) for g in hall.gates} == {
        "hall-a": (3, None),
        "hall-b": (2, cut_off),
    }
    # an older status arriving late changes nothing; one of a gate from before the field is
    # still taken, and leaves that gate without a zone
    assert not feed(store, a.status("online", MORNING, zone=("hall", 3, 0)))
    assert store.zones(LATER)[0].gates[0].inside == 3
    assert feed(store, b.status("online", LATER + timedelta(seconds=1)))
    (hall,) = store.zones(LATER)
    assert [g.gate for g in hall.gates] == ["hall-a"] and not hall.disagree


def test_todays_waits_and_zone_refusals_are_counted_per_zone(store: Store) -> None:
    a, b = FakeGate("hall-a"), FakeGate("hall-b")
    feed(store, a.status("online", MORNING, zone=("hall", 1, 1)))
    feed(store, b.status("online", MORNING, zone=("hall", 1, 1)))
    refused = {"decision": "deny", "route": "aside"}
    for gate, reason, route in [
        (a, "zone_full", "wait"),
        (a, "zone_full", "wait"),
        (b, "anti_passback", "aside"),
        (b, "not_inside", "aside"),
        (b, "code_red", "isolation_room"),
    ]:
        feed(store, gate.check(MORNING, **{**refused, "reason": reason, "route": route}))
    yesterday = MORNING - timedelta(days=1)
    feed(store, a.check(yesterday, decision="deny", reason="zone_full", route="wait"))
    (hall,) = store.zones(MORNING)
    assert (hall.waits_today, hall.passback_today, hall.not_inside_today) == (2, 1, 1)


def test_the_roll_call_is_kept_from_the_alarm_and_ticked_off_once(store: Store) -> None:
    gate = FakeGate("hall-a")
    inside = [
        ("W0002", at("2026-06-01T07:10:00+08:00")),
        ("W0001", at("2026-06-01T07:01:00+08:00")),
    ]
    alarm = gate.fire_alarm("emergency", MORNING, zone="hall", inside=inside, inside_count=3)
    assert feed(store, alarm)
    assert not feed(store, alarm)  # heard twice: kept once
    (muster,) = store.musters()
    assert (muster.gate, muster.zone, muster.started_at) == ("hall-a", "hall", MORNING)
    assert [p.person_id for p in muster.people] == ["W0001", "W0002"]  # earliest in first
    assert muster.people[0].since == at("2026-06-01T07:01:00+08:00")
    assert (muster.unaccounted, muster.unnamed) == (2, 1)  # one came in by an override
    version = store.version()
    assert store.account(muster.emergency_id, "W0002", "anna", LATER)
    assert store.version() > version  # the desk's live page hears of it
    assert not store.account(muster.emergency_id, "W0002", "victor")  # the first tick is kept
    assert not store.account(muster.emergency_id, "W9999", "anna")  # not on this roll call
    (muster,) = store.musters()
    ticked = {p.person_id: (p.accounted_by, p.accounted_at) for p in muster.people}
    assert ticked == {"W0001": (None, None), "W0002": ("anna", LATER)}
    assert muster.unaccounted == 1
    assert not feed(store, alarm)  # a late repeat of the alert loses nobody's tick
    assert store.musters()[0].unaccounted == 1
    # the alarm over, the desk shows no roll call; the next alarm brings its own
    assert feed(store, gate.fire_alarm("emergency_over", LATER))
    assert store.musters() == []
    again = gate.fire_alarm("emergency", LATER + timedelta(hours=1), zone="hall", inside=[])
    assert feed(store, again)
    (muster,) = store.musters()
    assert muster.people == [] and muster.inside_count == 0
    # a gate without a zone sounds its alarm with no roll call
    feed(store, FakeGate("g9").fire_alarm("emergency", LATER))
    assert [m.gate for m in store.musters()] == ["hall-a"]
