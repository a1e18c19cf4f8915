"""``gate-terminal zone inside --config FILE``: who the gate's record shows inside its zone now,
for the gate house (an evacuation muster, a question at the end of a shift).

One line a person: their id, their name as the roster has it (when the roster can be read), since
when (the gate's local time) and by which of the zone's gates they came in. The record knows the
passages of this gate and those heard from the zone's other gates: a gate cut off from them knows
only its own. People let in by a staff override have no identity: they are counted, not named.
What comes from the record or the roster is printed escaped: a name holding a terminal's control
sequence cannot clear the screen or forge a line.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from terminal.common.safetext import printable
from terminal.config import Config, load
from terminal.record.store import Record
from terminal.rules.roster import Roster, RosterError, load_roster


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    zone = subparsers.add_parser("zone", help="the gate's zone as its record knows it")
    actions = zone.add_subparsers(dest="zone_command", required=True)
    inside = actions.add_parser(
        "inside",
        help="print who the record shows inside the zone now",
        description="print who the record shows inside the zone now",
    )
    inside.add_argument("--config", type=str, required=True, metavar="FILE")


def run(args: argparse.Namespace) -> int:
    config = load(Path(args.config))  # a ConfigError is the caller's to report
    if config.zone.name is None:
        print(f"gate-terminal: gate {config.gate.id} has no zone ([zone] name in "
              f"{config.source})", file=sys.stderr)  # fmt: skip
        return 2
    path = config.resolved(config.record.path)
    if not path.is_file():
        print(f"gate-terminal: {path}: no record here (record.path in {config.source})",
              file=sys.stderr)  # fmt: skip
        return 2
    roster, roster_problem = _roster(config)
    record = Record(path)
    try:
        people = record.people_inside(config.zone.name)
        count = record.occupancy(config.zone.name)
    finally:
        record.close()
    sys.stdout.write(listing(config, people, count, roster))
    if roster_problem:
        print(f"gate-terminal: names not shown: {roster_problem}", file=sys.stderr)
    return 0


def _roster(config: Config) -> tuple[Roster | None, str | None]:
    """The roster for names; the list is worth having without them."""
    try:
        return load_roster(config), None
    except (RosterError, OSError) as exc:
        return None, printable(str(exc).splitlines()[0][:300])


def listing(
    config: Config, people: list[dict[str, object]], count: int, roster: Roster | None
) -> str:
    zone, gate = config.zone, config.gate
    timezone = ZoneInfo(gate.timezone)
    capacity = f" of {zone.capacity}" if zone.capacity is not None else ""
    lines = [f"zone {zone.name}: {count}{capacity} inside by the record of gate {gate.id}"]
    for person in people:
        person_id = str(person["person_id"])
        known = roster.get(person_id) if roster is not None else None
        since = datetime.fromtimestamp(float(str(person["since_s"])), timezone)
        by = person["gate"] or gate.id
        name = printable(known.name) if known is not None else "-"
        lines.append(
            f"{printable(person_id)}\t{name}\tsince {since:%Y-%m-%d %H:%M:%S}\t"
            f"by gate {printable(str(by))}"
        )
    unnamed = count - len(people)
    if unnamed > 0:
        lines.append(f"{unnamed} more without an identity (let in by a staff override)")
    if any(other != gate.id for other in zone.gates):
        lines.append(
            "the zone's other gates count as far as this gate heard them (a gate cut off from "
            "them knows its own passages only)"
        )
    return "\n".join(lines) + "\n"
