"""The centre's store, on SQLite and on a real PostgreSQL, for screening a gate's guards can staff:
why each person was sent on, the flags as a queue with the expected wait, who an unidentified
person is, a flag nobody takes raised to the second role, people told to rest who never came
back, and each gate's screening day."""

from __future__ import annotations

from datetime import timedelta

from terminal.centre.flags import flag_ref
from terminal.centre.store import CheckQuery, Store
from tests.support.centre_messages import FakeGate
from tests.support.centre_store import MORNING, feed, store
from tests.support.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)

__all__ = ["store"]  # shared fixtures, taken by name


def test_a_flag_says_why_and_an_older_gates_flag_still_shows(store: Store) -> None:
    gate = FakeGate("g1")
    row, flagged = gate.screened_flag(
        MORNING, "W0002", object_c=35.1, threshold_c=34.8, reference_c=34.2, basis="baseline",
        why="0.9 °C over their usual in this air", temperature_c=37.7,
    )  # fmt: skip
    old_row, old = gate.flagged(MORNING + timedelta(minutes=1), person_id="W0009")
    for message in (*flagged, *old):
        assert feed(store, message)
    new, older = store.flags(open_only=True)
    assert (new.flag_id, older.flag_id) == (row.event_id, old_row.event_id)
    assert (new.object_c, new.threshold_c, new.reference_c) == (35.1, 34.8, 34.2)
    assert (new.reference_basis, new.why) == ("baseline", "0.9 °C over their usual in this air")
    assert new.temperature_c == 37.7  # the estimated core, kept apart from the screened reading
    assert (older.person_id, older.temperature_c, older.object_c, older.why) == (
        "W0009", 37.6, None, None,
    )  # fmt: skip
    # the check keeps the screened reading and the screening's word beside the estimated core
    checks = {c.event_id: c for c in store.checks(CheckQuery())}
    assert (checks[row.event_id].screened_c, checks[row.event_id].estimated_core_c) == (35.1, 37.7)
    assert checks[row.event_id].screening == "guard"
    assert (checks[old_row.event_id].screened_c, checks[old_row.event_id].screening) == (None, None)


def test_the_expected_wait_is_what_flags_took_lately_at_that_gate_or_a_default(
    store: Store,
) -> None:
    g1, g2 = FakeGate("g1"), FakeGate("g2")
    # at g1, three flags resolved lately after 2, 4 and 10 minutes: the median is 4 minutes
    for n, minutes in enumerate((2, 4, 10)):
        raised = MORNING - timedelta(hours=1, minutes=20 * n)
        row, flagged = g1.flagged(raised, person_id=f"D{n}")
        for message in flagged:
            feed(store, message)
        feed(store, g1.resolved(row.event_id, raised + timedelta(minutes=minutes), "admitted",
                                person_id=f"D{n}"))  # fmt: skip
    # one from yesterday that took an hour is not what the guards do now
    row, flagged = g1.flagged(MORNING - timedelta(days=1), person_id="OLD")
    for message in flagged:
        feed(store, message)
    feed(store, g1.resolved(row.event_id, MORNING - timedelta(hours=23), "admitted",
                            person_id="OLD"))  # fmt: skip
    for gate, people in ((g1, ("A1", "A2")), (g2, ("B1",))):
        for n, person in enumerate(people):
            for message in gate.flagged(MORNING + timedelta(minutes=n), person_id=person)[1]:
                feed(store, message)
    waits = store.flag_waits(MORNING + timedelta(minutes=5))
    assert set(waits) == {"g1", "g2"}
    assert (waits["g1"].waiting, waits["g1"].expected_s, waits["g1"].resolved_lately) == (
        2, 240.0, 3,
    )  # fmt: skip
    assert not waits["g1"].default
    assert (waits["g2"].waiting, waits["g2"].default) == (1, True)
    assert waits["g2"].expected_s == 300.0


def test_a_guard_records_who_an_unidentified_person_in_isolation_is(store: Store) -> None:
    gate = FakeGate("g1")
    row, flagged = gate.screened_flag(MORNING, None, kind="suspected_fever",
                                      route="isolation_room")  # fmt: skip
    named_row, named = gate.screened_flag(MORNING, "W0004")
    for message in (*flagged, *named):
        feed(store, message)
    ref = flag_ref("p1", "g1", row.event_id)
    assert store.identify(ref, "anna", "Li Wei, ID card ending 0412", MORNING)
    flag = store.flag(ref)
    assert flag is not None and flag.person_id is None
    assert (flag.identity, flag.identified_by) == ("Li Wei, ID card ending 0412", "anna")
    assert flag.identified_at == MORNING
    # a correction replaces it; a flag that names its person keeps the gate's word
    assert store.identify(ref, "hana", "Li Wei, ID card ending 0413", MORNING)
    assert not store.identify(flag_ref("p1", "g1", named_row.event_id), "anna", "someone else")
    assert not store.identify(flag_ref("p1", "g2", row.event_id), "anna", "another gate's id")
    # the record's export shows it against the check that raised the flag
    exported = {c.event_id: c for c in store.iter_checks(CheckQuery())}
    assert exported[row.event_id].identified_as == "Li Wei, ID card ending 0413"
    assert exported[named_row.event_id].identified_as is None


def test_a_flag_nobody_takes_is_raised_to_the_second_role_once_and_audited(store: Store) -> None:
    gate = FakeGate("g1")
    late, m1 = gate.flagged(MORNING, person_id="A1")
    taken, m2 = gate.flagged(MORNING, person_id="A2")
    _recent, m3 = gate.flagged(MORNING + timedelta(minutes=2), person_id="A3")
    for message in (*m1, *m2, *m3):
        feed(store, message)
    store.take(flag_ref("p1", "g1", taken.event_id), "anna", MORNING + timedelta(seconds=30))
    assert store.escalate_due(MORNING + timedelta(seconds=170), 180, "health_officer") == []
    version = store.version()
    now = MORNING + timedelta(seconds=185)
    escalated = store.escalate_due(now, 180, "health_officer")
    assert escalated == [flag_ref("p1", "g1", late.event_id)]
    assert store.version() > version
    # asked again (another desk, a second centre): nothing more, and one line in the audit log
    assert store.escalate_due(now + timedelta(seconds=5), 180, "health_officer") == []
    [entry] = [e for e in store.audit_log() if e.action.startswith("escalate")]
    assert (entry.user, entry.action, entry.at) == ("centre", "escalate to health_officer", now)
    assert late.event_id in entry.detail and "g1" in entry.detail
    flags = {f.person_id: f for f in store.flags()}
    assert flags["A1"].escalated_at == now
    assert flags["A2"].escalated_at is None and flags["A3"].escalated_at is None
    # the lane is the gate's: the flag is still open, waiting for the guard's reading
    assert flags["A1"].state == "open"


def test_people_told_to_rest_who_never_came_back_are_their_own_list_until_dismissed(
    store: Store,
) -> None:
    gate = FakeGate("g1")
    told, check = gate.told_to_rest(MORNING, person_id="W0003")
    feed(store, check)
    missing = gate.not_returned(told, MORNING + timedelta(minutes=20), person_id="W0003")
    assert feed(store, missing) and not feed(store, missing)
    flag_row, flagged = gate.flagged(MORNING, person_id="W0007")
    for message in flagged:
        feed(store, message)
    [person] = store.not_returned()
    assert (person.person_id, person.gate, person.kind, person.state) == (
        "W0003", "g1", "not_returned", "open",
    )  # fmt: skip
    assert person.told_at == MORNING  # when the gate told them to rest, not when it gave up
    assert person.raised_at == MORNING + timedelta(minutes=20)
    # nobody is escalated for it: it is not a flag for the guard's reading
    flag = flag_ref("p1", "g1", flag_row.event_id)
    assert store.escalate_due(MORNING + timedelta(hours=1), 180, "health_officer") == [flag]
    assert not store.dismiss(flag, "anna", "not a rest")
    assert store.dismiss(person.ref, "anna", "found in the canteen, sent home", MORNING)
    assert not store.dismiss(person.ref, "hana", "twice")
    assert store.not_returned() == []
    [gone] = store.not_returned(open_only=False)
    assert (gone.state, gone.dismissed_by, gone.dismiss_note) == (
        "dismissed", "anna", "found in the canteen, sent home",
    )  # fmt: skip


def test_each_gates_screening_day_is_its_newest_statuss_and_none_when_it_sends_none(
    store: Store,
) -> None:
    g1, g2 = FakeGate("g1"), FakeGate("g2")
    day = {
        "budget": 0.1, "screened_today": 200, "sent_to_guard_today": 26, "rested_today": 31,
        "resting_now": 3, "not_returned_today": 1, "estimated_catch": 0.82,
    }  # fmt: skip
    feed(store, g1.status("online", MORNING, screening={**day, "screened_today": 100}))
    feed(store, g1.status("online", MORNING + timedelta(minutes=1), screening=day))
    # an older status, heard late, does not overwrite the newer one
    feed(store, g1.status("online", MORNING - timedelta(minutes=1), screening=None))
    feed(store, g2.status("online", MORNING))
    gates = {g.gate: g for g in store.gates(MORNING + timedelta(minutes=1))}
    screening = gates["g1"].screening
    assert screening is not None
    assert (screening.screened_today, screening.sent_to_guard_today) == (200, 26)
    assert (screening.resting_now, screening.not_returned_today) == (3, 1)
    assert screening.estimated_catch == 0.82
    assert screening.load == 0.13 and screening.over_budget
    assert gates["g2"].screening is None and gates["g3"].screening is None
