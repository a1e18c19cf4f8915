from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.broker import BrokerUnavailable, PrivateBroker
from terminal.config import Config, parse

REPO = Path(__file__).resolve().parent.parent
TEST_KEY = "test-issuing-key-0123456789"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("GATE_HARDWARE") == "1":
        return
    skip = pytest.mark.skip(reason="needs the real gate hardware; set GATE_HARDWARE=1 on a Pi")
    for item in items:
        if "hardware" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def broker() -> Iterator[PrivateBroker]:
    """A Mosquitto of the tests' own on a free port."""
    try:
        private = PrivateBroker().start()
    except BrokerUnavailable as exc:
        pytest.fail(f"the tests need Mosquitto: {exc}", pytrace=False)
    try:
        yield private
    finally:
        private.stop()


def make_config(tmp_path: Path, **sections: dict) -> Config:
    data: dict = {
        "gate": {
            "park": "test-park",
            "id": "gate-t",
            "timezone": "Asia/Shanghai",
            "hardware": "simulated",
        },
        "record": {"path": str(tmp_path / "record.sqlite")},
        "healthcode": {"key": TEST_KEY},
        "roster": {"workers": str(tmp_path / "workers.csv")},
        "simulator": {"shift_start": "2026-11-23T07:30:00"},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return parse(data, tmp_path / "test.toml")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)
