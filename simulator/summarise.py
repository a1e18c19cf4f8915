"""A simulated shift summed up from its record, checked against the broker's subscriber and the
simulator's truth."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from simulator.crowd import SimPerson
from simulator.outcome import final_outcome, guard_decisions
from simulator.replays import held_when_shown
from simulator.screened import rests_in, screening_tally
from simulator.subscriber import Subscriber
from simulator.summary import Spread, Summary
from simulator.truth import (
    WayThrough,
    checks_against_the_truth,
    drills_against_the_record,
    passages_against_the_truth,
    rests_against_the_truth,
    rows_by_person,
    shifts_as_timetabled,
    way_out_against_the_truth,
)
from simulator.world import Visit, World
from terminal.common.times import local_day
from terminal.config import Config
from terminal.link.topics import GateTopics
from terminal.record.store import CheckRow, Record


def summarise(
    record: Record,
    world: World,
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
    subscriber: Subscriber | None,
    topics: GateTopics,
    config: Config,
    way_out: WayThrough | None = None,
) -> Summary:
    """The run's figures from the record, checked against the broker's and the simulator's
    truth. ``way_out``: a gate that serves both ways, whose way in ``world`` and
    ``who_was_there`` are; its way out is counted and checked apart."""
    every_check = record.checks()
    checks = [c for c in every_check if way_out is None or c["direction"] != "exit"]
    reasons = Counter(c["reason"] for c in checks if c["decision"] == "deny")
    problems: list[str] = []
    received = Received()
    if subscriber is not None:
        received = received_by(subscriber, topics, record, every_check)
        problems.extend(received.problems)
    visits = world.visits
    gave_up, no_decision = _unanswered(visits, who_was_there)
    # as a person lives it: from leaving the queue's head to the turnstile opening or a refusal
    walk_up_s = world.pace.walk_up_s
    at_gate = [v.reacted_at - (v.front_at - walk_up_s) for v in visits if v.reacted_at is not None]
    waits = [v.front_at - walk_up_s - v.queued_from(world.start) for v in visits]
    if no_decision:
        problems.append(f"{no_decision} people stood at the gate and got no decision")
    secondary_steps = record.rows("secondary_steps")
    outcomes = guard_decisions(secondary_steps)
    held = held_when_shown(visits, rows_by_person(who_was_there), config)
    problems.extend(checks_against_the_truth(visits, who_was_there, outcomes, held))
    rests = rests_in(record)
    problems.extend(rests_against_the_truth(visits, who_was_there, rests))
    shifts = shifts_as_timetabled(visits, who_was_there, config, outcomes)
    problems.extend(shifts.problems)
    own = [p for p in record.passages() if p["gate"] is None]  # not the zone peers'
    passages = [p for p in own if way_out is None or p["direction"] != "exit"]
    problems.extend(passages_against_the_truth(passages, visits, who_was_there))
    drills, drill_problems = drills_against_the_record(
        world, record, every_check, also_freed=[way_out.world] if way_out is not None else []
    )
    problems.extend(drill_problems)
    way_out_tally = None
    if way_out is not None:
        way_out_tally, found = way_out_against_the_truth(
            way_out,
            [c for c in every_check if c["direction"] == "exit"],
            [p for p in own if p["direction"] == "exit"],
        )
        problems.extend(found)
    steps = Counter(step["step"] for step in secondary_steps)
    flagged = sum(1 for c in checks if c["reason"] == "secondary_check")
    resolved = steps["clinical_reading"]
    fevers_at_gate = [v for v in visits if v.person.core_c >= 37.5]
    zone = ZoneInfo(config.gate.timezone)
    return Summary(
        # the local days simulated: `record export --from/--to` asks for these
        days=tuple(sorted({local_day(c["epoch_s"], zone).isoformat() for c in every_check})),
        people=len(visits),
        checks=len(checks),
        admitted=sum(1 for c in checks if c["decision"] == "admit"),
        denied_by_reason=dict(reasons.most_common()),
        isolation_routed=steps["fever_confirmed"],
        # by the gate, or after a normal clinical reading for the code's colour or a positive test
        isolation_at_gate=sum(1 for c in checks if c["route"] == "isolation_room")
        + steps["routed_to_isolation"]
        - steps["fever_confirmed"],
        events_in_record=len(record.outbox()),
        events_delivered=record.count_sent(),
        events_unsent=record.count_unsent(),
        checks_received=received.checks,
        alerts_received=received.alerts,
        at_gate_s=Spread.of(at_gate),
        queue_s=Spread.of(waits),
        check_s=Spread.of([c["check_s"] for c in checks]),
        processing_ms=Spread.of([c["processing_ms"] for c in checks]),
        no_decision=no_decision,
        gave_up_waiting=gave_up,
        simulated_s=0.0,
        wall_s=0.0,
        broker=None,
        problems=problems,
        flagged=flagged,
        secondary_checks=resolved,
        admitted_by_staff=steps["admitted_by_staff"],
        refused_after_check=steps["refused_after_check"],
        open_flags=flagged - resolved,
        sensor_faults=sum(1 for c in checks if c["reason"] == "sensor_fault"),
        sensor_fault_events=_sensor_faults(record),
        fevers_admitted_at_gate=sum(1 for v in fevers_at_gate if v.relay_pulses),
        fevers_at_gate=len(fevers_at_gate),
        alerts_by_kind=received.alerts_by_kind,
        shift_refusals=shifts.refused,
        shift_expected=shifts.expected,
        shift_refusals_after_guard=shifts.after_guard,
        passages=dict(Counter(p["outcome"] for p in passages)),
        turned_back=sum(1 for v in visits if v.outcome == "turned_back"),
        drills=drills,
        freed=sum(1 for v in visits if v.outcome == "freed"),
        way_out=way_out_tally,
        final=final_outcome(visits, rows_by_person(who_was_there), outcomes, passages),
        screening=screening_tally(
            visits,
            rows_by_person(who_was_there),
            checks,
            rests,
            config.screening.secondary_budget,
        ),
    )


@dataclass
class Received:
    """What the operations centre's subscriber received, and where it differs from the record;
    ``checks`` and ``alerts`` are None without a subscriber."""

    checks: int | None = None
    alerts: int | None = None
    alerts_by_kind: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def received_by(
    subscriber: Subscriber, topics: GateTopics, record: Record, every_check: list[dict]
) -> Received:
    """Every check of the record arrived once, as recorded, and nothing else did."""
    problems: list[str] = []
    # QoS 1 may deliver a message twice; the operations centre counts events by their id
    # (what never left the record cannot arrive: no long wait for it)
    deadline = time.monotonic() + (10 if record.count_unsent() == 0 else 0.5)
    expected = {c["event_id"] for c in every_check}
    while time.monotonic() < deadline:
        if {m["event_id"] for m in subscriber.received(topics.check)} >= expected:
            break
        time.sleep(0.05)
    received = {m["event_id"]: m for m in subscriber.received(topics.check)}
    alerts = {m["event_id"]: m for m in subscriber.received_under(f"{topics.base}/alert/")}
    for c in every_check:
        m = received.get(c["event_id"])
        if m is None:
            problems.append(f"check {c['event_id']} is in the record but never arrived")
        elif (m["data"]["decision"], m["data"]["reason"], m["data"]["person_id"]) != (
            c["decision"],
            c["reason"],
            c["person_id"],
        ):
            problems.append(f"check {c['event_id']} arrived different from the record")
    extra = set(received) - expected
    problems.extend(f"event {e} arrived but is not in the record" for e in sorted(extra))
    by_kind = dict(Counter(m["data"]["kind"] for m in alerts.values()))
    return Received(len(received), len(alerts), by_kind, problems)


def _unanswered(
    visits: list[Visit], who_was_there: dict[str, tuple[SimPerson | None, CheckRow]]
) -> tuple[int, int]:
    """Who gave up waiting for room in the zone, and who stood at the gate and got no decision.
    Told to wait (no lamp: the display says so), some give up before anyone leaves: the gate
    answered them, they went."""
    told_to_wait = {
        person.person_id
        for person, row in who_was_there.values()
        if person is not None and row.route == "wait"
    }
    unanswered = [v for v in visits if v.outcome == "no_decision"]
    gave_up = sum(1 for v in unanswered if v.person.person_id in told_to_wait)
    return gave_up, len(unanswered) - gave_up


def _sensor_faults(record: Record) -> int:
    """How often the thermometer went into its fault state."""
    return sum(1 for e in record.rows("sensor_events") if e["kind"] == "sensor_fault")
