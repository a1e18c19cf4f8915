"""One composition root: ``run`` and ``simulate`` build the same gate from a config and a device
factory, and only the command line knows which factory it is."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

from simulator.factory import SimulatedDevices
from simulator.rig import build_rig
from terminal.app.build import GateApp, build_gate
from terminal.app.devices import PiDevices
from terminal.cli.hardware import device_factory
from terminal.config import Config, load
from tests.conftest import make_config

REPO = Path(__file__).resolve().parent.parent
SIMULATOR_CONFIG = REPO / "config" / "simulator.toml"


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            modules.add(node.module)
    return modules


def test_nothing_in_the_gate_imports_the_simulator_but_the_command_line() -> None:
    """The simulator is a device factory chosen where the command line starts: the gate's other
    rooms never import it, not even inside a function."""
    offenders = {
        str(path.relative_to(REPO)): sorted(
            m for m in imported_modules(path) if m == "simulator" or m.startswith("simulator.")
        )
        for path in sorted((REPO / "terminal").rglob("*.py"))
        if "cli" not in path.relative_to(REPO / "terminal").parts[:1]
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_command_line_picks_the_factory_by_the_hardware(tmp_path: Path) -> None:
    simulated = make_config(tmp_path)
    assert isinstance(device_factory(simulated), SimulatedDevices)
    pi = simulated.model_copy(update={"gate": simulated.gate.model_copy(update={"hardware": "pi"})})
    assert isinstance(device_factory(pi), PiDevices)


def client_id(app: GateApp) -> str:
    assert app.publisher is not None
    return app.publisher.client._client_id.decode()


def simulated_config(tmp_path: Path) -> Config:
    config = load(SIMULATOR_CONFIG)
    record = config.record.model_copy(update={"path": tmp_path / "record.sqlite"})
    return config.model_copy(update={"record": record})


def test_the_service_builds_the_gate_the_simulator_builds(tmp_path: Path) -> None:
    """``run`` on simulated hardware (the factory's own crowd from the roster) and ``simulate``
    (the factory over the simulator's rig) give the same gate: its broker login is the config's
    park/id, it takes the centre's commands, and it runs the service's housekeeping."""
    config = simulated_config(tmp_path)
    apps = [
        build_gate(config, SimulatedDevices(), display_for=lambda _state: None),
    ]
    rig = build_rig(config, [], seed=1)
    apps.append(
        build_gate(
            rig.config,
            SimulatedDevices(rig),
            roster=rig.roster,
            record_path=tmp_path / "simulated.sqlite",
            display_for=lambda _state: None,
            mark_simulated=True,
        )
    )
    try:
        for app in apps:
            assert client_id(app) == config.gate.broker_username == "demo-park/gate-1"
            assert app.desk is not None
            assert type(app.gate).__name__ == "Gate"
    finally:
        for app in apps:
            app.stop(flush_timeout_s=None)


def test_a_simulated_gate_runs_the_housekeeping_on_its_own_clock(tmp_path: Path) -> None:
    config = simulated_config(tmp_path)
    rig = build_rig(config, [], seed=1)
    record_path = tmp_path / "simulated.sqlite"
    app = build_gate(
        rig.config,
        SimulatedDevices(rig),
        roster=rig.roster,
        record_path=record_path,
        connect=False,
        display_for=lambda _state: None,
    )
    try:
        started_s = rig.clock.time()
        app.step()
        rig.clock.sleep(45.0)  # past the half minute of the chores, on the simulated clock
        app.step()
        now_s = rig.clock.time()
    finally:
        app.stop()
    with sqlite3.connect(record_path) as record:
        ((alive,),) = record.execute("SELECT alive_s FROM boots").fetchall()
    assert started_s + 45.0 <= alive <= now_s
