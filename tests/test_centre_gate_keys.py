"""Every event a gate sends is the gate's own: the centre keys events, checks, command results
and roll calls by park, gate and id (the park and gate of the topic, which the broker lets only
that gate publish on). A gate that learns another gate's event id and sends it first stores its
own row; the real event still lands. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from terminal.centre.store import CheckQuery, Store, VehicleQuery
from tests.support.centre_messages import FakeGate
from tests.support.centre_store import MORNING, feed, store
from tests.support.pgserver import postgres_server  # noqa: F401  (a fixture)

__all__ = ["store"]  # shared fixtures, taken by name


def with_event_id(message: tuple[str, bytes], event_id: str) -> tuple[str, bytes]:
    """The same message under another event id (what a gate that learnt an id would send)."""
    topic, payload = message
    data = json.loads(payload)
    data["event_id"] = event_id
    return topic, json.dumps(data).encode()


def event_id_of(message: tuple[str, bytes]) -> str:
    return str(json.loads(message[1])["event_id"])


def test_a_forged_check_with_another_gates_id_does_not_displace_the_real_one(
    store: Store,
) -> None:
    north_1, north_2 = FakeGate("north-1"), FakeGate("north-2")
    real = north_1.check(MORNING, person_id="W0001", decision="admit", reason="admitted")
    forged = north_2.check(
        MORNING, person_id="W6666", decision="deny", reason="code_red", event_id=event_id_of(real)
    )
    assert feed(store, forged)  # sent first, on north-2's own topic: north-2's own check
    assert feed(store, real)  # not a duplicate: the real check lands
    assert not feed(store, real)  # the real one sent again is
    assert store.bad_payloads == 0
    by_gate = {c.gate: c for c in store.checks(CheckQuery())}
    assert set(by_gate) == {"north-1", "north-2"}
    mine = by_gate["north-1"]
    assert (mine.event_id, mine.person_id, mine.decision) == (
        event_id_of(real), "W0001", "admit",
    )  # fmt: skip
    assert [c.person_id for c in store.checks(CheckQuery(gate="north-1"))] == ["W0001"]


def test_a_forged_vehicle_with_another_gates_id_does_not_displace_the_real_one(
    store: Store,
) -> None:
    dock, yard = FakeGate("dock-1"), FakeGate("yard-9")
    real = dock.vehicle(MORNING, "沪A12345", "W0001", "admitted")
    forged = with_event_id(
        yard.vehicle(MORNING, "沪Z99999", "W6666", "admitted"), event_id_of(real)
    )
    assert feed(store, forged)
    assert feed(store, real)
    plates = {v.gate: v.plate for v in store.vehicles(query=VehicleQuery())}
    assert plates == {"dock-1": "沪A12345", "yard-9": "沪Z99999"}


def test_a_forged_roll_call_with_another_gates_id_does_not_displace_the_real_one(
    store: Store,
) -> None:
    north_1, north_2 = FakeGate("north-1"), FakeGate("north-2")
    since = MORNING - timedelta(hours=1)
    real = north_1.fire_alarm("emergency", MORNING, zone="hall", inside=[("W0001", since)])
    forged = with_event_id(
        north_2.fire_alarm("emergency", MORNING, zone="hall", inside=[("W6666", since)]),
        event_id_of(real),
    )
    assert feed(store, forged)
    assert feed(store, real)
    musters = {m.gate: [p.person_id for p in m.people] for m in store.musters()}
    assert musters == {"north-1": ["W0001"], "north-2": ["W6666"]}


def test_a_forged_answer_to_a_command_line_command_does_not_displace_the_real_one(
    store: Store,
) -> None:
    """A command sent by the command line is not in the centre's table until a gate answers:
    another gate answering first under its id makes its own row, not the real gate's."""
    north_1, north_2 = FakeGate("north-1"), FakeGate("north-2")
    later = MORNING + timedelta(seconds=1)
    assert feed(store, north_2.command_result("cmd-cli-1", "lockdown", "refused", MORNING))
    assert feed(store, north_1.command_result("cmd-cli-1", "lockdown", "done", later))
    outcomes = {(c.gate, c.command_id): c.outcome for c in store.command_results(now=later)}
    assert outcomes == {
        ("north-1", "cmd-cli-1"): "done",
        ("north-2", "cmd-cli-1"): "refused",
    }


def test_the_same_id_from_the_same_gate_is_still_one_event(store: Store) -> None:
    gate = FakeGate("g1")
    check = gate.check(MORNING)
    passage = gate.passage("admission-0001", MORNING, "passed")
    assert feed(store, check) and feed(store, passage)
    assert not feed(store, check) and not feed(store, passage)
    assert len(store.checks(CheckQuery())) == 1


def test_an_export_in_batches_keeps_both_gates_checks_of_one_id_and_second(store: Store) -> None:
    """The batches go on from the last row's time, id, park and gate: a batch that ends between
    two gates' checks of the same id and second loses neither."""
    north_1, north_2 = FakeGate("north-1"), FakeGate("north-2")
    for gate in (north_1, north_2):
        assert feed(store, gate.check(MORNING, event_id="shared-id-0001"))
    assert feed(store, north_1.check(MORNING + timedelta(seconds=1)))
    exported = [(c.gate, c.event_id) for c in store.iter_checks(CheckQuery(), batch=1)]
    assert exported[:2] == [("north-1", "shared-id-0001"), ("north-2", "shared-id-0001")]
    assert len(exported) == 3


def test_a_vehicle_list_in_batches_keeps_both_gates_vehicles_of_one_id_and_second(
    store: Store,
) -> None:
    dock, yard = FakeGate("dock-1"), FakeGate("yard-9")
    for gate, plate in ((dock, "沪A12345"), (yard, "沪B54321")):
        message = gate.vehicle(MORNING, plate, "W0001", "admitted")
        assert feed(store, with_event_id(message, "shared-id-0002"))
    oldest_first = [v.plate for v in store.iter_vehicles(VehicleQuery(), batch=1)]
    newest_first = [v.plate for v in store.iter_vehicles(VehicleQuery(), 1, newest_first=True)]
    assert oldest_first == ["沪A12345", "沪B54321"]
    assert newest_first == ["沪B54321", "沪A12345"]
