"""Who comes to the gate: a random morning crowd, or a planned one read from a scenario CSV."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from simulator.days import DAY_S, going_home_between_days
from simulator.mlx90614 import Fault as SensorFault
from terminal.common.csvfile import CsvFileError, read_table
from terminal.common.ids import PERSON_ID
from terminal.config import GROUP_PATTERN, Config
from terminal.rules.roster import Roster

CodeKind = Literal[
    "green",
    "yellow",
    "red",
    "unreadable",  # a green code the camera cannot read (a cracked screen, glare)
    "none",
    # attacks on the code, each refused with its own reason
    "forged",  # signed by a key the gate does not trust, under a key id it does
    "tampered",  # a red code whose colour was changed to green after signing
    "expired",
    "not_yet_valid",
    "unknown_issuer",
    "replayed",  # the previous person's code, shown again
]
CODE_KINDS: tuple[str, ...] = get_args(CodeKind)
# a scenario's `payload:TEXT`: exactly TEXT rendered as the QR code
PAYLOAD_PREFIX = "payload:"
MAX_PAYLOAD_CHARS = 1200  # what QR version 40 at error correction M surely holds as UTF-8
ATTACKS: tuple[str, ...] = CODE_KINDS[5:]
# the reason each attack must be refused with (a replay: while its code is held, see replays.py)
EXPECTED_REASON = {
    "forged": "code_bad_signature",
    "tampered": "code_bad_signature",
    "expired": "code_expired",
    "not_yet_valid": "code_not_yet_valid",
    "unknown_issuer": "code_unknown_issuer",
    "replayed": "code_replayed",
}
# a scenario runs at most this many days (arrival_s counts across them from its start)
MAX_DAYS = 31
SCENARIO_HEADER = ["person_id", "arrival_s", "core_c", "ambient_c", "code"]
# the last nucleic-acid test the roster gives them
NatOnRoster = Literal["valid", "expired", "positive", "missing"]
NATS_ON_ROSTER: tuple[str, ...] = get_args(NatOnRoster)
# optional: what the thermometer sees once they stand where the gate asks (skips the forehead
# model), where they first stand, the forehead model's inputs, the thermometer misbehaving
# while they are in front (nack, bad_pec, error_flag, stuck); the shift group of the config
# they belong to (blank: a group whose window holds their arrival); and whether, once
# admitted, they go through the turnstile (yes, the default) or turn back; and which way they
# go through: in (the default) or out; the gate of the simulated zone they come to (blank: the
# first entry gate serving their group, or the exit gate on the way out); and whose code they
# show (blank: their own): the same worker again later in the day, on a row of its own, or a
# code passed back over the turnstile to someone else. With object_c, what the thermometer sees
# once they have rested indoors (object_rested_c) and the time constant between the two
# (rest_tau_min); and whether someone told to rest comes back (returns: yes, the default, or no)
SCENARIO_OPTIONAL = [
    "object_c",
    "object_rested_c",
    "rest_tau_min",
    "returns",
    "distance_cm",
    "minutes_inside",
    "outside_c",
    "sensor_fault",
    "group",
    "passes",
    "direction",
    "gate",
    "code_of",
]
Direction = Literal["in", "out"]
DIRECTIONS: tuple[str, ...] = get_args(Direction)
SENSOR_FAULTS: tuple[str, ...] = get_args(SensorFault)


@dataclass(frozen=True)
class SimPerson:
    person_id: str
    arrival_s: float  # seconds after the shift's start
    core_c: float
    ambient_c: float
    code: str  # one of CODE_KINDS, or PAYLOAD_PREFIX + the exact text shown
    registered: bool = True
    in_shift: bool = True  # arrives inside the shift window the roster gives them
    # a shift group of the config: the roster gives them this group instead, and the config's
    # windows say whether they are in time (``in_shift`` is then not used)
    group: str | None = None
    dark_mode: bool = False  # the phone shows the code light-on-dark
    code_after_s: float = 0.5  # from stepping up to holding the code to the camera
    leaves_phone: bool = (
        False  # walks on and leaves the phone, code showing, in front of the camera
    )
    sensor_fault: SensorFault | None = None  # the thermometer misbehaves while they are in front
    nat: NatOnRoster = "valid"
    # where they first stand, in front of the distance sensor; they come closer when asked
    distance_cm: float = 30.0
    # the forehead: either what the thermometer sees once they stand where the gate asks (the
    # forehead model skipped), or the model's inputs (None: drawn from the model)
    object_c: float | None = None
    minutes_inside: float | None = None
    outside_c: float | None = None
    passes: bool = True  # admitted, they go through; False: they change their mind, turn back
    direction: Direction = "in"  # into the park through the gate, or out of it
    gate: str | None = None  # the zone's gate they come to (None: as their direction says)
    code_of: str | None = None  # whose code they show (None: their own)
    # a later visit of a person the scenario names again: the name it gives (``person_id`` is
    # the visit's own name in the simulation)
    scenario_id: str | None = None
    # what the thermometer sees once they have rested indoors, and the time constant (minutes)
    # from ``object_c`` on arrival towards it (both or neither; only with ``object_c``)
    object_rested_c: float | None = None
    rest_tau_min: float | None = None
    returns: bool = True  # told to rest, they come back and scan again; False: they do not
    # a worker the scenario names on several rows: their forehead offset is their own for life
    returning: bool = False
    # a row the simulator added, not the scenario: the worker going home between two days
    going_home: bool = False
    line: int | None = None  # the scenario's line of this row (None: a random crowd's)

    @property
    def worker_id(self) -> str:
        """Who this is, whichever of their visits: the scenario's name for them."""
        return self.scenario_id or self.person_id

    @property
    def day(self) -> int:
        """The scenario's day of this row: 0 for the first 86,400 s, and so on."""
        return int(self.arrival_s // DAY_S)

    def object_c_at(self, minutes_since_arrival: float) -> float | None:
        """What the thermometer sees of a planned forehead ``minutes_since_arrival`` after
        they came (None: the forehead model draws them). Resting indoors, the reading relaxes
        from ``object_c`` towards ``object_rested_c`` with the time constant ``rest_tau_min``."""
        if self.object_c is None:
            return None
        if self.object_rested_c is None or self.rest_tau_min is None:
            return self.object_c
        decay = math.exp(-max(0.0, minutes_since_arrival) / self.rest_tau_min)
        return self.object_rested_c + (self.object_c - self.object_rested_c) * decay


@dataclass(frozen=True)
class CrowdMix:
    """Shares of a random crowd. The rest show a green code with a normal temperature."""

    arrival_window_s: float = 900.0
    fever: float = 0.02
    yellow: float = 0.02
    red: float = 0.01
    unreadable: float = 0.02
    no_code: float = 0.02
    unregistered: float = 0.02
    outside_shift: float = 0.01
    dark_mode: float = 0.3
    sensor_fault: float = 0.01
    attack: float = 0.012  # each kind of attack on the code
    nat_expired: float = 0.01
    nat_positive: float = 0.005
    nat_missing: float = 0.01
    turn_back: float = 0.0  # admitted, then not going through after all


def crowd_mix(config: Config) -> CrowdMix:
    """The config's crowd; people turning back after their admission only where the gate can
    see it (a passage contact wired), so that without one a run is what it always was."""
    sim = config.simulator
    turn_back = sim.turn_back_share if config.inputs.passage is not None else 0.0
    return CrowdMix(arrival_window_s=sim.arrival_window_s, turn_back=turn_back)


def _nat(rng: random.Random, mix: CrowdMix) -> NatOnRoster:
    draw = rng.random()
    for name, share in (
        ("expired", mix.nat_expired),
        ("positive", mix.nat_positive),
        ("missing", mix.nat_missing),
    ):
        if draw < share:
            return name  # type: ignore[return-value]
        draw -= share
    return "valid"


def random_crowd(workers: int, seed: int, mix: CrowdMix | None = None) -> list[SimPerson]:
    mix = mix or CrowdMix()
    rng = random.Random(seed)
    nat_rng = random.Random(f"nat-{seed}")  # its own draws: the rest of a seed's crowd stays
    passes_rng = random.Random(f"passes-{seed}")
    arrivals = sorted(rng.uniform(0, mix.arrival_window_s) for _ in range(workers))
    people = []
    for index, arrival in enumerate(arrivals):
        # the air warms through the morning
        ambient = 16.0 + 6.0 * arrival / max(mix.arrival_window_s, 1.0) + rng.gauss(0, 0.3)
        feverish = rng.random() < mix.fever
        core = rng.uniform(37.6, 39.0) if feverish else min(rng.gauss(36.6, 0.2), 37.0)
        draw = rng.random()
        code: str = "green"
        for name, share in (
            ("yellow", mix.yellow),
            ("red", mix.red),
            ("unreadable", mix.unreadable),
            ("none", mix.no_code),
            *((attack, mix.attack) for attack in ATTACKS),
        ):
            if draw < share:
                code = name
                break
            draw -= share
        fault: SensorFault | None = None
        # a faulty sensor is only noticed when a code starts the check
        if code != "none" and rng.random() < mix.sensor_fault:
            fault = rng.choice(["nack", "bad_pec", "error_flag"])
        distance = round(rng.uniform(10.0, 55.0), 1)
        people.append(
            SimPerson(
                person_id=f"W{index + 1:04d}",
                arrival_s=round(arrival, 3),
                core_c=round(core, 2),
                ambient_c=round(ambient, 2),
                code=code,
                registered=rng.random() >= mix.unregistered,
                in_shift=rng.random() >= mix.outside_shift,
                dark_mode=rng.random() < mix.dark_mode,
                # most have the code ready; some still have to find it on the phone
                code_after_s=round(min(rng.lognormvariate(math.log(0.6), 0.7), 3.5), 2),
                sensor_fault=fault,
                nat=_nat(nat_rng, mix),
                distance_cm=distance,
                passes=passes_rng.random() >= mix.turn_back,
            )
        )
    return _with_each_attack(people, rng, at_least=min(2, workers // 50))


def _with_each_attack(
    people: list[SimPerson], rng: random.Random, at_least: int
) -> list[SimPerson]:
    """A demo crowd shows every attack on codes a few times, however the dice fell."""
    for attack in ATTACKS:
        shown = sum(p.code == attack for p in people)
        plain = [i for i, p in enumerate(people) if p.code == "green" and not p.sensor_fault]
        for index in rng.sample(plain, min(len(plain), max(0, at_least - shown))):
            people[index] = replace(people[index], code=attack)
    return people


def crowd_from_roster(
    roster: Roster, workers: int, seed: int, mix: CrowdMix | None = None
) -> list[SimPerson]:
    """A random crowd of the people on a real roster (each at most once) and a few strangers.
    What the roster says of them (group, test, visit) is the roster's: the gate decides."""
    people = random_crowd(workers, seed, mix)
    ids = sorted(w.person_id for w in roster.workers()) + sorted(
        v.person_id for v in roster.visitors()
    )
    random.Random(f"roster-{seed}").shuffle(ids)
    chosen = []
    for index, person in enumerate(people):
        if person.registered and ids:
            chosen.append(replace(person, person_id=ids.pop()))
        else:
            chosen.append(replace(person, person_id=f"X{index + 1:04d}", registered=False))
    return chosen


class ScenarioError(CsvFileError):
    pass


def _number(path: Path, line: int, column: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{path}:{line}: {column} must be a number, got {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ScenarioError(f"{path}:{line}: {column} must be between {low} and {high}, got {text}")
    return value


def _check_code(path: Path, line: int, code: str) -> None:
    if code.startswith(PAYLOAD_PREFIX):
        text = code[len(PAYLOAD_PREFIX) :]
        if not text or len(text) > MAX_PAYLOAD_CHARS:
            raise ScenarioError(
                f"{path}:{line}: code: payload:TEXT needs 1 to {MAX_PAYLOAD_CHARS} characters"
            )
    elif code not in CODE_KINDS:
        raise ScenarioError(
            f"{path}:{line}: code: must be one of {', '.join(CODE_KINDS)} or payload:TEXT, "
            f"got {code!r}"
        )


def is_attack(code: str) -> bool:
    return code in ATTACKS


def load_scenario(path: Path, gates: Mapping[str, str] | None = None) -> list[SimPerson]:
    """A planned crowd. Everyone in it is registered in the roster; an optional ``nat`` column
    says what their last nucleic-acid test was (blank: valid). ``gates``: the simulated zone's
    gates and their directions (entry, exit, both), which a ``gate`` column must name."""
    people: list[SimPerson] = []
    # a person's rows: the first is them, a later one (another time of day) a later visit
    visits: dict[str, list[tuple[int, float]]] = {}
    try:
        planned = read_table(
            path, SCENARIO_HEADER, "scenario", optional=["nat", *SCENARIO_OPTIONAL]
        )
    except CsvFileError as exc:
        raise ScenarioError(str(exc)) from None
    named = {cells["person_id"] for _, cells in planned}
    for line, cells in planned:
        person_id, arrival, core, ambient, code = (cells[name] for name in SCENARIO_HEADER)
        nat = cells["nat"] or "valid"
        if not PERSON_ID.fullmatch(person_id):
            raise ScenarioError(
                f"{path}:{line}: person_id: must be letters, digits, '.', '_' or '-'"
            )
        arrival_s = _number(path, line, "arrival_s", arrival, 0, MAX_DAYS * DAY_S)
        earlier = visits.setdefault(person_id, [])
        for other_line, other_s in earlier:
            if other_s == arrival_s:
                raise ScenarioError(
                    f"{path}:{line}: person_id {person_id!r} arrives at {arrival} on line "
                    f"{other_line} too: one person, one place at a time"
                )
        earlier.append((line, arrival_s))
        _check_code(path, line, code)
        if nat not in NATS_ON_ROSTER:
            raise ScenarioError(
                f"{path}:{line}: nat must be one of {', '.join(NATS_ON_ROSTER)}, got {nat!r}"
            )
        group = cells["group"] or None
        if group is not None and not re.fullmatch(GROUP_PATTERN, group):
            raise ScenarioError(f"{path}:{line}: group: not a shift group's name, got {group!r}")
        passes = cells["passes"].strip().lower() or "yes"
        if passes not in ("yes", "no"):
            raise ScenarioError(f"{path}:{line}: passes must be yes, no or empty, got {passes!r}")
        direction = cells["direction"].strip().lower() or "in"
        if direction not in DIRECTIONS:
            raise ScenarioError(
                f"{path}:{line}: direction must be in, out or empty, got {direction!r}"
            )
        gate = _gate(path, line, cells["gate"].strip() or None, direction, gates or {})
        code_of = cells["code_of"].strip() or None
        if code_of is not None and not PERSON_ID.fullmatch(code_of):
            raise ScenarioError(f"{path}:{line}: code_of: not a person_id, got {code_of!r}")
        row_id = person_id
        if len(earlier) > 1:
            # the same person again (back from lunch, leaving): a row of its own in the
            # simulation, showing their own code unless the row says whose
            row_id = _visit_id(person_id, len(earlier), named)
            code_of = code_of or person_id
        fault = cells["sensor_fault"] or None
        if fault is not None and fault not in SENSOR_FAULTS:
            raise ScenarioError(
                f"{path}:{line}: sensor_fault must be empty or one of "
                f"{', '.join(SENSOR_FAULTS)}, got {fault!r}"
            )

        def optional(
            column: str, low: float, high: float, cells: dict = cells, line: int = line
        ) -> float | None:
            text = cells[column]
            return None if not text else _number(path, line, column, text, low, high)

        forehead = _planned_forehead(path, line, cells)
        people.append(
            SimPerson(
                person_id=row_id,
                scenario_id=person_id if row_id != person_id else None,
                line=line,
                arrival_s=arrival_s,
                core_c=_number(path, line, "core_c", core, 30, 45),
                ambient_c=_number(path, line, "ambient_c", ambient, -20, 50),
                code=code,
                nat=nat,  # type: ignore[arg-type]
                sensor_fault=fault,  # type: ignore[arg-type]
                distance_cm=optional("distance_cm", 1, 300) or 30.0,
                **forehead,
                minutes_inside=optional("minutes_inside", 0, 24 * 60),
                outside_c=optional("outside_c", -40, 55),
                group=group,
                passes=passes == "yes",
                direction=direction,  # type: ignore[arg-type]
                gate=gate,
                code_of=code_of,
            )
        )
    if not people:
        raise ScenarioError(f"{path}: no persons in the scenario")
    returning = {p.scenario_id for p in people if p.scenario_id is not None}
    people = [replace(p, returning=p.worker_id in returning) for p in people]
    return going_home_between_days(sorted(people, key=lambda p: p.arrival_s), named)


def _planned_forehead(path: Path, line: int, cells: dict[str, str]) -> dict:
    """A row's planned forehead: ``object_c``, and from it towards ``object_rested_c`` with
    the time constant ``rest_tau_min`` while they rest (both or neither); whether someone told
    to rest comes back (``returns``)."""

    def cell(column: str, low: float, high: float) -> float | None:
        text = cells[column]
        return None if not text else _number(path, line, column, text, low, high)

    # on arrival anything the sensor can face; rested indoors, a forehead
    object_c, rested_c = cell("object_c", -20, 60), cell("object_rested_c", 20, 45)
    tau = cell("rest_tau_min", 0, 240)
    if tau is not None and tau <= 0:
        raise ScenarioError(f"{path}:{line}: rest_tau_min must be above 0, got {tau:g}")
    if (rested_c is None) != (tau is None):
        have, lack = (
            ("rest_tau_min", "object_rested_c")
            if tau is not None
            else ("object_rested_c", "rest_tau_min")
        )
        raise ScenarioError(f"{path}:{line}: {have} needs {lack} on the same row")
    if rested_c is not None and object_c is None:
        raise ScenarioError(
            f"{path}:{line}: object_rested_c needs object_c (what the thermometer sees on arrival)"
        )
    returns = cells["returns"].strip().lower() or "yes"
    if returns not in ("yes", "no"):
        raise ScenarioError(f"{path}:{line}: returns must be yes, no or empty, got {returns!r}")
    return {
        "object_c": object_c,
        "object_rested_c": rested_c,
        "rest_tau_min": tau,
        "returns": returns == "yes",
    }


def _visit_id(person_id: str, visit: int, named: set[str]) -> str:
    """A later visit's own name in the simulation, apart from every name the scenario uses."""
    row_id = f"{person_id}.visit{visit}"
    while row_id in named:
        row_id += "_"
    named.add(row_id)
    return row_id


def _gate(
    path: Path, line: int, gate: str | None, direction: str, gates: Mapping[str, str]
) -> str | None:
    """A row's gate: one of the simulated zone's, serving the row's direction."""
    if gate is None:
        return None
    if gate not in gates:
        known = ", ".join(gates) or "none: the config has one gate"
        raise ScenarioError(f"{path}:{line}: gate: {gate!r} is not a gate of the day ({known})")
    wanted = "exit" if direction == "out" else "entry"
    if gates[gate] not in (wanted, "both"):
        raise ScenarioError(
            f"{path}:{line}: gate: {gate} is an {gates[gate]} gate, the row goes {direction}"
        )
    return gate


def in_groups(people: list[SimPerson], groups: list[str]) -> list[SimPerson]:
    """The crowd's registered workers spread over ``groups`` in turn (none: left as they are)."""
    if not groups:
        return people
    return [replace(p, group=groups[i % len(groups)]) for i, p in enumerate(people)]


def check_groups(people: list[SimPerson], known: set[str], where: str) -> None:
    """Every person's group is one of the config's."""
    for person in people:
        if person.group is not None and person.group not in known:
            raise ScenarioError(
                f"{where}: {person.person_id}: group {person.group!r} is not in shifts.groups "
                f"({', '.join(sorted(known)) or 'none configured'})"
            )
