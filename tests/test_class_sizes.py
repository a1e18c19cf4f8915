"""No class over 300 lines: a class that long does more than one job, and the next engineer
cannot change it without fear. Split it by its jobs rather than raise the number."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MOST_LINES = 300


def long_classes() -> list[str]:
    found = []
    for top in ("terminal", "drivers", "simulator", "firmware", "tests"):
        for path in sorted((REPO / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MOST_LINES:
                        found.append(f"{path.relative_to(REPO)}: {node.name} has {lines} lines")
    return found


def test_no_class_is_over_300_lines() -> None:
    assert long_classes() == []
