"""Today's flow as stacked bars, one bar per hour and one colour per gate: the geometry is computed
here and drawn as SVG by a template (so every name in it is escaped), with no script."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 150, 14, 30  # room for the axis labels and the legend
COLOURS = ("#12355b", "#c25e00", "#0b7a32", "#7b3fa0", "#b3261e", "#2a7fa8", "#8a6d00", "#555555")


@dataclass(frozen=True)
class Bar:
    gate: str
    hour: int
    count: int
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Tick:
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[tuple[str, str, int]]  # gate, colour, y
    left: float
    right: float
    bottom: float
    top: float


def nice_step(top: int) -> int:
    """A step of 1, 2 or 5 times a power of ten giving four to eight grid lines."""
    if top <= 5:
        return 1
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return int(multiple * power)
    return int(10 * power)


def flow_plot(flow: dict[str, list[int]]) -> Plot:
    gates = sorted(flow)
    totals = [sum(flow[g][hour] for g in gates) for hour in range(24)]
    step = nice_step(max(totals, default=0))
    top = max(step, math.ceil(max(totals, default=0) / step) * step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / 24
    bars: list[Bar] = []
    for hour in range(24):
        stacked = 0
        for index, gate in enumerate(gates):
            count = flow[gate][hour]
            if count <= 0:
                continue
            height = plot_h * count / top
            y = TOP + plot_h - plot_h * (stacked + count) / top
            bars.append(
                Bar(gate, hour, count, LEFT + hour * slot + 1.5, y, slot - 3, height,
                    COLOURS[index % len(COLOURS)])
            )  # fmt: skip
            stacked += count
    x_ticks = [Tick(f"{hour:02d}", LEFT + (hour + 0.5) * slot, HEIGHT - BOTTOM + 16)
               for hour in range(0, 24, 3)]  # fmt: skip
    y_ticks = [Tick(str(value), LEFT - 6, TOP + plot_h - plot_h * value / top)
               for value in range(0, top + 1, step)]  # fmt: skip
    legend = [(gate, COLOURS[index % len(COLOURS)], TOP + 14 + 18 * index)
              for index, gate in enumerate(gates)]  # fmt: skip
    return Plot(WIDTH, HEIGHT, bars, x_ticks, y_ticks, legend, LEFT, WIDTH - RIGHT,
                TOP + plot_h, TOP)  # fmt: skip
