"""Whose code a screenshot is, and whether the gate held that code when it was shown again: the
simulator's own reading of "one screenshot, one admission" (docs/health-codes.md, Replay and
pass-back), from what the world saw the code's owner do and the config's windows, not from the
gate's holds.

A code is held from the moment its owner is let in on it (by the gate's check, or, after a
secondary check, by staff: then from when they were sent to the check point) until the window
that let them in closes, its late grace in (``healthcode.replay.hold_h``: a fixed time instead;
a group that may come at any time: ``any_time_hold_h``). Shown again while it is held, the gate
must refuse it as a replay. Shown again before its owner was let in on it, or after the hold,
the gate cannot tell a screenshot from its owner's phone: it answers as it would the owner (the
owner's group, the owner's window), and an admission on it is someone else's code let in (the
truth's check of who stood in front says so).

Where the world cannot tell, this says None and the reason is not judged: an owner who turned
back (the passage contact ends the hold), one freed by a fire alarm, one sent to the check point
and not let in by staff (the hold ends with the guard's decision), a moment within seconds of a
hold's end, or a day the clocks change. A way out holds no code, and leaving the zone is not
looked at here (the scenarios replay no code after its owner has left).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from simulator.crowd import SimPerson
from simulator.rig import roster_group
from simulator.timetable import open_until
from simulator.world import Visit
from terminal.config import Config
from terminal.record.store import CheckRow

# the gate reads the code a moment before it decides: this near a hold's end, either side may be
# right
UNSURE_NEAR_END_S = 5.0


def code_owners(visits: list[Visit]) -> dict[str, Visit]:
    """Each screenshot shown (by the simulation's person id) and the visit of the code's owner:
    the person who showed that code as their own."""
    own = {
        visit.payload: visit
        for visit in visits
        if visit.payload is not None and visit.person.code != "replayed"
    }
    return {
        visit.person.person_id: own[visit.payload]
        for visit in visits
        if visit.person.code == "replayed" and visit.payload in own
    }


def held_when_shown(
    visits: list[Visit], rows: Mapping[str, list[CheckRow]], config: Config
) -> dict[str, bool | None]:
    """Each screenshot that was checked (by the simulation's person id): whether the gate held
    its code when it decided on it (None: this reading cannot tell). ``rows``: each person's
    checks, in order, by who really stood in front."""
    if config.gate.direction == "exit":
        return {}  # a way out holds no code: it identifies whoever leaves
    owners = code_owners(visits)
    held: dict[str, bool | None] = {}
    for pid, owner in owners.items():
        shown = rows.get(pid)
        if shown:
            owner_rows = rows.get(owner.person.person_id, [])
            held[pid] = _held(owner, owner_rows, shown[-1].epoch_s, config)
    return held


def _held(owner: Visit, owner_rows: list[CheckRow], at_s: float, config: Config) -> bool | None:
    """Did the owner's admission (or their wait at the check point) hold their code at
    ``at_s``?"""
    if owner.outcome in ("turned_back", "freed"):
        return None
    if owner.relay_pulses and owner.outcome == "passed":
        since = owner.reacted_at  # the turnstile opened for them
    elif owner.staff_pulses:
        since = owner.reacted_at  # sent to the check point: held while they waited
    elif owner_rows and owner_rows[-1].reason == "secondary_check":
        return None  # waits for the guard, or refused by them: when is the guard's
    else:
        return False  # refused, or never let in: nothing holds it
    if since is None:
        return None
    if at_s < since:
        return False
    until_s = hold_ends_s(owner.person, since, config)
    if until_s is None or abs(at_s - until_s) < UNSURE_NEAR_END_S:
        return None
    return at_s < until_s


def hold_ends_s(owner: SimPerson, since_s: float, config: Config) -> float | None:
    """When a hold on ``owner``'s code from ``since_s`` ends (epoch s; None: cannot tell)."""
    replay = config.healthcode.replay
    if replay.hold_h is not None:
        return since_s + replay.hold_h * 3600
    group_name = roster_group(owner)
    group = config.shifts.groups.get(group_name)
    if group is None:
        return None
    if "*" in group.windows:
        return since_s + replay.any_time_hold_h * 3600
    since = datetime.fromtimestamp(since_s, ZoneInfo(config.gate.timezone))
    closes = open_until(config, group_name, since)
    return None if closes is None else closes.timestamp()
