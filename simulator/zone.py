"""A zone's gates side by side: each with its own simulated entrance (the real drivers on the GPIO
twin), its own SQLite record and its own publisher on one real broker, sharing their passages on
the operations link as real gates do.

Each gate's clock is its own; they poll in turn, the one whose clock is behind first, so that
their simulated times stay together, and a passage one gate sends has reached every other before
any of them goes on. What is not simulated: two gates deciding in the same simulated instant (a
check runs within one poll, a few simulated seconds), the window the README names."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from simulator.camera import LEAD_S
from simulator.crowd import SimPerson
from simulator.factory import SimulatedDevices
from simulator.rig import Rig, build_rig
from simulator.world import Pace, Visit, World
from terminal.app.build import build_gate
from terminal.common.errors import GateError
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.gate.sides import BothWays
from terminal.link.publisher import Publisher
from terminal.record.store import COUNTED_OUTCOMES, CheckRow, Record
from terminal.rules.policy import Decision

HEARD_WITHIN_S = 10.0  # real seconds a passage may take across the broker to every peer
MAX_POLLS = 2_000_000  # a day of several gates polls a few hundred thousand times


def with_a_way_out(config: Config, people: list[SimPerson]) -> tuple[Config, str | None]:
    """A crowd some of whom go out, at a config with no gate for the way out: the simulated
    entrance gains an exit gate beside the config's (of its zone, where it has one), so that
    they leave as they would; and the line that says so. Otherwise the config as it is."""
    ways = {config.gate.direction, *config.simulator.zone_gates.values()}
    leaving = sum(1 for person in people if person.direction == "out")
    if not leaving or ways & {"exit", "both"}:
        return config, None
    taken = {config.gate.id, *config.simulator.zone_gates, *config.zone.gates}
    exit_id = f"{config.gate.id[:60]}-out"
    while exit_id in taken:
        exit_id = f"{exit_id[:63]}_"
    zone = config.zone
    if zone.name is not None:
        gates = zone.gates or [config.gate.id, *config.simulator.zone_gates]
        zone = zone.model_copy(update={"gates": [*gates, exit_id]})
    zone_gates = {**config.simulator.zone_gates, exit_id: "exit"}
    simulator = config.simulator.model_copy(update={"zone_gates": zone_gates})
    said = (
        f"{leaving} of the crowd go out and the config has no exit gate: they leave by"
        f" {exit_id}, an exit gate the simulator adds"
        + (f" to zone {zone.name}" if zone.name is not None else "")
    )
    return config.model_copy(update={"zone": zone, "simulator": simulator}), said


class ZoneOutOfStep(GateError, RuntimeError):
    """A gate's passage did not reach the others, or the gates never finished."""


def passages_sent(record: Record, sent: bool = True) -> int:
    """The gate's passage messages the broker has taken (``sent``), or not yet."""
    count = record.count_sent if sent else record.count_unsent
    return count(topic_suffix="/event/passage")


@dataclass
class Station:
    """One gate as the zone's loop drives it."""

    name: str
    now: Callable[[], float]
    poll: Callable[[], object]
    finished: Callable[[], bool]  # its people are gone and its last passage is closed
    record: Record
    publisher: Publisher | None
    # what the gate heard from the others, taken in without moving its clock: a gate far ahead
    # (nobody coming until a drill hours later) must not let its peers' passages pile up unread
    take_in: Callable[[], None] | None = None


class ZoneGate:
    """One gate of the zone: its rig, record, publisher on the broker, and the gate (a gate that
    serves both ways runs both its sides). Who was in front at each check (the simulator's
    truth) is kept in ``who_was_there``; for the way out of a gate serving both, in
    ``who_went_out``."""

    def __init__(
        self,
        config: Config,
        people: list[SimPerson],
        host: str,
        port: int,
        *,
        record_path: Path | None = None,
        everyone: list[SimPerson] | None = None,
        seed: int = 0,
        pace: Pace | None = None,
        simulated: bool = False,
    ) -> None:
        self.config = config
        self.people = people
        self.rig: Rig = build_rig(config, people, seed=seed, pace=pace, everyone=everyone)
        self.record_path = record_path or config.resolved(config.record.path)
        self.who_was_there: dict[str, tuple[SimPerson | None, CheckRow]] = {}
        self.who_went_out: dict[str, tuple[SimPerson | None, CheckRow]] = {}
        mqtt = config.mqtt.model_copy(update={"host": host, "port": port})
        # built as the service builds a gate: its housekeeping runs on the simulated clock
        self.app = build_gate(
            self.rig.config.model_copy(update={"mqtt": mqtt}),
            SimulatedDevices(self.rig),
            roster=self.rig.roster,
            record_path=self.record_path,
            on_check=self._remember,
            display_for=lambda _state: None,  # the zone's screens show the main gate only
            mark_simulated=simulated,
            own_session=True,
        )
        self.record, self.state, self.publisher = (
            self.app.record,
            self.app.state,
            self.app.publisher,
        )
        self.devices, self.gate = self.app.devices, self.app.gate

    def _remember(self, row: CheckRow, decision: Decision) -> None:
        world, who = self.rig.world, self.who_was_there
        if self.rig.exit_world is not None and row.direction == "exit":
            world, who = self.rig.exit_world, self.who_went_out
        front = world.front
        who[row.event_id] = (front.person if front else None, row)

    @property
    def sides(self) -> tuple[Gate, ...]:
        return self.gate.sides if isinstance(self.gate, BothWays) else (self.gate,)

    @property
    def now(self) -> float:
        return self.rig.world.clock.time()

    def passages_sent(self) -> int:
        return passages_sent(self.record)

    def checks(self) -> list[tuple[str, str, str]]:
        return [(c["person_id"], c["reason"], c["route"]) for c in self.record.checks()]

    def start(self) -> None:
        self.app.start()
        assert self.publisher is not None
        if not self.publisher.wait_connected(10):
            raise ZoneOutOfStep(f"gate {self.config.gate.id}: the broker did not answer")

    def station(self) -> Station:
        return Station(
            self.config.gate.id,
            lambda: self.now,
            self._poll,
            self.finished,
            self.record,
            self.publisher,
            lambda: self.gate.hear_zone(self.now),
        )

    def _poll(self) -> None:
        """The gate looks, and takes the centre's commands. The half-minute chores are the main
        gate's: a status at every change of the zone, and no other, is what the zone's gates
        are checked by."""
        self.app.gate.poll()
        self.app.take_commands()

    def finished(self) -> bool:
        """Its people are gone, its last passage is closed, and it has lived through every fire
        alarm its panel sounds (a drill frees every gate of the zone)."""
        return (
            self.rig.done
            and not any(side.passages.waiting for side in self.sides)
            and alarms_over(self.rig.world, self.now)
        )

    def stop(self) -> None:
        self.app.stop(flush_timeout_s=None)


def alarms_over(world: World, now_s: float) -> bool:
    """Every fire alarm the world sounds (a cut wire aside) has come and gone, and the gate has
    had the time to see it clear."""
    ends = [until for _, until in world.alarms if until != float("inf")]
    return now_s > max(ends, default=float("-inf")) + LEAD_S


def _heard(publisher: Publisher, passages: int, timeout_s: float) -> bool:
    """The publisher has heard this many of its zone peers' passages, within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while publisher.peer_passages_heard < passages:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def run_behind_first(stations: list[Station], heard_within_s: float = HEARD_WITHIN_S) -> None:
    """Every gate polls in turn, the one whose clock is behind first, until all are finished;
    each passage a gate sends is heard by every other before any goes on; at the end, a gate
    done early takes in what the others sent since. One gate alone just polls."""
    shared = len(stations) > 1
    # what each gate sent and heard before: a record may hold an earlier run's passages
    sent_before = {id(s): passages_sent(s.record) if shared else 0 for s in stations}
    heard_before = {id(s): s.publisher.peer_passages_heard if s.publisher else 0 for s in stations}
    sent = dict.fromkeys(sent_before, 0)  # since
    for _ in range(MAX_POLLS):
        live = [s for s in stations if not s.finished()]
        if not live:
            if shared:
                for station in stations:
                    station.poll()
            return
        behind = min(live, key=lambda s: s.now())
        behind.poll()
        if not shared or behind.publisher is None:
            continue
        # a passage the gate recorded is on the broker before any gate goes on
        unsent = passages_sent(behind.record, sent=False)
        if unsent and not behind.publisher.flush(timeout_s=heard_within_s):
            raise ZoneOutOfStep(f"gate {behind.name}: its events did not reach the broker")
        now_sent = passages_sent(behind.record) - sent_before[id(behind)]
        if now_sent == sent[id(behind)]:
            continue
        sent[id(behind)] = now_sent
        for other in stations:
            publisher = other.publisher
            if other is behind or publisher is None:
                continue
            # every passage the others sent, heard (a redelivery may count twice: never fewer)
            expected = heard_before[id(other)] + sum(n for k, n in sent.items() if k != id(other))
            if not _heard(publisher, expected, heard_within_s):
                raise ZoneOutOfStep(f"gate {other.name} did not hear gate {behind.name}'s passage")
            if other.take_in is not None:
                other.take_in()
            if other.finished():
                other.poll()  # a gate with nobody left to come still takes the passages in
    raise ZoneOutOfStep("the zone's simulated shift did not finish")


def run_zone(gates: list[ZoneGate]) -> None:
    """The zone's gates, connected, through their people."""
    for gate in gates:
        gate.start()
    run_behind_first([gate.station() for gate in gates])


# --- the zone in the simulated day's summary ----------------------------------------------------
@dataclass(frozen=True)
class GateTally:
    gate: str
    direction: str
    checks: int
    through: int  # passages that went through (or, without a passage contact, releases)
    refused: dict[str, int]


@dataclass
class ZoneTally:
    name: str
    capacity: int | None
    timezone: str
    gates: list[GateTally] = field(default_factory=list)
    occupancy: list[tuple[float, int]] = field(default_factory=list)  # the main gate's record
    # (gate refusing, person, the gate of the entry it names)
    passbacks: list[tuple[str, str, str]] = field(default_factory=list)
    waits: int = 0  # entries told to wait (zone_full)
    admitted_after_wait: int = 0  # of those, let in once someone had left
    people: dict[str, int] = field(default_factory=dict)  # who came to each gate (the world's)
    drill_freed: list[str] = field(default_factory=list)  # the other gates the drill freed

    @property
    def peak(self) -> int:
        return max((inside for _, inside in self.occupancy), default=0)

    @property
    def peak_at_s(self) -> float | None:
        peak = self.peak
        return next((at for at, inside in self.occupancy if inside == peak), None)


def zone_tally(config: Config, records: Mapping[str, tuple[str, Record]]) -> ZoneTally:
    """The zone as the gates' records have it. ``records``: each gate's direction and record,
    the main gate first."""
    zone = config.zone
    if zone.name is None:
        raise ValueError(f"{config.source}: no zone.name, no zone to count")
    main = next(iter(records.values()))[1]
    tally = ZoneTally(zone.name, zone.capacity, config.gate.timezone)
    tally.occupancy = main.occupancy_over_time(zone.name)
    admissions = {}  # check event id -> the gate that made it
    for gate, (_, record) in records.items():
        for check in record.checks():
            admissions[check["event_id"]] = gate
    for gate, (direction, record) in records.items():
        checks = record.checks()
        own = [p for p in record.passages() if p["gate"] is None]
        refused = Counter(c["reason"] for c in checks if c["decision"] == "deny")
        tally.gates.append(
            GateTally(
                gate,
                direction,
                len(checks),
                sum(1 for p in own if p["outcome"] in COUNTED_OUTCOMES),
                dict(refused.most_common()),
            )
        )
        for index, check in enumerate(checks):
            if check["reason"] == "anti_passback":
                entered_at = admissions.get(check["passback_of"], "an unknown gate")
                tally.passbacks.append((gate, check["person_id"], entered_at))
            if check["reason"] == "zone_full":
                tally.waits += 1
                later = checks[index + 1 : index + 2]
                if (
                    later
                    and later[0]["person_id"] == check["person_id"]
                    and (later[0]["decision"] == "admit")
                ):
                    tally.admitted_after_wait += 1
    return tally


def _clock(epoch_s: float, timezone: str) -> str:
    return f"{datetime.fromtimestamp(epoch_s, ZoneInfo(timezone)):%H:%M:%S}"


def zone_problems(tally: ZoneTally, records: Mapping[str, tuple[str, Record]]) -> list[str]:
    """The simulator checks itself: the zone never held more than its capacity, and every gate's
    record counts the zone as the main gate's does."""
    problems = []
    counted = _to_the_ms(tally.occupancy)
    over = [
        (at, n) for at, n in tally.occupancy if tally.capacity is not None and n > tally.capacity
    ]
    if over:
        at, inside = over[0]
        problems.append(
            f"zone {tally.name} held {inside} at {_clock(at, tally.timezone)}, over its capacity"
            f" {tally.capacity}"
        )
    for gate, (_, record) in list(records.items())[1:]:
        if _to_the_ms(record.occupancy_over_time(tally.name)) != counted:
            problems.append(f"gate {gate}'s record counts zone {tally.name} differently")
    return problems


def _to_the_ms(series: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """A peer's passage times come as ISO text, to the microsecond: compared to the ms."""
    return [(round(at, 3), inside) for at, inside in series]


def _moves(
    visits_by_gate: Mapping[str, tuple[str, list[Visit]]],
) -> list[tuple[float, str, str, str]]:
    """Everyone who went through a turnstile, in time order: (when, direction, whose code,
    who)."""
    moves = []
    for direction, visits in visits_by_gate.values():
        for visit in visits:
            # through on a check, or let through by staff after a secondary check
            through = visit.outcome == "passed" or visit.staff_pulses > 0
            if through and visit.reacted_at is not None:
                holder = visit.person.code_of or visit.person.person_id
                moves.append((visit.reacted_at, direction, holder, visit.person.person_id))
    return sorted(moves)


def entries_of_someone_inside(visits_by_gate: Mapping[str, tuple[str, list[Visit]]]) -> list[str]:
    """The world's truth, not the record's: an entry that let someone in on the code of a
    person who was inside, and had not left through an exit (a code passed back)."""
    inside: set[str] = set()
    problems = []
    for _, direction, holder, person_id in _moves(visits_by_gate):
        if direction == "exit":
            inside.discard(holder)
        elif holder in inside:
            problems.append(f"{person_id} went in on {holder}'s code while {holder} was inside")
        else:
            inside.add(holder)
    return problems


def inside_at(visits_by_gate: Mapping[str, tuple[str, list[Visit]]], at_s: float) -> set[str]:
    """Whose codes the world knows are inside at ``at_s``: they went in through a turnstile
    and have not gone out through one since."""
    inside: set[str] = set()
    for moved_at, direction, holder, _ in _moves(visits_by_gate):
        if moved_at >= at_s:
            break
        if direction == "exit":
            inside.discard(holder)
        else:
            inside.add(holder)
    return inside


def format_zone(tally: ZoneTally) -> list[str]:
    tz = tally.timezone
    capacity = "no capacity" if tally.capacity is None else f"capacity {tally.capacity}"
    peak_at = "" if tally.peak_at_s is None else f" at {_clock(tally.peak_at_s, tz)[:5]}"
    end = tally.occupancy[-1][1] if tally.occupancy else 0
    lines = [
        f"  zone {tally.name:<17} {capacity}, occupancy peak {tally.peak}{peak_at}, at the end"
        f" {end} (counted from every gate's passages)"
    ]
    for g in tally.gates:
        refused = ", ".join(f"{r} {n}" for r, n in g.refused.items()) or "none"
        lines.append(
            f"    {g.gate:<10} {g.direction:<6} {tally.people.get(g.gate, 0):>4} people,"
            f" {g.checks:>4} checks, {g.through:>4} through; refused: {refused}"
        )
    passbacks = "; ".join(
        f"{person}'s code at {gate} (entered at {entered})"
        for gate, person, entered in tally.passbacks
    )
    lines += [
        f"    anti-passback        {len(tally.passbacks)} refused"
        + (f": {passbacks}" if passbacks else ""),
        f"    zone full            {tally.waits} told to wait, {tally.admitted_after_wait} let in"
        " once someone had left",
    ]
    if tally.drill_freed:
        freed = " and ".join(tally.drill_freed)
        lines.append(
            f"    fire drill           the zone's alarm panel freed {freed} too: each held free"
            " for as long as it sounded, by its own record"
        )
    return lines
