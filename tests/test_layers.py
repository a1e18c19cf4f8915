"""The rooms of the house and who may import whom: a lower room never imports a higher one, the
drivers import nothing of the gate, only the command line picks the simulator, and the centre
takes from the gate only what the two must share. The table is the README's developer map."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# each room, and the rooms it may use (besides itself); lowest first
MAY_USE: dict[str, set[str]] = {
    "terminal.common": set(),
    "terminal.codes": {"terminal.common"},
    # the config names shift windows and keys; the rules read the config: one floor
    "terminal.config": {"terminal.common", "terminal.codes", "terminal.rules"},
    "terminal.rules": {"terminal.common", "terminal.codes", "terminal.config"},
    "terminal.record": {"terminal.common"},
    "terminal.devices": {"terminal.common", "terminal.config", "terminal.rules", "drivers"},
    "terminal.state": {"terminal.common", "terminal.config", "terminal.record"},
    "terminal.screening": {
        "terminal.common", "terminal.config", "terminal.rules", "terminal.record",
        "terminal.devices", "drivers",
    },
    "terminal.link": {
        "terminal.common", "terminal.codes", "terminal.config", "terminal.rules",
        "terminal.record", "terminal.state",
    },
    "terminal.display": {"terminal.common", "terminal.config", "terminal.rules", "terminal.state"},
    "terminal.gate": {
        "terminal.common", "terminal.codes", "terminal.config", "terminal.rules",
        "terminal.record", "terminal.devices", "terminal.state", "terminal.screening",
        "terminal.link", "terminal.display", "drivers",
    },
    "terminal.app": {
        "terminal.common", "terminal.codes", "terminal.config", "terminal.rules",
        "terminal.record", "terminal.devices", "terminal.state", "terminal.screening",
        "terminal.link", "terminal.display", "terminal.gate", "drivers",
    },
    # doctor checks each device, the broker, the clock, the disk and the record on its own
    "terminal.doctor": {
        "terminal.common", "terminal.config", "terminal.rules", "terminal.record",
        "terminal.devices", "terminal.link", "drivers",
    },
    # the park's centre runs elsewhere: the contract, command signing and the keys, the MQTT
    # intake's size wall, the broker login's config, and the shared readers of outside input
    "terminal.centre": {
        "terminal.common", "terminal.config", "terminal.codes.healthcode",
        "terminal.link.contract", "terminal.link.command_signing", "terminal.link.mqtt_intake",
    },
    "drivers": set(),
}  # fmt: skip
# the command line picks a device factory (the simulator's among them) and runs everything
ANYTHING = {"terminal.cli"}


def room_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "terminal":
        return parts[0]
    return ".".join(parts[:2])


def imports_of(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from terminal.link import contract`` imports the module terminal.link.contract
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [m for m in found if m.split(".")[0] in ("terminal", "drivers", "simulator")]


def modules() -> list[tuple[str, Path]]:
    found = []
    for top in ("terminal", "drivers"):
        for path in sorted((REPO / top).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(p for p in parts if p != "__init__")
            if name != "terminal":  # the root package holds nothing
                found.append((name, path))
    return found


def allowed(room: str, imported: str) -> bool:
    target = room_of(imported)
    if target == room or room in ANYTHING:
        return True
    rules = MAY_USE[room]
    return target in rules or any(imported == r or imported.startswith(r + ".") for r in rules)


@pytest.mark.parametrize(("module", "path"), modules(), ids=lambda v: str(v))
def test_a_room_imports_only_the_rooms_below_it(module: str, path: Path) -> None:
    room = room_of(module)
    assert room in MAY_USE or room in ANYTHING, f"{module}: a room the map does not know"
    wrong = [m for m in imports_of(path) if not allowed(room, m)]
    assert not wrong, f"{module} ({room}) imports {wrong}"


def test_the_map_has_no_loop_between_floors() -> None:
    """Two rooms that use each other are one floor; beyond that the rooms stack."""
    floors_apart = {("terminal.config", "terminal.rules"), ("terminal.rules", "terminal.config")}
    for room, uses in MAY_USE.items():
        for other in uses:
            other_room = room_of(other)
            if other_room in MAY_USE and room in MAY_USE[other_room]:
                assert (room, other_room) in floors_apart, (room, other_room)


def test_every_package_under_terminal_is_in_the_map() -> None:
    rooms = {room_of(m) for m, _ in modules() if m.startswith("terminal.")}
    assert rooms - set(MAY_USE) - ANYTHING == set()
