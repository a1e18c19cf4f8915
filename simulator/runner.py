"""``gate-terminal simulate``: a shift of people through one simulated gate, with the real gate
software, the real record, and a real MQTT broker; then a summary that is checked against the
record and against what a subscriber at the operations centre received."""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from simulator.arrivals import crowd_for, people_at_gates
from simulator.broker import BrokerUnavailable, PrivateBroker
from simulator.crowd import (
    SimPerson,
    check_groups,
)
from simulator.day import DayFigures, day_figures, write_plot
from simulator.factory import SimulatedDevices
from simulator.guard import SimulatedGuard
from simulator.mainstation import MainStation
from simulator.progress import LogsBesideTheBar, Progress, shift_log_path
from simulator.results import checks_of_each, steps_by_flag, write_results
from simulator.rig import Rig, build_rig, shift_start_epoch
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
from simulator.subscriber import Subscriber
from simulator.summarise import summarise
from simulator.summary import Summary, format_summary
from simulator.truth import WayThrough
from simulator.workdays import renew_tests_each_day
from simulator.world import Pace
from simulator.zone import (
    ZoneGate,
    run_behind_first,
    with_a_way_out,
)
from simulator.zonecheck import zone_against_the_truth
from terminal.app.build import GateApp, build_gate
from terminal.common.errors import GateError
from terminal.config import Config
from terminal.display.state import DisplayState
from terminal.link.topics import GateTopics
from terminal.record.store import CheckRow
from terminal.rules.policy import Decision
from terminal.state import GateState


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


@dataclass
class ShiftPlan:
    """What a run is before anything starts: the config, who comes to which gate, the main
    gate's rig and the records it will write."""

    config: Config
    everyone: list[SimPerson]
    at_gates: dict[str, list[SimPerson]]
    rig: Rig
    seed: int
    pace: Pace | None
    record_path: Path
    peer_records: dict[str, Path]

    @property
    def people(self) -> list[SimPerson]:
        """The main gate's people."""
        return self.at_gates[self.config.gate.id]


def plan_shift(
    config: Config,
    people: list[SimPerson],
    *,
    seed: int | None,
    pace: Pace | None,
    record_path: Path | None,
    screens: ScreensOptions | None,
    out: TextIO,
) -> ShiftPlan:
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
    seed = seed if seed is not None else config.simulator.seed
    rig = build_rig(
        config,
        at_gates[config.gate.id],
        everyone=people,
        seed=seed,
        pace=pace,
        real_time=screens is not None,
        # beside the screens the gate's clock is the wall clock: switched on just now
        switched_on_before_s=SWITCHED_ON_S if screens is not None else 60.0,
    )
    record_path = claim_simulated_record(config, record_path)
    peer_records = {gate: peer_record(record_path, gate) for gate in zone_gates}
    return ShiftPlan(config, people, at_gates, rig, seed, pace, record_path, peer_records)


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
        people = crowd_for(config, workers, seed, scenario)
    plan = plan_shift(
        config, people, seed=seed, pace=pace, record_path=record_path, screens=screens, out=out
    )
    shift = Shift(plan, screens, out)
    try:
        # the broker first: the previous simulated record is replaced only once the run can start
        shift.connect(broker)
        replace_simulated_record(plan.record_path)
        shift.build_peers()
        shift.sound_fire_drill()
        shift.build_main_gate()
        _renew_tests_each_day(shift)
        shift.start()
        shift.run()
        summary = shift.finish(drain_timeout_s, plot)
        checks_by_person = shift.checks_by_person()
        if results is not None:
            _write_results(shift, results)
        if shift.demo is not None and screens is not None and screens.linger:
            summary.wall_s = time.perf_counter() - wall_started
            shift.linger(summary)
    finally:
        shift.close()
    if not shift.summary_printed:
        summary.wall_s = time.perf_counter() - wall_started
    records = {plan.config.gate.id: plan.record_path, **plan.peer_records}
    return ShiftRun(
        summary,
        plan.rig,
        plan.record_path,
        checks_by_person,
        shift.summary_printed,
        records,
        shift.way_in,
        shift.way_out,
    )


class Shift:
    """A simulated shift while it runs: the broker and the centre's subscriber, the zone's other
    gates, the main gate built as the service builds it, the guard and the screens; and, once
    everyone has been, its summary. ``close`` stops whatever was started, whatever failed."""

    def __init__(self, plan: ShiftPlan, screens: ScreensOptions | None, out: TextIO) -> None:
        self.plan, self.config, self.rig = plan, plan.config, plan.rig
        self.screens, self.out = screens, out
        self.topics = GateTopics(self.config.gate.park, self.config.gate.id)
        self.broker: tuple[str, int] | None = None
        self.private: PrivateBroker | None = None
        self.subscriber: Subscriber | None = None
        self.peers: list[ZoneGate] = []
        self.app: GateApp | None = None
        self.demo: DemoScreens | None = None
        self.logs: LogsBesideTheBar | None = None
        self.progress: Progress | None = None
        self.summary_printed = False  # beside the screens, printed before they closed
        # the simulator's truth: who really stood in front when each check was decided, on the
        # side that decided (a gate that serves both ways has a queue at each)
        self.way_in = WayThrough(self.rig.world)
        exit_world = self.rig.exit_world
        self.way_out = WayThrough(exit_world) if exit_world is not None else None
        self.who: dict[str, SimPerson | None] = {}
        self.simulated_s = 0.0

    @property
    def broker_text(self) -> str | None:
        return None if self.broker is None else f"{self.broker[0]}:{self.broker[1]}"

    def connect(self, broker: tuple[str, int] | None) -> None:
        """The given broker, else a private one; without any, the events stay in the record."""
        if broker is None:
            try:
                self.private = PrivateBroker().start()
                broker = (self.private.host, self.private.port)
            except BrokerUnavailable as exc:
                record = self.plan.record_path
                self.out.write(f"No broker: {exc}.\nEvents stay unsent in the record {record}.\n")
        if broker is not None:
            probe_broker(*broker)
            self.broker = broker
            self.subscriber = Subscriber(broker[0], broker[1], self.topics)
        elif self.config.simulator.zone_gates:
            raise BrokerUnavailable(
                "the zone's gates (simulator.zone_gates) share their passages through a broker"
            )

    def build_peers(self) -> None:
        """The zone's other gates, each on its own rig and record."""
        config, plan = self.config, self.plan
        for index, (gate_id, direction) in enumerate(config.simulator.zone_gates.items()):
            assert self.broker is not None
            replace_simulated_record(plan.peer_records[gate_id])
            gate_section = config.gate.model_copy(update={"id": gate_id, "direction": direction})
            # a peer serving both ways is wired as this gate; one of one direction has no way out
            exit_side = config.exit_side if direction == "both" else None
            self.peers.append(
                ZoneGate(
                    config.model_copy(update={"gate": gate_section, "exit_side": exit_side}),
                    plan.at_gates[gate_id],
                    *self.broker,
                    record_path=plan.peer_records[gate_id],
                    everyone=plan.everyone,
                    seed=plan.seed + index + 1,
                    pace=plan.pace,
                    simulated=True,
                )
            )

    def sound_fire_drill(self) -> None:
        """The fire alarm panel is the zone's: a drill frees every gate of it at once."""
        sim = self.config.simulator
        if sim.fire_drill_at_s is None:
            return
        drill_from = shift_start_epoch(self.config) + sim.fire_drill_at_s
        for each_rig in [self.rig, *(peer.rig for peer in self.peers)]:
            each_rig.sound_fire_alarm(drill_from, drill_from + sim.fire_drill_s)

    def build_main_gate(self) -> None:
        """The main gate, as ``run`` builds a gate, with the simulator's devices."""
        if self.screens is not None and self.broker is None:
            raise ScreensUnavailable("the screens need a broker (Mosquitto) beside the shift")
        config = self.rig.config
        if self.broker is not None:
            mqtt = config.mqtt.model_copy(update={"host": self.broker[0], "port": self.broker[1]})
            config = config.model_copy(update={"mqtt": mqtt})
        self.app = build_gate(
            config,
            SimulatedDevices(self.rig),
            roster=self.rig.roster,
            record_path=self.plan.record_path,
            connect=self.broker is not None,
            on_check=self._remember,
            display_for=self._screens,
            mark_simulated=True,
            own_session=True,
        )

    def _screens(self, state: GateState) -> DisplayState | None:
        """Beside the screens, the worker's display is theirs; else there is none."""
        if self.screens is None or self.broker is None:
            return None
        screens = self.screens
        if screens.centre_database is None:  # beside this run's record (--record too)
            database = self.plan.record_path.with_name(DEMO_DATABASE_NAME)
            screens = replace(screens, centre_database=database)
        self.screens = screens
        self.demo = start_screens(self.plan.config, self.broker, screens, state, self.out)
        return self.demo.display

    def _remember(self, row: CheckRow, decision: Decision) -> None:
        way_out = self.way_out
        side = way_out if way_out is not None and row.direction == "exit" else self.way_in
        front = side.world.front
        side.who_was_there[row.event_id] = (front.person if front else None, row)
        self.who[row.event_id] = front.person if front else None

    def start(self) -> None:
        assert self.app is not None
        self.app.start()
        publisher = self.app.publisher
        if publisher is not None and not publisher.wait_connected(10):
            self.out.write(
                f"Broker {self.broker_text} did not answer; events stay unsent in the record.\n"
            )
        config, out = self.config, self.out
        out.write(
            f"Simulating {len(self.plan.people)} people through gate"
            f" {config.gate.park}/{config.gate.id}"
            f" (broker {self.broker_text or 'none'}, record {self.plan.record_path})\n"
        )
        zone = f" of zone {config.zone.name}" if config.zone.name is not None else ""
        for peer in self.peers:
            out.write(
                f"  and {len(peer.people)} through gate {peer.config.gate.id}{zone}"
                f" ({peer.config.gate.direction}, record {peer.record_path})\n"
            )
            peer.start()
        if self.demo is not None:
            out.write("Watch it (the shift runs in real time):\n")
            out.write(self.demo.describe() + "\n")
        self.progress = Progress(len(self.plan.people), out)
        # the shift's log lines go to its log file, not into the middle of the bar
        self.logs = LogsBesideTheBar(self.progress, shift_log_path(self.plan.record_path))
        self.logs.start()

    def run(self) -> None:
        """Everyone through, the zone's other gates beside the main one, the one behind first."""
        assert self.app is not None and self.progress is not None
        sim_started = self.rig.clock.time()
        main = MainStation(self.app, self.rig, self._guard(), self.who, self.progress)
        main.desk_beside = self.demo is not None
        run_behind_first([main.station(), *(peer.station() for peer in self.peers)])
        # the zone's day lasts until its last gate is done
        self.simulated_s = self.now - sim_started

    @property
    def now(self) -> float:
        return max([self.rig.clock.time(), *(peer.now for peer in self.peers)])

    def _guard(self) -> SimulatedGuard | None:
        """The guard who walks over to a flagged person; none without a broker."""
        assert self.app is not None
        publisher, app = self.app.publisher, self.app
        if self.subscriber is None or publisher is None:
            return None
        guard = SimulatedGuard(
            self.subscriber,
            self.topics,
            self.rig.world,
            publisher.commands,
            self.config.secondary.clinical_fever_c,
            self.who,
            now=self.rig.clock.time,
            # beside the screens, a flag waits for the security desk before the guard goes
            walk_over_s=self.screens.desk_first_s if self.screens is not None else 40.0,
        )
        # the guard's walk to an open flag is timed from an alert the camera does not see:
        # an idle gate does not skip past it (hours, between a day's windows)
        self.rig.capture.hold = lambda: bool(app.gate.secondary.open)
        return guard

    def finish(self, drain_timeout_s: float, plot: Path | None) -> Summary:
        """The gates closed, the outbox drained, and the summary, checked against the truth."""
        assert self.app is not None and self.logs is not None
        self.app.gate.close()
        for peer in self.peers:
            peer.gate.close()
        drain = self._drain(drain_timeout_s)
        self.logs.stop()
        record, config = self.app.record, self.config
        summary = summarise(
            record,
            self.rig.world,
            self.way_in.who_was_there,
            self.subscriber,
            self.topics,
            self.rig.config,
            self.way_out,
        )
        summary.log = self.logs.log
        if config.zone.name is not None:
            summary.zone, zone_found = zone_against_the_truth(
                config, record, self.rig, self.peers, self.way_out
            )
            summary.problems.extend(zone_found)
        summary.simulated_s = self.simulated_s
        summary.broker = self.broker_text
        summary.drain = drain
        summary.real_time = self.screens is not None
        if plot is not None:
            summary.day = self._day(plot)
        return summary

    def _drain(self, timeout_s: float) -> str:
        assert self.app is not None
        publisher = self.app.publisher
        if publisher is None:
            return "no broker: the events stay in the record"
        drain_started = time.monotonic()
        if publisher.flush(timeout_s=timeout_s):
            return f"outbox drained ({time.monotonic() - drain_started:.1f} s after the shift)"
        return (
            f"drain timeout after {timeout_s:g} s: {self.app.record.count_unsent()} events "
            "stay unsent in the record"
        )

    def _day(self, plot: Path) -> DayFigures:
        assert self.app is not None
        config, record, world = self.config, self.app.record, self.rig.world
        day = day_figures(
            config,  # its own groups: not the ones the simulator adds for blank groups
            world.visits,
            record.passages(),  # the zone's other gates' too
            self.plan.everyone,
            start_s=shift_start_epoch(config),
            end_s=self.now,
            walk_up_s=world.pace.walk_up_s,
            drills=world.alarms,
            # counted from the zone's passages at every gate, by the gate's own record
            occupancy=record.occupancy_over_time(config.zone.name)
            if config.zone.name is not None
            else None,
            gates=len(self.peers) + 1,
        )
        write_plot(day, plot)
        day.plot = plot
        return day

    def checks_by_person(self) -> dict[str, CheckRow]:
        """The main gate's last check of each person, on either way through."""
        sides = (self.way_in, *([self.way_out] if self.way_out is not None else []))
        return {
            person.person_id: row
            for side in sides
            for person, row in side.who_was_there.values()
            if person is not None
        }

    def checks_everywhere(self) -> dict[str, CheckRow]:
        """Every person of the crowd, at whichever of the zone's gates they came to."""
        everywhere = self.checks_by_person()
        for peer in self.peers:
            for seen in (peer.who_was_there, peer.who_went_out):
                everywhere.update(
                    (person.person_id, row) for person, row in seen.values() if person
                )
        return everywhere

    def linger(self, summary: Summary) -> None:
        """Beside the screens: the summary now, and the screens up until Ctrl-C."""
        assert self.demo is not None
        sys.stdout.write(format_summary(summary))
        sys.stdout.flush()
        self.summary_printed = True
        self.out.write("\nThe shift is over; the screens stay up until Ctrl-C:\n")
        self.out.write(self.demo.describe() + "\n")
        self.out.flush()
        stay_until_stopped()

    def close(self) -> None:
        if self.logs is not None:
            self.logs.stop()
        for peer in self.peers:
            peer.stop()
        if self.demo is not None:
            self.demo.stop()
        if self.app is not None:
            self.app.stop(flush_timeout_s=None)  # drained in finish, if it got that far
        if self.subscriber is not None:
            self.subscriber.stop()
        if self.private is not None:
            self.private.stop()


def _renew_tests_each_day(shift: Shift) -> None:
    """Over several days, each gate's roster renews each worker's test as of the day."""
    assert shift.app is not None
    gates = [(shift.rig.clock.on_advance, shift.app.gate)]
    gates += [(peer.rig.clock.on_advance, peer.gate) for peer in shift.peers]
    renew_tests_each_day(shift.plan.everyone, shift.rig.config, gates)


def _write_results(shift: Shift, path: Path) -> None:
    """Each row of the crowd with its final answer, at whichever gate it came to; a guard's
    decision from the record of the gate that flagged them."""
    sides = [shift.way_in.who_was_there]
    sides += [shift.way_out.who_was_there] if shift.way_out is not None else []
    for peer in shift.peers:
        sides += [peer.who_was_there, peer.who_went_out]
    assert shift.app is not None
    records = [shift.app.record, *(peer.record for peer in shift.peers)]
    steps = steps_by_flag(step for record in records for step in record.rows("secondary_steps"))
    write_results(path, shift.plan.everyone, checks_of_each(sides), steps)


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


class ScreensUnavailable(GateError, RuntimeError):
    pass


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
