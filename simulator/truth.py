"""The self-check of a simulated shift: the gate's record against what the simulator knows and
the gate could not (who really stood in front, what they really did)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from simulator.crowd import (
    EXPECTED_REASON,
    SimPerson,
    is_attack,
)
from simulator.replays import code_owners
from simulator.rig import expected_through_but_for_the_shift
from simulator.summary import WayOutTally
from simulator.timetable import expected_shift, window_of_record
from simulator.world import Visit, World
from simulator.zone import (
    inside_at,
)
from terminal.config import Config
from terminal.record.store import CheckRow, Record


@dataclass
class WayThrough:
    """One way through the simulated gate as the simulator knows it: the people coming to it
    (its world) and who really stood in front when each of its checks was decided."""

    world: World
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]] = field(default_factory=dict)


def rows_by_person(
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
) -> dict[str, list[CheckRow]]:
    rows: dict[str, list[CheckRow]] = {}
    for person, row in who_was_there.values():
        if person is not None:
            rows.setdefault(person.person_id, []).append(row)
    return rows


def checks_against_the_truth(
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
    resolved: dict[str, tuple[str, str]] | None = None,
    held: Mapping[str, bool | None] | None = None,
) -> list[str]:
    """What the simulator knows and the gate could not: who really stood in front. ``held``:
    each screenshot's code, whether the gate held it when it was shown (``held_when_shown``);
    a screenshot not in it (a way out holds no code) is not refused for being one."""
    problems = []
    by_person: dict[str, list[CheckRow]] = {}
    for person, row in who_was_there.values():
        if person is None:
            problems.append(f"check {row.event_id} was made with nobody in front")
        else:
            by_person.setdefault(person.person_id, []).append(row)
    for visit in visits:
        pid = visit.person.person_id
        rows = by_person.get(pid, [])
        # a row may show someone else's code by design (code_of): the same worker again
        whose = visit.person.code_of or pid
        wrong = [r for r in rows if r.person_id is not None and r.person_id != whose]
        if visit.person.code == "replayed":
            wrong = [r for r in wrong if r.decision == "admit"]  # showing it is the attack
        if wrong:
            admitted = any(r.decision == "admit" for r in wrong)
            problems.append(
                f"{pid} was checked on someone else's code{' and ADMITTED' if admitted else ''}"
            )
        # a retry after "no code" is a new check, and so is the check of someone told to wait
        # for room in the zone once someone left, or to rest and scan again; any other second
        # check is a double count
        if any(r.reason not in ("no_code", "zone_full", "rest") for r in rows[:-1]):
            problems.append(f"{pid} was checked {len(rows)} times in one approach")
        if visit.outcome not in ("no_decision", "freed") and not rows:
            problems.append(f"{pid} got an answer without a check in the record")
        if visit.relay_pulses > 1:
            problems.append(f"the turnstile released {visit.relay_pulses} times for {pid}")
        problems.extend(_attack_answered(visit, rows, resolved or {}, held or {}))
        if visit.staff_pulses > 1 or (visit.staff_pulses and visit.relay_pulses):
            problems.append(f"the turnstile released more than once for {pid}")
        if any(r.reason == "sensor_fault" and r.decision == "admit" for r in rows):
            problems.append(f"{pid} was admitted on a sensor fault")
    return problems


def _attack_answered(
    visit: Visit,
    rows: list[CheckRow],
    resolved: dict[str, tuple[str, str]],
    held: Mapping[str, bool | None],
) -> list[str]:
    """A forged, tampered, stale, foreign or replayed code is refused, for its own reason: at
    the gate, or after the secondary check by the guard's decision. A screenshot is a replay to
    the gate only while its code is held (simulator/replays.py); otherwise the gate answers it
    as its owner's code, and an admission on it is caught as someone else's code."""
    kind, pid = visit.person.code, visit.person.person_id
    if not is_attack(kind) or not rows:
        return []
    if kind == "replayed" and not held.get(pid):
        return []
    final = rows[-1]
    admitted, reason = final.decision == "admit", final.reason
    if final.reason == "secondary_check" and final.event_id in resolved:
        step, reason = resolved[final.event_id]
        admitted = step == "admitted_by_staff"
    if admitted:
        return [f"{pid} showed a {kind} code and was ADMITTED"]
    screening = {
        "fever",
        "sensor_fault",
        "clock_unsynced",
        "multiple_codes",
        "unreadable_code",
        "secondary_check",  # still waiting for the guard
        "not_measured",
    }
    if reason != EXPECTED_REASON[kind] and reason not in screening:
        return [f"{pid} showed a {kind} code, refused as {reason}"]
    return []


def passages_against_the_truth(
    passages: list[dict],
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
) -> list[str]:
    """Every admission has its passage, and with a passage contact it says what the person
    really did: went through, or turned back. A person let in by staff after a secondary check
    was told so (the display says they may pass now) and went through."""
    problems = []
    visit_of = {v.person.person_id: v for v in visits}
    by_admission = {p["admission_id"]: p for p in passages}
    for event_id, (_, row) in who_was_there.items():
        if row.decision == "admit" and event_id not in by_admission:
            problems.append(f"admission {event_id} has no passage in the record")
    for passage in passages:
        if passage["admitted_by"] not in ("check", "guard"):
            continue
        person = who_was_there.get(passage["admission_id"], (None, None))[0]
        visit = visit_of.get(person.person_id) if person is not None else None
        if visit is None:
            continue
        pid, by_staff = visit.person.person_id, passage["admitted_by"] == "guard"
        if by_staff and not visit.staff_pulses:
            problems.append(f"{pid} was let in by staff and never told they may pass")
            continue
        went = by_staff or visit.outcome in ("passed", "freed")
        recorded = passage["outcome"]
        if recorded == "unconfirmed":
            continue  # no passage contact: the gate cannot tell
        if recorded != ("passed" if went else "not_passed"):
            did = "went through" if went else "turned back"
            problems.append(f"{pid} {did}, the record says {recorded}")
    return problems


def rests_against_the_truth(
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
    rests: list[dict] | None,
) -> list[str]:
    """Everyone refused for a rest was told so by the display (and rested), and nobody else
    was; the record's rests say who came back in time, as the people did. ``rests``: the
    record's (None: a record that keeps none)."""
    problems = []
    rows = rows_by_person(who_was_there)
    for visit in visits:
        pid = visit.person.person_id
        told = sum(1 for a in [*visit.earlier, visit] if a.told_to_rest_at is not None)
        refused = sum(1 for r in rows.get(pid, []) if r.reason == "rest")
        if told != refused:
            problems.append(
                f"{pid} was refused for a rest {refused} times and told to rest {told} times"
            )
    for rest in rests or []:
        person, row = who_was_there.get(rest.get("event_id", ""), (None, None))
        if person is None or row is None:
            continue
        later = [r for r in rows.get(person.person_id, []) if r.epoch_s > row.epoch_s]
        expires_s = rest.get("expires_s")
        in_time = bool(later) and (expires_s is None or later[0].epoch_s <= expires_s)
        status = rest.get("status")
        if in_time and status != "returned":
            problems.append(
                f"{person.person_id} came back from their rest, the record says {status}"
            )
        elif not later and status == "returned":
            problems.append(
                f"{person.person_id} never came back from their rest, the record says returned"
            )
    return problems


# the alarm is seen at the next camera frame, and believed after the input's debounce
DRILL_NOTICED_WITHIN_S = 1.0


def drills_against_the_record(
    world: World, record: Record, checks: list[dict], also_freed: list[World] | None = None
) -> tuple[list[tuple[float, float, float | None]], list[str]]:
    """Every fire alarm the world sounded freed the turnstile for as long as it lasted, with
    nobody screened meanwhile, and screening resumed when it cleared. ``also_freed``: the way
    out of a gate that serves both, whose turnstile the same alarm frees."""
    found: list[tuple[float, float, float | None]] = []
    problems: list[str] = []
    emergencies = record.rows("emergencies")
    for sounds_from, until in world.alarms:
        if until == float("inf"):
            continue  # a cut wire: an emergency without end
        seen = [
            e for e in emergencies if 0 <= e["started_s"] - sounds_from < DRILL_NOTICED_WITHIN_S
        ]
        if not seen or seen[0]["ended_s"] is None:
            problems.append(
                f"the fire alarm at {sounds_from:.0f} is not in the record, or never ended"
            )
            continue
        started, ended = seen[0]["started_s"], seen[0]["ended_s"]
        if not 0 <= ended - until < DRILL_NOTICED_WITHIN_S:
            problems.append(f"the fire alarm cleared at {until:.0f}, the record says {ended:.0f}")
        for freed, which in [(world, "the turnstile")] + [
            (other, "the way out's turnstile") for other in also_freed or []
        ]:
            if not _held_free(freed, started, ended):
                problems.append(
                    f"{which} was not held free through the fire alarm at {started:.0f}"
                )
        # a check under way when the alarm sounded is finished; none starts while it lasts
        during = [c for c in checks if started < c["epoch_s"] - c["check_s"] < ended]
        if during:
            problems.append(f"{len(during)} checks started during the fire alarm")
        after = [c["epoch_s"] - ended for c in checks if c["epoch_s"] >= ended]
        found.append((started - sounds_from, ended - started, min(after) if after else None))
    return found, problems


def _held_free(world: World, started: float, ended: float) -> bool:
    """The world's turnstile was released from ``started`` until ``ended`` without a break."""
    relay, free = world.pins.relay, int(world.pins.relay_active_high)
    shut = [
        c
        for c in world.gpio.changes
        if c.pin == relay and started <= c.time_s < ended and c.level != free
    ]
    return not shut and world.gpio.levels_at(relay, started) == free


def way_out_against_the_truth(
    way_out: WayThrough, checks: list[dict], passages: list[dict]
) -> tuple[WayOutTally, list[str]]:
    """The way out of a gate that serves both, as its record has it, checked as the way in is:
    who really stood in front, every release's passage as the person really went; and everyone
    who showed a code there answered. Its refusals are answered by the relay only: the person
    waits at the shut turnstile, then goes to a guard (``no_decision``, as the world has it)."""
    visits, who = way_out.world.visits, way_out.who_was_there
    found = checks_against_the_truth(visits, who)
    found += passages_against_the_truth(passages, visits, who)
    rows = rows_by_person(who)
    for visit in visits:
        checked = rows.get(visit.person.person_id, [])
        if visit.outcome != "no_decision" or (visit.payload is None and not checked):
            continue  # someone who shows nothing is not noticed there, as documented
        if not checked or checked[-1].decision != "deny":
            found.append(f"{visit.person.person_id} stood there and got no decision")
    tally = WayOutTally(
        people=len(visits),
        checks=len(checks),
        let_out=sum(1 for c in checks if c["decision"] == "admit"),
        refused=dict(Counter(c["reason"] for c in checks if c["decision"] == "deny").most_common()),
        passages=dict(Counter(p["outcome"] for p in passages)),
        turned_back=sum(1 for v in visits if v.outcome == "turned_back"),
        freed=sum(1 for v in visits if v.outcome == "freed"),
    )
    return tally, [f"on the way out: {problem}" for problem in found]


def let_out_as_the_world_knows(
    config: Config,
    exits: list[WayThrough],
    visits_by_way: dict[str, tuple[str, list[Visit]]],
) -> list[str]:
    """The world's truth, not the record's: an exit lets out the holder of a code the world
    knows is inside, and refuses ``not_inside`` only one it knows is not (under anti-passback
    ``record_only`` an exit is admitted and recorded either way)."""
    if config.zone.name is None or config.zone.anti_passback == "record_only":
        return []
    problems = []
    for way in exits:
        rows = rows_by_person(way.who_was_there)
        for visit in way.world.visits:
            pid = visit.person.person_id
            final = rows.get(pid, [None])[-1]
            if final is None or final.reason not in ("admitted", "not_inside"):
                continue
            holder = visit.person.code_of or pid
            inside = holder in inside_at(visits_by_way, final.epoch_s)
            if final.reason == "admitted" and not inside:
                problems.append(
                    f"{pid} was let out on {holder}'s code, and {holder} was not inside"
                )
            elif final.reason == "not_inside" and inside:
                problems.append(f"{pid} was refused not_inside, and {holder} was inside")
    return problems


@dataclass
class ShiftTally:
    refused: dict[str, int] = field(default_factory=dict)  # reason -> refused with a window
    after_guard: dict[str, int] = field(default_factory=dict)  # flagged, then refused by reason
    expected: int = 0  # workers of a configured group the timetable check could judge
    problems: list[str] = field(default_factory=list)


SHIFT_REASONS = ("shift_early", "shift_late", "shift_not_today", "gate_not_serving_group")


def shifts_as_timetabled(
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
    config: Config,
    resolved: dict[str, tuple[str, str]],
) -> ShiftTally:
    """Each worker of a configured group answered as the simulator's own reading of the
    timetable says: admitted in time; refused early or late with the next window otherwise (a
    flagged worker: by the guard's decision after a normal clinical reading). A screenshot is
    answered for its code's owner: their group, their window."""
    tally = ShiftTally()
    rows: dict[str, list[CheckRow]] = {}
    for person, row in who_was_there.values():
        if person is not None:
            rows.setdefault(person.person_id, []).append(row)
    zone = ZoneInfo(config.gate.timezone)
    refused: Counter[str] = Counter()
    after_guard: Counter[str] = Counter()
    owners = code_owners(visits)
    for visit in visits:
        person = visit.person
        checked = rows.get(person.person_id)
        owner = owners.get(person.person_id)
        worker = owner.person if owner is not None else person  # whose code the gate judged
        if (
            worker.group is None
            or not checked
            or not expected_through_but_for_the_shift(person)
            or not expected_through_but_for_the_shift(worker)
        ):
            continue
        final = checked[-1]
        # when they stood at the gate, not when they joined the queue: the gate's record has it;
        # back from a rest, when the gate told them to rest (a rest never makes anyone late)
        told = [row for row in checked if row.reason == "rest"]
        rested = getattr(final, "screening", None) in ("rest_pass", "rest_guard") and told
        at_gate = datetime.fromtimestamp((told[0] if rested else final).epoch_s, zone)
        expected = expected_shift(config, worker.group, at_gate)
        reason, by_guard = final.reason, final.event_id in resolved
        if by_guard:
            reason = resolved[final.event_id][1]  # the guard's decision, not the flag
        if expected is None or reason not in (*SHIFT_REASONS, "admitted"):
            continue  # the clocks change (the gate's tests cover it), or the screening decided
        tally.expected += 1
        said = reason if reason in SHIFT_REASONS else None
        on_code = f" on {owner.person.person_id}'s code" if owner is not None else ""
        if said != expected.reason:
            tally.problems.append(
                f"{person.person_id}{on_code} of group {worker.group} at {at_gate:%H:%M:%S}: the "
                f"timetable says {expected.reason or 'in time'}, the gate said {reason}"
            )
        elif by_guard:
            # the guard tells them in person; the check's window is the gate's answer
            after_guard[said or "admitted"] += 1
        elif said is not None and window_of_record(final.next_window) != expected.window:
            tally.problems.append(
                f"{person.person_id}{on_code} refused as {said} with the window "
                f"{final.next_window}, "
                f"the timetable's next is {expected.window}"
            )
        elif said is not None:
            refused[said] += 1
    tally.refused = dict(refused)
    tally.after_guard = {k: n for k, n in after_guard.items() if k != "admitted"}
    return tally
