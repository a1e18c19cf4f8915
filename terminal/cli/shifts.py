"""``gate-terminal shifts show --config FILE [--date YYYY-MM-DD]``: the gate's plan for a day.

The groups this gate serves, each with its windows of the day and what they are for, the graces,
and whether the day is a holiday or a dated change; then the groups other gates serve. A window
on a day the clocks change says which real times it covers (terminal/rules/shifts.py).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

from terminal.config import WEEKDAYS, Config, ShiftGroup, load
from terminal.rules.shifts import day_windows, openings

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    shifts = subparsers.add_parser("shifts", help="the shift groups' windows at this gate")
    actions = shifts.add_subparsers(dest="shifts_command", required=True)
    show = actions.add_parser(
        "show", help="print the gate's plan for a day", description="print the gate's plan"
    )
    show.add_argument("--config", type=str, required=True, metavar="FILE")
    # checked here, not by argparse, so that a bad date is one line like every other error
    show.add_argument("--date", type=str, default=None, metavar="YYYY-MM-DD")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    config = load(Path(args.config))  # a ConfigError is the caller's to report
    zone = ZoneInfo(config.gate.timezone)
    if args.date is None:
        day = datetime.now(zone).date()
    else:
        try:
            day = date.fromisoformat(args.date.strip())
        except ValueError:
            print(f"gate-terminal: --date: expected YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
            return 2
    sys.stdout.write(plan(config, day))
    return 0


def plan(config: Config, day: date) -> str:
    shifts = config.shifts
    gate = config.gate
    lines = [
        f"gate {gate.id} ({gate.park}), {gate.timezone}: {_DAY_NAMES[day.weekday()]} {day}",
        f"grace: {shifts.early_grace_min:g} min early, {shifts.late_grace_min:g} min late",
    ]
    if day in shifts.holidays:
        lines.append("holiday: no windows, except for groups with a dated change for the day")
    served = {n: g for n, g in sorted(shifts.groups.items()) if g.serves(gate.id)}
    others = {n: g for n, g in sorted(shifts.groups.items()) if not g.serves(gate.id)}
    if not served:
        lines.append("this gate serves no shift group")
    for name, group in served.items():
        lines += _group_lines(name, group, config, day)
    for name, group in others.items():
        lines.append(f"not served here: {name} (gates: {', '.join(group.gates or ())})")
    return "\n".join(lines) + "\n"


def _group_lines(name: str, group: ShiftGroup, config: Config, day: date) -> list[str]:
    shifts = config.shifts
    zone = ZoneInfo(config.gate.timezone)
    changed = any(change.date == day for change in group.changes)
    lines = [f"{name}{' (dated change for this day)' if changed else ''}"]
    if (group.early_grace_min, group.late_grace_min) != (None, None):
        early, late = group.graces_min(shifts)
        lines.append(f"  grace: {early:g} min early, {late:g} min late (this group's)")
    if group.any_time:
        return [*lines, "  any time"]
    windows = day_windows(group, shifts, day)
    if not windows:
        why = "day off" if changed else "holiday" if day in shifts.holidays else "not a work day"
        weekdays = sorted({d for w in group.weekly for d in w.days}, key=WEEKDAYS.index)
        return [*lines, f"  no windows ({why}; weekly on {', '.join(weekdays) or 'no day'})"]
    real = {(o.kind, o.window): o for o in openings(group, shifts, day, zone, kinds=None)}
    for kind, window in windows:
        text = f"  {window}  {kind}"
        opening = real.get((kind, window))
        if window.crosses_midnight:
            text += " (ends the next day)"
        if opening is None:
            text += f"  does not happen: the clocks skip these times in {config.gate.timezone}"
        elif (
            opening.start.time() != window.start
            or opening.end.time() != window.end
            or opening.start.utcoffset() != opening.end.utcoffset()
        ):
            text += f"  clocks change: {opening.interval()}"
        lines.append(text)
    return lines
