"""``gate-terminal simulate``: a shift of people through one simulated gate, with the real gate
software, the real record, and a real MQTT broker; then a summary that is checked against the
record and against what a subscriber at the operations centre received."""

from __future__ import annotations

import contextlib
import csv
import json
import queue
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from simulator.broker import BrokerUnavailable, PrivateBroker
from simulator.crowd import (
    EXPECTED_REASON,
    ScenarioError,
    SimPerson,
    check_groups,
    crowd_mix,
    in_groups,
    is_attack,
    load_scenario,
    random_crowd,
)
from simulator.day import DayFigures, day_figures, format_day, write_plot
from simulator.guard import SimulatedGuard
from simulator.outcome import FinalOutcome, final_outcome, format_outcome, guard_decisions
from simulator.progress import LogsBesideTheBar, Progress, ShiftLog, shift_log_path
from simulator.rig import Rig, build_rig, expected_through_but_for_the_shift, shift_start_epoch
from simulator.screens import (
    DEMO_DATABASE_NAME,
    DemoScreens,
    ScreensOptions,
    start_screens,
    stay_until_stopped,
)
from simulator.simrecord import (
    claim_simulated_record,
    peer_record,
    replace_simulated_record,
)
from simulator.timetable import expected_shift, window_of_record
from simulator.world import Pace, Visit, World
from simulator.zone import (
    Station,
    ZoneGate,
    ZoneTally,
    alarms_over,
    entries_of_someone_inside,
    format_zone,
    inside_at,
    run_behind_first,
    with_a_way_out,
    zone_problems,
    zone_tally,
)
from terminal.common.errors import GateError
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.gate.sides import BothWays
from terminal.gate.state import GateState
from terminal.link.commands import CommandContext, CommandDesk, CommandRegistry, standard_registry
from terminal.link.publisher import Publisher
from terminal.link.topics import GateTopics, Messages, new_event_id
from terminal.link.zonelink import peer_passage_topics, peer_status_topics
from terminal.record.store import CheckRow, Record
from terminal.rules.policy import Decision

RESULTS_HEADER = ["person_id", "decision", "reason", "temperature_c"]


class Subscriber:
    """The operations centre's side: everything under the gate's topics, as received.

    With a ``client_id`` and ``persistent=True`` it keeps its session on the broker (clean
    session off): what the broker took while this subscriber was away, or across a broker restart
    with persistence, is delivered when it is back."""

    def __init__(
        self,
        host: str,
        port: int,
        topics: GateTopics,
        ca_file: Path | None = None,
        *,
        client_id: str | None = None,
        persistent: bool = False,
        login: tuple[str, str] | None = None,
        subscription: str | None = None,
    ) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.raw: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"ops-{time.monotonic_ns()}",
            clean_session=not persistent,
        )
        wanted = subscription or f"{topics.base}/#"
        self.client.on_connect = lambda c, *_: c.subscribe(wanted, qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        if login is not None:
            self.client.username_pw_set(*login)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        try:
            self.client.connect(host, port)
        except OSError as exc:
            raise BrokerUnavailable(f"cannot reach {host}:{port}: {exc}") from None
        self.client.loop_start()
        if not self._ready.wait(10):
            self.stop()
            raise BrokerUnavailable(f"could not subscribe at {host}:{port}")

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.raw.append((message.topic, bytes(message.payload)))
            with contextlib.suppress(ValueError):  # not JSON: kept in raw, for the tests
                self.messages.append((message.topic, json.loads(message.payload)))

    def received(self, topic: str) -> list[dict]:
        with self._lock:
            return [payload for t, payload in self.messages if t == topic]

    def received_under(self, prefix: str) -> list[dict]:
        with self._lock:
            return [payload for t, payload in self.messages if t.startswith(prefix)]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass(frozen=True)
class Spread:
    p50: float
    p95: float

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(percentile(values, 0.5), percentile(values, 0.95))

    def show(self, unit: str, digits: int = 2) -> str:
        return f"p50 {self.p50:.{digits}f} {unit}, p95 {self.p95:.{digits}f} {unit}"


@dataclass
class Summary:
    people: int
    checks: int
    admitted: int
    denied_by_reason: dict[str, int]
    isolation_routed: int  # fevers confirmed by a guard, routed to the isolation room
    isolation_at_gate: int  # routed there by the gate itself: a code's colour, a positive test
    events_in_record: int
    events_delivered: int
    events_unsent: int
    checks_received: int | None
    alerts_received: int | None
    at_gate_s: Spread  # as a person lives it: leaving the queue to turnstile or refusal
    queue_s: Spread
    check_s: Spread  # the gate's own: noticed to decided
    processing_ms: Spread  # real time the software spent per check
    no_decision: int
    simulated_s: float
    wall_s: float
    broker: str | None
    problems: list[str] = field(default_factory=list)
    drain: str = ""
    gave_up_waiting: int = 0  # told the zone is full, gone before there was room
    flagged: int = 0  # sent to the secondary check by the screening
    secondary_checks: int = 0  # resolved by a guard's clinical reading
    admitted_by_staff: int = 0
    refused_after_check: int = 0
    open_flags: int = 0
    sensor_faults: int = 0  # checks refused for a sensor fault
    sensor_fault_events: int = 0  # times the thermometer went into its fault state
    fevers_admitted_at_gate: int = 0  # core >= 37.5 °C, admitted without a flag (truth)
    fevers_at_gate: int = 0
    alerts_by_kind: dict[str, int] = field(default_factory=dict)  # as the subscriber received
    real_time: bool = False  # beside the screens: the gate's waits were real
    # workers of the config's groups refused for their shift, with their next window, as the
    # simulator's own timetable expected (by reason); how many its timetable judged
    shift_refusals: dict[str, int] = field(default_factory=dict)
    shift_expected: int = 0
    shift_refusals_after_guard: dict[str, int] = field(default_factory=dict)  # flagged first
    # passages: with a passage contact, went through or not within the window (by the record)
    passages: dict[str, int] = field(default_factory=dict)
    turned_back: int = 0  # admitted people who did not go through (the world's truth)
    # each fire drill as the gate lived it: (freed after the alarm s, held s, next check after s)
    drills: list[tuple[float, float, float | None]] = field(default_factory=list)
    freed: int = 0  # people in front when the alarm freed the turnstile
    day: DayFigures | None = None  # queue, windows and occupancy over the day, with its plot
    zone: ZoneTally | None = None  # the zone's gates, occupancy, anti-passback and waits
    # a gate that serves both ways: the figures above are its way in's, these its way out's
    way_out: WayOutTally | None = None
    log: ShiftLog | None = None  # the shift's log file, and how many warnings and errors it holds
    final: FinalOutcome | None = None  # how it ended for each person: the summary's first lines

    def agrees(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class WayOutTally:
    """The way out of a gate that serves both directions, by the record (the people: the
    world's)."""

    people: int
    checks: int
    let_out: int
    refused: dict[str, int]
    passages: dict[str, int]
    turned_back: int  # let out, and did not go through (the world's truth)
    freed: int  # in front when the fire alarm freed the way out


@dataclass
class WayThrough:
    """One way through the simulated gate as the simulator knows it: the people coming to it
    (its world) and who really stood in front when each of its checks was decided."""

    world: World
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]] = field(default_factory=dict)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def _people(
    config: Config, workers: int | None, seed: int | None, scenario: Path | None
) -> list[SimPerson]:
    if scenario is not None:
        people = load_scenario(scenario, day_gates(config))
        check_groups(people, set(config.shifts.groups), str(scenario))
        return people
    sim = config.simulator
    mix = crowd_mix(config)
    crowd = random_crowd(workers or sim.workers, seed if seed is not None else sim.seed, mix)
    return in_groups(crowd, list(sim.groups))


def day_gates(config: Config) -> dict[str, str]:
    """The simulated gates and their directions: the config's own first, then the zone's
    others (``simulator.zone_gates``)."""
    return {config.gate.id: config.gate.direction, **config.simulator.zone_gates}


def _serves(config: Config, gate: str, direction: str, person: SimPerson) -> bool:
    wanted = "exit" if person.direction == "out" else "entry"
    if direction not in (wanted, "both"):
        return False
    group = config.shifts.groups.get(person.group or "")
    return wanted == "exit" or group is None or group.gates is None or gate in group.gates


def people_at_gates(config: Config, people: list[SimPerson]) -> dict[str, list[SimPerson]]:
    """Who comes to which gate: the one their row names, else, going in, the first entry gate
    that serves their group, and going out, the first exit gate."""
    gates = day_gates(config)
    at: dict[str, list[SimPerson]] = {gate: [] for gate in gates}
    for person in people:
        gate = person.gate or next(
            (g for g, direction in gates.items() if _serves(config, g, direction, person)), None
        )
        if gate is None or gate not in gates:
            way = (
                "out, and no gate of the day is an exit gate"
                if person.direction == "out"
                else ("in, and no entry gate of the day serves their group")
            )
            raise ScenarioError(
                f"{config.source}: {person.person_id} goes {way} (gate.direction,"
                " simulator.zone_gates)"
            )
        at[gate].append(person)
    return at


@dataclass
class ShiftRun:
    summary: Summary
    rig: Rig
    record_path: Path
    checks_by_person: dict[str, CheckRow]
    summary_printed: bool = False  # beside the screens, printed before they closed
    # every simulated gate's record, the main gate's first
    records: dict[str, Path] = field(default_factory=dict)
    # the main gate's people and who stood in front at each check: its way in (or its one
    # way), and the way out of a gate that serves both
    way_in: WayThrough | None = None
    way_out: WayThrough | None = None


def run_simulation(
    config: Config,
    *,
    workers: int | None = None,
    seed: int | None = None,
    broker: tuple[str, int] | None = None,
    scenario: Path | None = None,
    people: list[SimPerson] | None = None,
    pace: Pace | None = None,
    results: Path | None = None,
    record_path: Path | None = None,
    out: TextIO = sys.stderr,
    drain_timeout_s: float = 15.0,
    screens: ScreensOptions | None = None,
    plot: Path | None = None,
) -> ShiftRun:
    wall_started = time.perf_counter()
    if screens is not None:
        config = starting_now(config, workers)
    if people is None:
        people = _people(config, workers, seed, scenario)
    check_groups(people, set(config.shifts.groups), "the crowd")
    config, added = with_a_way_out(config, people)
    if added is not None:
        out.write(added + "\n")
    zone_gates = config.simulator.zone_gates
    if zone_gates and screens is not None:
        raise ScreensUnavailable(
            "the screens show one gate: a config with simulator.zone_gates runs without them"
        )
    at_gates = people_at_gates(config, people)
    everyone, people = people, at_gates[config.gate.id]
    rig = build_rig(
        config,
        people,
        everyone=everyone,
        seed=seed if seed is not None else config.simulator.seed,
        pace=pace,
        real_time=screens is not None,
        # beside the screens the gate's clock is the wall clock: switched on just now
        switched_on_before_s=SWITCHED_ON_S if screens is not None else 60.0,
    )
    record_path = claim_simulated_record(config, record_path)
    peer_records = {gate: peer_record(record_path, gate) for gate in zone_gates}
    topics = GateTopics(config.gate.park, config.gate.id)
    private: PrivateBroker | None = None
    broker_text: str | None = None
    publisher: Publisher | None = None
    subscriber: Subscriber | None = None
    record: Record | None = None
    devices = None
    demo: DemoScreens | None = None
    peers: list[ZoneGate] = []
    logs: LogsBesideTheBar | None = None
    try:
        # the broker first: the previous simulated record is replaced only once the run can start
        if broker is None:
            try:
                private = PrivateBroker().start()
                broker = (private.host, private.port)
            except BrokerUnavailable as exc:
                out.write(f"No broker: {exc}.\nEvents stay unsent in the record {record_path}.\n")
        if broker is not None:
            probe_broker(*broker)
            broker_text = f"{broker[0]}:{broker[1]}"
            subscriber = Subscriber(broker[0], broker[1], topics)
        elif zone_gates:
            raise BrokerUnavailable(
                "the zone's gates (simulator.zone_gates) share their passages through a broker"
            )
        replace_simulated_record(record_path)
        record = Record(record_path)
        record.mark_simulated()
        for index, (gate_id, direction) in enumerate(zone_gates.items()):
            assert broker is not None
            replace_simulated_record(peer_records[gate_id])
            gate_section = config.gate.model_copy(update={"id": gate_id, "direction": direction})
            # a peer serving both ways is wired as this gate; one of one direction has no way out
            exit_side = config.exit_side if direction == "both" else None
            peers.append(
                ZoneGate(
                    config.model_copy(update={"gate": gate_section, "exit_side": exit_side}),
                    at_gates[gate_id],
                    *broker,
                    record_path=peer_records[gate_id],
                    everyone=everyone,
                    seed=(seed if seed is not None else config.simulator.seed) + index + 1,
                    pace=pace,
                    simulated=True,
                )
            )
        # the fire alarm panel is the zone's: a drill frees every gate of it at once
        drill_at = config.simulator.fire_drill_at_s
        if drill_at is not None:
            drill_from = shift_start_epoch(config) + drill_at
            for each_rig in [rig, *(peer.rig for peer in peers)]:
                each_rig.sound_fire_alarm(drill_from, drill_from + config.simulator.fire_drill_s)
        devices = rig.devices()
        boot_id = new_event_id()
        messages = Messages(
            config.gate.park,
            config.gate.id,
            boot_id=boot_id,
            timezone=config.gate.timezone,
            clock_synced=rig.clock.synchronised,
        )
        state = GateState(risk_tier=config.risk.tier)
        if screens is not None:
            if broker is None:
                raise ScreensUnavailable("the screens need a broker (Mosquitto) beside the shift")
            if screens.centre_database is None:  # beside this run's record (--record too)
                screens = replace(
                    screens, centre_database=record_path.with_name(DEMO_DATABASE_NAME)
                )
            demo = start_screens(config, broker, screens, state, out)
        if broker is not None:
            mqtt_config = config.mqtt.model_copy(update={"host": broker[0], "port": broker[1]})
            publisher = Publisher(
                record,
                mqtt_config,
                topics,
                client_id=f"{config.gate.id}-sim",
                boot_id=boot_id,
                config_file=config.source,
                state=state,
                commands=True,  # the simulated guard's signed commands
                peer_passages=peer_passage_topics(config),
                peer_statuses=peer_status_topics(config),
            )
            publisher.start()
            if not publisher.wait_connected(10):
                out.write(
                    f"Broker {broker_text} did not answer; events stay unsent in the record.\n"
                )

        # the simulator's truth: who really stood in front when each check was decided, on the
        # side that decided (a gate that serves both ways has a queue at each)
        way_in = WayThrough(rig.world)
        way_out = WayThrough(rig.exit_world) if rig.exit_world is not None else None
        who_was_there = way_in.who_was_there
        who: dict[str, SimPerson | None] = {}

        def remember(row: CheckRow, decision: Decision) -> None:
            side = way_out if way_out is not None and row.direction == "exit" else way_in
            front = side.world.front
            side.who_was_there[row.event_id] = (front.person if front else None, row)
            who[row.event_id] = front.person if front else None

        gate = (BothWays if config.gate.direction == "both" else Gate)(
            config=rig.config,
            devices=devices,
            record=record,
            roster=rig.roster,
            publisher=publisher,
            on_check=remember,
            messages=messages,
            state=state,
            display=demo.display if demo is not None else None,
        )
        gate_sides = gate.sides if isinstance(gate, BothWays) else (gate,)
        out.write(
            f"Simulating {len(people)} people through gate {config.gate.park}/{config.gate.id}"
            f" (broker {broker_text or 'none'}, record {record_path})\n"
        )
        for peer in peers:
            out.write(
                f"  and {len(peer.people)} through gate {peer.config.gate.id} of zone"
                f" {config.zone.name} ({peer.config.gate.direction}, record {peer.record_path})\n"
            )
            peer.start()
        if demo is not None:
            out.write("Watch it (the shift runs in real time):\n")
            out.write(demo.describe() + "\n")
        progress = Progress(len(people), out)
        # the shift's log lines go to its log file, not into the middle of the bar
        logs = LogsBesideTheBar(progress, shift_log_path(record_path))
        logs.start()
        sim_started = rig.clock.time()
        guard = None
        desk = None
        if subscriber is not None and publisher is not None:
            desk = CommandDesk(
                desk_registry(gate),
                rig.config.commands,
                CommandContext(
                    config=rig.config,
                    state=state,
                    record=record,
                    messages=messages,
                    now=rig.clock.time,
                    open_once=gate.open_once,
                    reload_roster=lambda: None,
                    changed=publisher.publish_status,
                    clock_synced=rig.clock.synchronised,
                ),
            )
            guard = SimulatedGuard(
                subscriber,
                topics,
                rig.world,
                publisher.commands,
                config.secondary.clinical_fever_c,
                who,
                now=rig.clock.time,
                # beside the screens, a flag waits for the security desk before the guard goes
                walk_over_s=screens.desk_first_s if screens is not None else 40.0,
            )
            # the guard's walk to an open flag is timed from an alert the camera does not see:
            # an idle gate does not skip past it (hours, between a day's windows)
            rig.capture.hold = lambda: bool(gate.secondary.open)
        # a stuck gate must not hang the simulator: a person gives up after Pace.give_up_s;
        # flags still open when everyone is through are waited for a while (the guard's walk)
        wait_for_guard_until: float | None = None

        def finished() -> bool:
            nonlocal wait_for_guard_until
            # the last admitted person's passage is seen through, as every other one, and a fire
            # drill after the last person is lived through too
            if not rig.done or any(side.passages.waiting for side in gate_sides):
                return False
            if not alarms_over(rig.world, rig.clock.time()):
                return False
            if guard is None or not (guard.pending() or gate.secondary.open):
                return True
            now = rig.clock.time()
            wait_for_guard_until = wait_for_guard_until or now + 300.0
            return now >= wait_for_guard_until

        def poll() -> None:
            now = rig.clock.time()
            escorted = None
            if guard is not None:
                guard.notice()
                escorted = guard.act(now)
                if escorted is not None:
                    rig.world.escort(escorted, now)
            from_desk: list[str] = []
            if desk is not None:
                inbox = publisher.commands  # type: ignore[union-attr]
                if demo is not None and guard is not None:
                    inbox, from_desk = _desk_resolutions(inbox, guard, who)
                    for person_id in from_desk:
                        rig.world.escort(person_id, now)
                desk.run_pending(inbox)
            gate.poll()
            if escorted is not None:
                # the guard hears the gate's answer: admitted, they walk the person through
                rig.world.escort_over(escorted, _admitted_by_guard(record, who, escorted))
            for person_id in from_desk:  # so does a person at the security desk
                rig.world.escort_over(person_id, _admitted_by_guard(record, who, person_id))
            progress.update(sum(len(world.visits) for world in rig.worlds))

        main = Station(
            config.gate.id,
            rig.clock.time,
            poll,
            finished,
            record,
            publisher,
            lambda: gate.hear_zone(rig.clock.time()),
        )
        # the zone's other gates beside it, the one behind first
        run_behind_first([main, *(peer.station() for peer in peers)])
        # the zone's day lasts until its last gate is done
        simulated_s = max([rig.clock.time(), *(peer.now for peer in peers)]) - sim_started
        gate.close()
        for peer in peers:
            peer.gate.close()
        drain = "no broker: the events stay in the record"
        if publisher is not None:
            drain_started = time.monotonic()
            if publisher.flush(timeout_s=drain_timeout_s):
                drain = f"outbox drained ({time.monotonic() - drain_started:.1f} s after the shift)"
            else:
                drain = (
                    f"drain timeout after {drain_timeout_s:g} s: {record.count_unsent()} events "
                    "stay unsent in the record"
                )
        logs.stop()
        summary = _summarise(
            record, rig.world, who_was_there, subscriber, topics, rig.config, way_out
        )
        summary.log = logs.log
        if config.zone.name is not None:
            summary.zone, zone_found = _zone_against_the_truth(config, record, rig, peers, way_out)
            summary.problems.extend(zone_found)
        summary.simulated_s = simulated_s
        summary.broker = broker_text
        summary.drain = drain
        summary.real_time = screens is not None
        if plot is not None:
            summary.day = day_figures(
                config,  # its own groups: not the ones the simulator adds for blank groups
                rig.world.visits,
                record.passages(),  # the zone's other gates' too
                everyone,
                start_s=shift_start_epoch(config),
                end_s=max([rig.clock.time(), *(peer.now for peer in peers)]),
                walk_up_s=rig.world.pace.walk_up_s,
                drills=rig.world.alarms,
                # counted from the zone's passages at every gate, by the gate's own record
                occupancy=record.occupancy_over_time(config.zone.name)
                if config.zone.name is not None
                else None,
                gates=len(peers) + 1,
            )
            write_plot(summary.day, plot)
            summary.day.plot = plot
        checks_by_person = {
            person.person_id: row
            for side in (way_in, *([way_out] if way_out is not None else []))
            for person, row in side.who_was_there.values()
            if person is not None
        }
        if results is not None:
            # every row of the crowd, at whichever of the zone's gates it came to
            everywhere = dict(checks_by_person)
            for peer in peers:
                for seen in (peer.who_was_there, peer.who_went_out):
                    everywhere.update(
                        (person.person_id, row) for person, row in seen.values() if person
                    )
            _write_results(results, everyone, everywhere)
        summary_printed = False
        if demo is not None and screens is not None and screens.linger:
            summary.wall_s = time.perf_counter() - wall_started
            sys.stdout.write(format_summary(summary))
            sys.stdout.flush()
            summary_printed = True
            out.write("\nThe shift is over; the screens stay up until Ctrl-C:\n")
            out.write(demo.describe() + "\n")
            out.flush()
            stay_until_stopped()
    finally:
        if logs is not None:
            logs.stop()
        for peer in peers:
            peer.stop()
        if demo is not None:
            demo.stop()
        if publisher is not None:
            publisher.stop()
        if subscriber is not None:
            subscriber.stop()
        if private is not None:
            private.stop()
        if devices is not None:
            devices.close()
        if record is not None:
            record.close()
    if not summary_printed:
        summary.wall_s = time.perf_counter() - wall_started
    records = {config.gate.id: record_path, **peer_records}
    return ShiftRun(
        summary, rig, record_path, checks_by_person, summary_printed, records, way_in, way_out
    )


def _ways_through(gate: str, direction: str, rig: Rig) -> dict[str, tuple[str, list[Visit]]]:
    """A gate's people as they went, by the way they went: a gate that serves both ways has a
    queue at each."""
    if rig.exit_world is None:
        return {gate: (direction, rig.world.visits)}
    return {gate: ("entry", rig.world.visits), f"{gate}/out": ("exit", rig.exit_world.visits)}


def desk_registry(gate: Gate | BothWays) -> CommandRegistry:
    """The commands the simulated gate takes, as the service wires them."""
    registry = standard_registry()
    gate.secondary.register(registry)  # the guard's clinical reading of a flagged person
    gate.vehicles.register(registry)  # at a vehicle gate, the guard's vehicles (on the way in)
    return registry


def _peers_way_out(peer: ZoneGate) -> WayThrough | None:
    """The way out of a zone's other gate that serves both ways."""
    exit_world = peer.rig.exit_world
    return None if exit_world is None else WayThrough(exit_world, peer.who_went_out)


def _zone_against_the_truth(
    config: Config,
    record: Record,
    rig: Rig,
    peers: list[ZoneGate],
    way_out: WayThrough | None = None,
) -> tuple[ZoneTally, list[str]]:
    """The zone's figures from every gate's record, and the simulator's checks of it: never
    over capacity, every gate counting as the main one, nobody in on the code of someone
    inside (the world's truth), and at each other gate what the main gate's checks are."""
    records = {config.gate.id: (config.gate.direction, record)}
    records.update({p.config.gate.id: (p.config.gate.direction, p.record) for p in peers})
    tally = zone_tally(config, records)
    problems = zone_problems(tally, records)
    visits = _ways_through(config.gate.id, config.gate.direction, rig)
    for p in peers:
        visits.update(_ways_through(p.config.gate.id, p.config.gate.direction, p.rig))
    problems.extend(entries_of_someone_inside(visits))
    exits = [way_out] if way_out is not None else []
    exits += [
        WayThrough(p.rig.world, p.who_was_there) for p in peers if p.config.gate.direction == "exit"
    ]
    exits += [leaving for leaving in map(_peers_way_out, peers) if leaving is not None]
    problems.extend(_let_out_as_the_world_knows(config, exits, visits))
    for gate in records:
        tally.people[gate] = sum(
            len(gate_visits)
            for way, (_, gate_visits) in visits.items()
            if way.split("/")[0] == gate
        )
    for peer in peers:
        visits_there = peer.rig.world.visits
        leaving = _peers_way_out(peer)
        every_check, passages = peer.record.checks(), peer.record.passages()
        found = _checks_against_the_truth(visits_there, peer.who_was_there)
        found += _passages_against_the_truth(
            [p for p in passages if leaving is None or p["direction"] != "exit"],
            visits_there,
            peer.who_was_there,
        )
        drills, drill_problems = _drills_against_the_record(
            peer.rig.world,
            peer.record,
            every_check,
            also_freed=[leaving.world] if leaving is not None else [],
        )
        if drills and not drill_problems:
            tally.drill_freed.append(peer.config.gate.id)
        found += drill_problems
        if leaving is not None:
            _, out_found = _way_out_against_the_truth(
                leaving,
                [c for c in every_check if c["direction"] == "exit"],
                [p for p in passages if p["gate"] is None and p["direction"] == "exit"],
            )
            found += out_found
        problems.extend(f"at {peer.config.gate.id}: {problem}" for problem in found)
    return tally, problems


# beside the screens: the terminal is switched on this long before the first person comes
SWITCHED_ON_S = 2.0


# beside the screens: a random crowd comes about as fast as one gate can check them
SCREENS_ARRIVAL_S_PER_PERSON = 4.0


def starting_now(config: Config, workers: int | None = None) -> Config:
    """The config with the shift starting now, in the gate's time zone: beside the screens the
    shift runs in real time, its arrivals no more spread out than one gate needs."""
    zone = ZoneInfo(config.gate.timezone)
    now = datetime.fromtimestamp(time.time() + SWITCHED_ON_S, zone).replace(tzinfo=None)
    people = workers or config.simulator.workers
    window_s = min(config.simulator.arrival_window_s, SCREENS_ARRIVAL_S_PER_PERSON * people)
    simulator = config.simulator.model_copy(
        update={
            "shift_start": now.isoformat(),
            "arrival_window_s": window_s,
            # the config's shift groups have windows at set hours, and the screens' shift comes
            # whenever someone runs it: its crowd comes in a window of its own
            "groups": (),
        }
    )
    return config.model_copy(update={"simulator": simulator})


def _desk_resolutions(
    inbox: queue.Queue[tuple[str, bytes]],
    guard: SimulatedGuard,
    who: dict[str, SimPerson | None],
) -> tuple[queue.Queue[tuple[str, bytes]], list[str]]:
    """The commands waiting for the gate, and the people whose flags a person at the security
    desk is resolving: if the gate releases the turnstile for one, it is theirs (the guard hears
    of the outcome from the gate, as for any flag)."""
    waiting: queue.Queue[tuple[str, bytes]] = queue.Queue()
    people: list[str] = []
    while True:
        try:
            topic, payload = inbox.get_nowait()
        except queue.Empty:
            break
        waiting.put((topic, payload))
        if not topic.endswith("/cmd/resolve_secondary"):
            continue
        try:
            command = json.loads(payload)
            flag_id = command["payload"]["flag_id"]
            by_desk = command["issued_by"] != guard.issued_by
        except (ValueError, KeyError, TypeError):
            continue  # the gate's own checks refuse it, and say why
        if not by_desk or not isinstance(flag_id, str):
            continue
        person = who.get(flag_id)
        if person is not None:
            people.append(person.person_id)
    return waiting, people


class ScreensUnavailable(GateError, RuntimeError):
    pass


def _admitted_by_guard(record: Record, who: dict[str, SimPerson | None], person_id: str) -> bool:
    return any(
        passage["admitted_by"] == "guard"
        and getattr(who.get(passage["admission_id"]), "person_id", None) == person_id
        for passage in record.passages()
    )


def probe_broker(host: str, port: int, timeout_s: float = 5.0) -> None:
    """One line when the broker cannot be reached, before anything is replaced."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except socket.gaierror:
        raise BrokerUnavailable(f"broker {host}:{port}: unknown host {host!r}") from None
    except ConnectionRefusedError:
        raise BrokerUnavailable(
            f"broker {host}:{port}: connection refused (is a broker running there?)"
        ) from None
    except OSError as exc:
        raise BrokerUnavailable(
            f"broker {host}:{port}: cannot connect ({exc.strerror or type(exc).__name__})"
        ) from None


def _summarise(
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
    checks_received = alerts_received = None
    alerts_by_kind: dict[str, int] = {}
    if subscriber is not None:
        # QoS 1 may deliver a message twice; the operations centre counts events by their id
        # (what never left the record cannot arrive: no long wait for it)
        deadline = time.monotonic() + (10 if record.count_unsent() == 0 else 0.5)
        expected = {c["event_id"] for c in every_check}
        while time.monotonic() < deadline:
            if {m["event_id"] for m in subscriber.received(topics.check)} >= expected:
                break
            time.sleep(0.05)
        received = {m["event_id"]: m for m in subscriber.received(topics.check)}
        checks_received = len(received)
        alerts = {m["event_id"]: m for m in subscriber.received_under(f"{topics.base}/alert/")}
        alerts_received = len(alerts)
        alerts_by_kind = dict(Counter(m["data"]["kind"] for m in alerts.values()))
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
        extra = set(received) - {c["event_id"] for c in every_check}
        problems.extend(f"event {e} arrived but is not in the record" for e in sorted(extra))
    visits = world.visits
    # told to wait for room in the zone (no lamp: the display says so), some give up before
    # anyone leaves: the gate answered them, they went
    told_to_wait = {
        person.person_id
        for person, row in who_was_there.values()
        if person is not None and row.route == "wait"
    }
    gave_up = sum(
        1 for v in visits if v.outcome == "no_decision" and v.person.person_id in told_to_wait
    )
    no_decision = sum(1 for v in visits if v.outcome == "no_decision") - gave_up
    # as a person lives it: from leaving the queue's head to the turnstile opening or a refusal
    at_gate = [
        v.reacted_at - (v.front_at - world.pace.walk_up_s)
        for v in visits
        if v.reacted_at is not None
    ]
    waits = [v.front_at - world.pace.walk_up_s - (world.start + v.person.arrival_s) for v in visits]
    if no_decision:
        problems.append(f"{no_decision} people stood at the gate and got no decision")
    secondary_steps = record.rows("secondary_steps")
    outcomes = guard_decisions(secondary_steps)
    problems.extend(_checks_against_the_truth(visits, who_was_there, outcomes))
    shifts = _shifts_as_timetabled(visits, who_was_there, config, outcomes)
    problems.extend(shifts.problems)
    own = [p for p in record.passages() if p["gate"] is None]  # not the zone peers'
    passages = [p for p in own if way_out is None or p["direction"] != "exit"]
    problems.extend(_passages_against_the_truth(passages, visits, who_was_there))
    drills, drill_problems = _drills_against_the_record(
        world, record, every_check, also_freed=[way_out.world] if way_out is not None else []
    )
    problems.extend(drill_problems)
    way_out_tally = None
    if way_out is not None:
        way_out_tally, found = _way_out_against_the_truth(
            way_out,
            [c for c in every_check if c["direction"] == "exit"],
            [p for p in own if p["direction"] == "exit"],
        )
        problems.extend(found)
    check_times = [c["check_s"] for c in checks]
    processing = [c["processing_ms"] for c in checks]
    steps = Counter(step["step"] for step in secondary_steps)
    flagged = sum(1 for c in checks if c["reason"] == "secondary_check")
    resolved = steps["clinical_reading"]
    fevers_at_gate = [v for v in visits if v.person.core_c >= 37.5]
    return Summary(
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
        checks_received=checks_received,
        alerts_received=alerts_received,
        at_gate_s=Spread.of(at_gate),
        queue_s=Spread.of(waits),
        check_s=Spread.of(check_times),
        processing_ms=Spread.of(processing),
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
        sensor_fault_events=sum(
            1 for e in record.rows("sensor_events") if e["kind"] == "sensor_fault"
        ),
        fevers_admitted_at_gate=sum(1 for v in fevers_at_gate if v.relay_pulses),
        fevers_at_gate=len(fevers_at_gate),
        alerts_by_kind=alerts_by_kind,
        shift_refusals=shifts.refused,
        shift_expected=shifts.expected,
        shift_refusals_after_guard=shifts.after_guard,
        passages=dict(Counter(p["outcome"] for p in passages)),
        turned_back=sum(1 for v in visits if v.outcome == "turned_back"),
        drills=drills,
        freed=sum(1 for v in visits if v.outcome == "freed"),
        way_out=way_out_tally,
        final=final_outcome(visits, _rows_by_person(who_was_there), outcomes, passages),
    )


def _rows_by_person(
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
) -> dict[str, list[CheckRow]]:
    rows: dict[str, list[CheckRow]] = {}
    for person, row in who_was_there.values():
        if person is not None:
            rows.setdefault(person.person_id, []).append(row)
    return rows


def _way_out_against_the_truth(
    way_out: WayThrough, checks: list[dict], passages: list[dict]
) -> tuple[WayOutTally, list[str]]:
    """The way out of a gate that serves both, as its record has it, checked as the way in is:
    who really stood in front, every release's passage as the person really went; and everyone
    who showed a code there answered. Its refusals are answered by the relay only: the person
    waits at the shut turnstile, then goes to a guard (``no_decision``, as the world has it)."""
    visits, who = way_out.world.visits, way_out.who_was_there
    found = _checks_against_the_truth(visits, who)
    found += _passages_against_the_truth(passages, visits, who)
    rows = _rows_by_person(who)
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


def _let_out_as_the_world_knows(
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
        rows = _rows_by_person(way.who_was_there)
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


def _shifts_as_timetabled(
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
    config: Config,
    resolved: dict[str, tuple[str, str]],
) -> ShiftTally:
    """Each worker of a configured group answered as the simulator's own reading of the
    timetable says: admitted in time; refused early or late with the next window otherwise (a
    flagged worker: by the guard's decision after a normal clinical reading)."""
    tally = ShiftTally()
    rows: dict[str, list[CheckRow]] = {}
    for person, row in who_was_there.values():
        if person is not None:
            rows.setdefault(person.person_id, []).append(row)
    zone = ZoneInfo(config.gate.timezone)
    refused: Counter[str] = Counter()
    after_guard: Counter[str] = Counter()
    for visit in visits:
        person = visit.person
        checked = rows.get(person.person_id)
        if person.group is None or not checked or not expected_through_but_for_the_shift(person):
            continue
        final = checked[-1]
        # when they stood at the gate, not when they joined the queue: the gate's record has it
        at_gate = datetime.fromtimestamp(final.epoch_s, zone)
        expected = expected_shift(config, person.group, at_gate)
        reason, by_guard = final.reason, final.event_id in resolved
        if by_guard:
            reason = resolved[final.event_id][1]  # the guard's decision, not the flag
        if expected is None or reason not in (*SHIFT_REASONS, "admitted"):
            continue  # the clocks change (the gate's tests cover it), or the screening decided
        tally.expected += 1
        said = reason if reason in SHIFT_REASONS else None
        if said != expected.reason:
            tally.problems.append(
                f"{person.person_id} of group {person.group} at {at_gate:%H:%M:%S}: the timetable "
                f"says {expected.reason or 'in time'}, the gate said {reason}"
            )
        elif by_guard:
            # the guard tells them in person; the check's window is the gate's answer
            after_guard[said or "admitted"] += 1
        elif said is not None and window_of_record(final.next_window) != expected.window:
            tally.problems.append(
                f"{person.person_id} refused as {said} with the window {final.next_window}, "
                f"the timetable's next is {expected.window}"
            )
        elif said is not None:
            refused[said] += 1
    tally.refused = dict(refused)
    tally.after_guard = {k: n for k, n in after_guard.items() if k != "admitted"}
    return tally


# the alarm is seen at the next camera frame, and believed after the input's debounce
DRILL_NOTICED_WITHIN_S = 1.0


def _drills_against_the_record(
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


def _passages_against_the_truth(
    passages: list[dict],
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
) -> list[str]:
    """Every admission has its passage, and with a passage contact it says what the person
    really did: went through, or turned back."""
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
        # a person a guard brings back through the turnstile goes through
        went = passage["admitted_by"] == "guard" or visit.outcome in ("passed", "freed")
        recorded = passage["outcome"]
        if recorded == "unconfirmed":
            continue  # no passage contact: the gate cannot tell
        if recorded != ("passed" if went else "not_passed"):
            did = "went through" if went else "turned back"
            problems.append(f"{person.person_id} {did}, the record says {recorded}")  # type: ignore[union-attr]
    return problems


def _checks_against_the_truth(
    visits: list[Visit],
    who_was_there: dict[str, tuple[SimPerson | None, CheckRow]],
    resolved: dict[str, tuple[str, str]] | None = None,
) -> list[str]:
    """What the simulator knows and the gate could not: who really stood in front."""
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
        # for room in the zone once someone left; any other second check is a double count
        if any(r.reason not in ("no_code", "zone_full") for r in rows[:-1]):
            problems.append(f"{pid} was checked {len(rows)} times in one approach")
        if visit.outcome not in ("no_decision", "freed") and not rows:
            problems.append(f"{pid} got an answer without a check in the record")
        if visit.relay_pulses > 1:
            problems.append(f"the turnstile released {visit.relay_pulses} times for {pid}")
        problems.extend(_attack_answered(visit, rows, resolved or {}))
        if visit.staff_pulses > 1 or (visit.staff_pulses and visit.relay_pulses):
            problems.append(f"the turnstile released more than once for {pid}")
        if any(r.reason == "sensor_fault" and r.decision == "admit" for r in rows):
            problems.append(f"{pid} was admitted on a sensor fault")
    return problems


def _attack_answered(
    visit: Visit, rows: list[CheckRow], resolved: dict[str, tuple[str, str]]
) -> list[str]:
    """A forged, tampered, stale, foreign or replayed code is refused, for its own reason: at
    the gate, or after the secondary check by the guard's decision."""
    kind, pid = visit.person.code, visit.person.person_id
    if not is_attack(kind) or not rows or (kind == "replayed" and visit.payload is None):
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


def _write_results(path: Path, people: list[SimPerson], by_person: dict[str, CheckRow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESULTS_HEADER)
        for person in people:
            row = by_person.get(person.person_id)
            named = person.scenario_id or person.person_id  # a later visit: as the scenario says
            if row is None:
                writer.writerow([named, "none", "no_decision", ""])
                continue
            temperature = "" if row.temperature_c is None else f"{row.temperature_c:.2f}"
            writer.writerow([named, row.decision, row.reason, temperature])


def _counts(by_reason: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(by_reason.items())) or "none"


def _passages_line(counts: dict[str, int], turned_back: int) -> str:
    if set(counts) <= {"unconfirmed"}:
        return f"{counts.get('unconfirmed', 0)} releases, unconfirmed (no passage contact wired)"
    return (
        f"{counts.get('passed', 0)} went through, {counts.get('not_passed', 0)} not within the"
        f" window ({turned_back} turned back, by the simulator's truth)"
    )


def _way_out_lines(tally: WayOutTally) -> list[str]:
    freed = f"; {tally.freed} freed by the fire alarm" if tally.freed else ""
    lines = [
        f"  way out                {tally.people} people, {tally.checks} checks:"
        f" {tally.let_out} let out, {tally.checks - tally.let_out} refused{freed}"
    ]
    lines += [f"    {reason:<20} {count}" for reason, count in tally.refused.items()]
    lines.append(f"    passages out         {_passages_line(tally.passages, tally.turned_back)}")
    return lines


def _drill_line(drill: tuple[float, float, float | None], freed: int, both: bool) -> str:
    noticed_s, held_s, next_check_s = drill
    resumed = (
        "no one came after it"
        if next_check_s is None
        else f"the next check {next_check_s:.1f} s after it cleared"
    )
    return (
        f"  fire drill             {'both turnstiles' if both else 'turnstile'} freed"
        f" {noticed_s:.2f} s after the alarm, held"
        f" {held_s:.0f} s ({freed} in front went through unchecked); screening resumed: {resumed}"
    )


def format_summary(summary: Summary) -> str:
    people = f"{summary.people} people"
    if summary.way_out is not None:  # the figures down to the way out's are the way in's
        people += f" in, {summary.way_out.people} out"
    if summary.zone is not None and len(summary.zone.people) > 1:
        first, *_ = summary.zone.people  # the main gate: the figures down to the zone's are its
        people += f" at {first}, {sum(summary.zone.people.values())} at the zone's gates"
    lines = [
        "",
        f"Shift summary ({people}, {summary.simulated_s / 60:.1f} simulated minutes,"
        f" {summary.wall_s:.1f} s wall time)",
        *(format_outcome(summary.final) if summary.final is not None else []),
        "  how the checks went:",
        f"  checks recorded        {summary.checks}"
        + (" on the way in" if summary.way_out is not None else "")
        + f": {summary.admitted} admitted, {summary.checks - summary.admitted} denied",
    ]
    for reason, count in summary.denied_by_reason.items():
        lines.append(f"    {reason:<20} {count}")
    lines += [
        f"  secondary checks       {summary.flagged} flagged, {summary.secondary_checks} checked"
        f" by a guard: {summary.admitted_by_staff} admitted by staff,"
        f" {summary.refused_after_check} refused after the check, {summary.open_flags} open",
        f"  fevers -> isolation    {summary.isolation_routed} (confirmed by a clinical reading)",
        f"  others -> isolation    {summary.isolation_at_gate} (a health code's colour, a positive"
        " nucleic-acid test)",
        f"  sensor faults          {summary.sensor_faults} checks refused,"
        f" {summary.sensor_fault_events} times in its fault state",
        f"  shift windows          {summary.shift_expected} workers of the config's groups as"
        " timetabled; refused with their next window: "
        + _counts(summary.shift_refusals)
        + "; after a secondary check: "
        + _counts(summary.shift_refusals_after_guard),
        f"  passages               {_passages_line(summary.passages, summary.turned_back)}",
        *(
            [
                f"  gave up waiting        {summary.gave_up_waiting} told the zone was full, gone"
                " before anyone left"
            ]
            if summary.gave_up_waiting
            else []
        ),
        *(_way_out_lines(summary.way_out) if summary.way_out is not None else []),
        *(_drill_line(d, summary.freed, summary.way_out is not None) for d in summary.drills),
        *(format_day(summary.day) if summary.day is not None else []),
        *(format_zone(summary.zone) if summary.zone is not None else []),
        f"  core >= 37.5 °C        {summary.fevers_at_gate} people, of whom"
        f" {summary.fevers_admitted_at_gate} admitted without a flag",
        f"  events in the record   {summary.events_in_record}"
        f" (delivered to the broker {summary.events_delivered}, unsent {summary.events_unsent})",
        f"  {summary.drain}",
        *([f"  log                    {summary.log.line()}"] if summary.log is not None else []),
    ]
    if summary.checks_received is not None:
        lines.append(
            f"  received by a subscriber  {summary.checks_received} checks, "
            f"{summary.alerts_received} alerts to security"
        )
    lines += [
        "  check time, simulated:",
        f"    at the gate          {summary.at_gate_s.show('s')}"
        "  (walking up to the turnstile opening or the refusal)",
        f"    gate's check         {summary.check_s.show('s')}"
        "  (noticed to decided: code, coming closer, sensor settling, samples)",
        f"    queueing             {summary.queue_s.show('s')}",
        f"  software time, real    {summary.processing_ms.show('ms', 1)} per check"
        " (decoding each frame until the code shows, measuring, deciding, recording)"
        if not summary.real_time
        else "  software time          not measured: in real time a check's waits are real too",
    ]
    if summary.problems:
        lines.append("  DISAGREEMENTS:")
        lines.extend(f"    - {p}" for p in summary.problems[:20])
    else:
        lines.append(
            "  record, broker and subscriber agree one to one"
            if summary.checks_received is not None
            else "  (no broker: nothing compared)"
        )
    return "\n".join(lines) + "\n"
