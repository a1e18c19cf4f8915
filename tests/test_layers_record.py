"""The record is the one door to its database: no module outside ``terminal/record/`` (and the
centre, whose database is its own) imports SQLite or reaches into the record's connection."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("terminal", "simulator", "drivers", "firmware")
# the record's own package, and the centre's separate database
ALLOWED = (REPO / "terminal" / "record", REPO / "terminal" / "centre")
DATABASE_MODULES = {"sqlite3", "sqlite_utils"}


def sources() -> list[Path]:
    paths = [path for root in ROOTS for path in sorted((REPO / root).rglob("*.py"))]
    return [path for path in paths if not any(path.is_relative_to(a) for a in ALLOWED)]


def chain(node: ast.AST) -> list[str]:
    """The names of an attribute chain, outermost last: ``self.record.db`` -> [self, record, db]."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names[::-1]


def reaches_around(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in DATABASE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in DATABASE_MODULES:
                found.append(node.module)
        elif isinstance(node, ast.Attribute) and node.attr == "db":
            # the record's connection: record.db, self.record.db, context.record.db
            if any("record" in name for name in chain(node.value)):
                found.append(".".join(chain(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names = chain(node.func)
            if node.func.attr in {"execute", "query"} and any(
                "record" in name or name == "db" for name in names[:-1]
            ):
                found.append(".".join(names) + "(")
    return found


def test_the_scan_sees_each_way_around_the_record() -> None:
    code = (
        "import sqlite3\nfrom sqlite_utils import Database\n"
        "self.record.db.execute('x')\nrecord.execute('y')\ndb.query('z')\n"
    )
    assert set(reaches_around(ast.parse(code))) == {
        "sqlite3",
        "sqlite_utils",
        "self.record.db",
        "self.record.db.execute(",
        "record.execute(",
        "db.query(",
    }


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_outside_the_record_touches_its_database(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert reaches_around(tree) == [], f"{path.relative_to(REPO)} reaches around the record"
