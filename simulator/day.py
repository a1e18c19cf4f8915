"""The simulated day's figures: the queue in front of the gate, persons through the gate per
minute in each shift window, and the occupancy behind it over the day; and their plot as a PNG.

The queue is the world's truth (when each person arrived and left the queue's head); the windows
are the config's, read by the simulator's own timetable; persons and occupancy are the record's
passages, each counted once the turnstile says the person went through. With a zone, the record
holds the passages of every gate of it (its own and those its peers sent), and occupancy is the
zone's as the record counts it, drawn against the zone's capacity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from simulator.crowd import SimPerson
from simulator.timetable import windows_on
from simulator.world import Visit
from terminal.config import Config

# the passages that put a person on the other side of the turnstile: confirmed by the passage
# contact, or (without one) a release the gate cannot confirm
THROUGH = ("passed", "unconfirmed")
PLOT_WIDTH, PLOT_HEIGHT = 1200, 640


@dataclass(frozen=True)
class WindowFigure:
    group: str
    kind: str
    start_s: float  # epoch seconds
    end_s: float
    persons: int  # went through the gate while the window was open

    @property
    def per_minute(self) -> float:
        return self.persons / max((self.end_s - self.start_s) / 60.0, 1e-9)


@dataclass
class DayFigures:
    timezone: str
    start_s: float  # the first and last moment shown (epoch seconds)
    end_s: float
    peak_queue: int = 0  # people waiting in line behind whoever is at the gate
    peak_queue_at_s: float | None = None
    queue: list[tuple[float, int]] = field(default_factory=list)  # (epoch s, length from then)
    occupancy: list[tuple[float, int]] = field(default_factory=list)  # (epoch s, inside from then)
    windows: list[WindowFigure] = field(default_factory=list)
    drills: list[tuple[float, float]] = field(default_factory=list)  # fire alarms: (from, until)
    plot: Path | None = None
    capacity: int | None = None  # the zone's
    gates: int = 1  # the passages counted are of this many gates

    @property
    def peak_occupancy(self) -> int:
        return max((inside for _, inside in self.occupancy), default=0)

    @property
    def final_occupancy(self) -> int:
        return self.occupancy[-1][1] if self.occupancy else 0


def queue_over_time(
    visits: list[Visit], start_s: float, walk_up_s: float
) -> list[tuple[float, int]]:
    """How many people wait in line, from each change on: a person joins when they arrive (or
    come back from a rest) and leaves the line at its head (when they start walking up).
    Someone who walks straight up never waits: leaving is counted before joining at the same
    moment."""
    changes: list[tuple[float, int]] = []
    for visit in visits:
        for approach in [*visit.earlier, visit]:  # resting is not waiting in line
            changes.append((approach.queued_from(start_s), +1))
            changes.append((approach.front_at - walk_up_s, -1))
    return _running_total(changes)


def passage_direction(passage: dict[str, Any], scenario: dict[str, SimPerson]) -> int:
    """+1 for a passage into the park, -1 out of it. The record's own direction (the gate's:
    entry or exit) when it has one; for a record without, the scenario's, for the person."""
    recorded = passage.get("direction")
    if recorded in ("entry", "in", "exit", "out"):
        return 1 if recorded in ("entry", "in") else -1
    person = scenario.get(passage.get("person_id") or "")
    return -1 if person is not None and person.direction == "out" else 1


def occupancy_over_time(
    passages: list[dict[str, Any]], scenario: dict[str, SimPerson]
) -> list[tuple[float, int]]:
    """How many people are inside, from each passage on (starting from nobody)."""
    changes = [
        (_through_at(p), passage_direction(p, scenario))
        for p in passages
        if p["outcome"] in THROUGH
    ]
    return _running_total(changes)


def _through_at(passage: dict[str, Any]) -> float:
    passed = passage.get("passed_s")
    return float(passed if passed is not None else passage["released_s"])


def _running_total(changes: list[tuple[float, int]]) -> list[tuple[float, int]]:
    series: list[tuple[float, int]] = []
    total = 0
    for at, delta in sorted(changes):
        total += delta
        if series and series[-1][0] == at:
            series[-1] = (at, total)
        else:
            series.append((at, total))
    return series


def shift_windows(
    config: Config, start_s: float, end_s: float
) -> list[tuple[str, str, float, float]]:
    """The windows of the groups this gate serves that overlap ``start_s``..``end_s``: (group,
    kind, start, end) in epoch seconds, by start."""
    zone = ZoneInfo(config.gate.timezone)
    first = datetime.fromtimestamp(start_s, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(end_s, zone).date()
    found = []
    for name, group in config.shifts.groups.items():
        if group.gates is not None and config.gate.id not in group.gates:
            continue
        day: date = first
        while day <= last:
            for opens, closes, kind in windows_on(config, name, day):
                opens_s = opens.replace(tzinfo=zone).timestamp()
                closes_s = closes.replace(tzinfo=zone).timestamp()
                if closes_s > start_s and opens_s < end_s:
                    found.append((name, kind, opens_s, closes_s))
            day += timedelta(days=1)
    return sorted(found, key=lambda w: (w[2], w[0]))


def day_figures(
    config: Config,
    visits: list[Visit],
    passages: list[dict[str, Any]],
    people: list[SimPerson],
    *,
    start_s: float,
    end_s: float,
    walk_up_s: float,
    drills: list[tuple[float, float]],
    occupancy: list[tuple[float, int]] | None = None,
    gates: int = 1,
) -> DayFigures:
    """``occupancy``: the zone's, as the record counts it (default: from ``passages``)."""
    scenario = {p.person_id: p for p in people}
    queue = queue_over_time(visits, start_s, walk_up_s)
    figures = DayFigures(
        timezone=config.gate.timezone,
        start_s=start_s,
        end_s=end_s,
        queue=queue,
        occupancy=occupancy if occupancy is not None else occupancy_over_time(passages, scenario),
        drills=[(f, u) for f, u in drills if u != float("inf")],
        capacity=config.zone.capacity if occupancy is not None else None,
        gates=gates,
    )
    if queue:
        at, longest = max(queue, key=lambda change: (change[1], -change[0]))
        figures.peak_queue, figures.peak_queue_at_s = longest, at
    through = [_through_at(p) for p in passages if p["outcome"] in THROUGH]
    for group, kind, opens_s, closes_s in shift_windows(config, start_s, end_s):
        persons = sum(1 for at in through if opens_s <= at <= closes_s)
        figures.windows.append(WindowFigure(group, kind, opens_s, closes_s, persons))
    return figures


def _clock(epoch_s: float, timezone: str) -> str:
    return f"{datetime.fromtimestamp(epoch_s, ZoneInfo(timezone)):%H:%M}"


def format_day(figures: DayFigures) -> list[str]:
    tz = figures.timezone
    peak_at = (
        f" at {_clock(figures.peak_queue_at_s, tz)}" if figures.peak_queue_at_s is not None else ""
    )
    lines = [
        f"  the day                peak queue {figures.peak_queue} waiting{peak_at}; occupancy"
        f" peak {figures.peak_occupancy}, at the end {figures.final_occupancy}",
    ]
    where = "the gate" if figures.gates == 1 else "the gates"
    for w in figures.windows:
        lines.append(
            f"    {w.group:<10} {w.kind:<8} {_clock(w.start_s, tz)}-{_clock(w.end_s, tz)}"
            f"  {w.persons:>4} through {where}, {w.per_minute:.2f} per minute"
        )
    if figures.plot is not None:
        lines.append(f"    plot of the day      {figures.plot}")
    return lines


# --- the plot ---------------------------------------------------------------------------------
_KIND_COLOURS = {  # BGR, light: the curves are drawn over them
    "arrival": (250, 225, 200),
    "meal": (200, 235, 250),
    "rest": (210, 245, 210),
    "leaving": (245, 215, 235),
}
_DRILL_COLOUR = (170, 170, 255)
_INK = (40, 40, 40)
_GRID = (225, 225, 225)
_OCCUPANCY_COLOUR = (160, 80, 20)
_QUEUE_COLOUR = (30, 110, 220)
_CAPACITY_COLOUR = (40, 40, 200)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_LEFT, _RIGHT, _TOP, _BOTTOM, _GAP = 70, 20, 50, 50, 40


def write_plot(figures: DayFigures, path: Path) -> None:
    """Occupancy (top, against the zone's capacity: a dashed line) and the queue (bottom) over
    the day, over the shift windows (shaded by kind) and the fire drills (red), as a PNG of
    PLOT_WIDTH x PLOT_HEIGHT."""
    image = np.full((PLOT_HEIGHT, PLOT_WIDTH, 3), 255, np.uint8)
    panel_h = (PLOT_HEIGHT - _TOP - _BOTTOM - _GAP) // 2
    panels = [
        ("inside (occupancy)", figures.occupancy, _OCCUPANCY_COLOUR, _TOP, figures.capacity),
        (
            "waiting in the queue" + ("" if figures.gates == 1 else " (of the first gate)"),
            figures.queue,
            _QUEUE_COLOUR,
            _TOP + panel_h + _GAP,
            None,
        ),
    ]
    span = max(figures.end_s - figures.start_s, 1.0)
    width = PLOT_WIDTH - _LEFT - _RIGHT

    def x_of(epoch_s: float) -> int:
        return _LEFT + round(width * min(max(epoch_s - figures.start_s, 0.0), span) / span)

    zone = ZoneInfo(figures.timezone)
    title = "at the gate" if figures.gates == 1 else f"at the zone's {figures.gates} gates"
    cv2.putText(image, f"The simulated day {title}", (_LEFT, 30), _FONT, 0.7, _INK, 2)
    for title, series, colour, top, limit in panels:
        bottom = top + panel_h
        for _, kind, opens_s, closes_s in [
            (w.group, w.kind, w.start_s, w.end_s) for w in figures.windows
        ]:
            colour_of_kind = _KIND_COLOURS.get(kind, _GRID)
            cv2.rectangle(image, (x_of(opens_s), top), (x_of(closes_s), bottom), colour_of_kind, -1)
        for sounds_from, until in figures.drills:
            cv2.rectangle(
                image, (x_of(sounds_from), top), (x_of(until) + 2, bottom), _DRILL_COLOUR, -1
            )
        highest = max([1, *(value for _, value in series), *([limit] if limit else [])])
        step = max(1, -(-highest // 4))
        for value in range(0, highest + step, step):
            y = bottom - round(panel_h * value / (highest + step))
            cv2.line(image, (_LEFT, y), (PLOT_WIDTH - _RIGHT, y), _GRID, 1)
            cv2.putText(image, str(value), (_LEFT - 40, y + 5), _FONT, 0.45, _INK, 1)

        def y_of(value: int, bottom: int = bottom, top_value: int = highest + step) -> int:
            return bottom - round(panel_h * value / top_value)

        if limit is not None:
            y = y_of(limit)
            for x in range(_LEFT, PLOT_WIDTH - _RIGHT, 16):
                cv2.line(image, (x, y), (min(x + 9, PLOT_WIDTH - _RIGHT), y), _CAPACITY_COLOUR, 2)
            label = f"capacity {limit}"
            cv2.putText(
                image, label, (PLOT_WIDTH - _RIGHT - 130, y - 6), _FONT, 0.5, _CAPACITY_COLOUR, 1
            )
        points = [(x_of(figures.start_s), y_of(0))]
        for at, value in series:
            points.append((x_of(at), points[-1][1]))
            points.append((x_of(at), y_of(value)))
        points.append((x_of(figures.end_s), points[-1][1]))
        cv2.polylines(image, [np.array(points, np.int32)], False, colour, 2)
        cv2.rectangle(image, (_LEFT, top), (PLOT_WIDTH - _RIGHT, bottom), _INK, 1)
        cv2.putText(image, title, (_LEFT + 8, top + 18), _FONT, 0.55, colour, 2)
    # the hours along the bottom
    first_hour = datetime.fromtimestamp(figures.start_s, zone).replace(minute=0, second=0)
    hour = first_hour
    axis_y = PLOT_HEIGHT - _BOTTOM
    while hour.timestamp() <= figures.end_s:
        if hour.timestamp() >= figures.start_s:
            x = x_of(hour.timestamp())
            cv2.line(image, (x, axis_y), (x, axis_y + 5), _INK, 1)
            cv2.putText(image, f"{hour:%H}", (x - 9, axis_y + 22), _FONT, 0.45, _INK, 1)
        hour = datetime.fromtimestamp(hour.timestamp() + 3600, zone)
    legend_x = _LEFT
    for label, colour in [*_KIND_COLOURS.items(), ("fire drill", _DRILL_COLOUR)]:
        cv2.rectangle(
            image, (legend_x, PLOT_HEIGHT - 16), (legend_x + 14, PLOT_HEIGHT - 4), colour, -1
        )
        cv2.putText(image, label, (legend_x + 20, PLOT_HEIGHT - 5), _FONT, 0.45, _INK, 1)
        legend_x += 130
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write the plot of the day to {path}")
