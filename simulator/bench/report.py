"""The bench's report: sections of rows, written as Markdown for a reader and JSON for a program.
Every section the bench knows is in the JSON, measured or with the reason it was not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

Cell = str | int | float | None
Row = dict[str, Cell]

# every section of a report, in the order it is written
SECTION_KEYS = (
    "qr_photos",
    "qr_frames",
    "check_time",
    "check_parts",
    "i2c",
    "durable",
    "idle",
    "day_memory",
    "workers_1000",
)


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why it was not measured

    def as_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "rows": self.rows,
            "notes": self.notes,
            "skipped": self.skipped,
        }


def not_measured(title: str, why: str) -> Section:
    return Section(title, skipped=why)


def _cell(value: Cell) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value).replace("|", "\\|")


def table(rows: list[Row]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(key)) for key in columns) + " |" for row in rows]
    return lines


def _machine_lines(machine: dict[str, object]) -> list[str]:
    lines = []
    for key, value in machine.items():
        if isinstance(value, dict):
            value = ", ".join(f"{name} {version}" for name, version in value.items())
        elif isinstance(value, list):
            value = " / ".join(str(item) for item in value)
        lines.append(f"- {key.replace('_', ' ')}: {value}")
    return lines


@dataclass
class Report:
    machine: dict[str, object]
    sections: dict[str, Section] = field(default_factory=dict)
    extra: dict[str, Section] = field(default_factory=dict)  # beside the sections: --base
    wall_s: float = 0.0

    def as_json(self) -> dict[str, object]:
        sections = {
            key: self.sections.get(key, not_measured(key, "not run")).as_json()
            for key in SECTION_KEYS
        }
        return {
            "machine": self.machine,
            "wall_s": round(self.wall_s, 1),
            "sections": sections,
            **{key: section.as_json() for key, section in self.extra.items()},
        }

    def markdown(self) -> str:
        lines = ["# gate-terminal bench", "", *_machine_lines(self.machine)]
        lines.append(f"- bench wall time: {self.wall_s:.0f} s")
        for key in (*SECTION_KEYS, *self.extra):
            section = self.extra.get(key) or self.sections.get(key)
            if section is None:
                continue
            lines += ["", f"## {section.title}", ""]
            if section.skipped is not None:
                lines.append(f"Not measured: {section.skipped}")
                continue
            if section.rows:
                lines += table(section.rows)
            if section.notes:
                lines += ["", *(f"- {note}" for note in section.notes)]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        markdown, data = folder / "bench-report.md", folder / "bench-report.json"
        markdown.write_text(self.markdown(), encoding="utf-8")
        data.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
        return markdown, data
