"""One root for the gate's errors and one for the drivers': the command line catches them once."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import drivers
import firmware
import terminal
from drivers.errors import DriverError
from terminal.cli.main import main
from terminal.common.errors import EXIT_REFUSED, GateError


def _modules(package: ModuleType) -> list[ModuleType]:
    names = [package.__name__] + [
        info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    ]
    return [importlib.import_module(name) for name in names]


def _exceptions_defined_in(package: ModuleType) -> list[type[BaseException]]:
    return [
        cls
        for module in _modules(package)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    ]


def test_every_error_of_the_gate_is_a_gate_error() -> None:
    found = _exceptions_defined_in(terminal)
    assert len(found) >= 20  # the walk found the modules
    assert [cls.__qualname__ for cls in found if not issubclass(cls, GateError)] == []


@pytest.mark.parametrize("package", [drivers, firmware], ids=["drivers", "firmware"])
def test_every_error_of_a_driver_is_a_driver_error(package: ModuleType) -> None:
    found = _exceptions_defined_in(package)
    assert found
    assert [cls.__qualname__ for cls in found if not issubclass(cls, DriverError)] == []


def test_the_drivers_root_is_not_the_gates() -> None:
    # the drivers import nothing from the gate, so their root stands on its own
    assert not issubclass(DriverError, GateError)


def test_errors_that_were_value_errors_still_are() -> None:
    # callers that catch ValueError around a config or a file keep catching them
    from terminal.common.csvfile import CsvFileError
    from terminal.config import ConfigError
    from terminal.rules.roster import RosterError

    for cls in (ConfigError, CsvFileError, RosterError):
        assert issubclass(cls, GateError) and issubclass(cls, ValueError)


def test_a_gate_error_reaches_the_command_line_as_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from terminal.cli import shifts

    class Refused(GateError):
        pass

    def refuse(_args: object) -> int:
        raise Refused("roster.csv: line 3: no such group")

    monkeypatch.setattr(shifts, "run", refuse)
    assert main(["shifts", "show", "--config", "config/simulator.toml"]) == EXIT_REFUSED
    assert capsys.readouterr().err == "gate-terminal: roster.csv: line 3: no such group\n"
