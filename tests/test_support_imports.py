"""Test modules share helpers through tests/support/ only: a test module that imports another
drags that module's tests, fixtures and import time into its own, and breaks when it is split."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.update(f".{alias.name}" for alias in node.names)
            if node.module:
                found.add(f".{node.module}")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another_test_module() -> None:
    offenders = {
        f"{path.relative_to(TESTS)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in imported_modules(path)
        if module.rsplit(".", 1)[-1].startswith("test_")
    }
    assert not offenders, sorted(offenders)


def test_the_support_modules_are_found() -> None:
    # the check above reads files: make sure it read the ones that matter
    assert (TESTS / "support" / "people.py").exists()
    assert "tests.support.people" in imported_modules(TESTS / "test_contract.py")
