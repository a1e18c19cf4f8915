"""A simulated shift's summary: its figures, and the text ``simulate`` prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from simulator.day import DayFigures, format_day
from simulator.outcome import FinalOutcome, format_outcome
from simulator.progress import ShiftLog
from simulator.screened import ScreeningTally, format_screening
from simulator.zone import (
    ZoneTally,
    format_zone,
)


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
    days: tuple[str, ...] = ()  # the local calendar days the checks fell on (YYYY-MM-DD)
    zone: ZoneTally | None = None  # the zone's gates, occupancy, anti-passback and waits
    # a gate that serves both ways: the figures above are its way in's, these its way out's
    way_out: WayOutTally | None = None
    log: ShiftLog | None = None  # the shift's log file, and how many warnings and errors it holds
    final: FinalOutcome | None = None  # how it ended for each person: the summary's first lines
    # how the screening ended for each person, the guards' load, the rests
    screening: ScreeningTally | None = None

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


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


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
        *(
            [f"  {'day' if len(summary.days) == 1 else 'days'}: {', '.join(summary.days)}"]
            if summary.days
            else []
        ),
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
        *(format_screening(summary.screening) if summary.screening is not None else []),
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
        " (decoding the frames that can show a new code, measuring, deciding)"
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
