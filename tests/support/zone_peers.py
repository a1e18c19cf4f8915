"""Gates of one zone that hear each other's passages."""

from __future__ import annotations

from pathlib import Path

from terminal.config import Config
from terminal.link.topics import Messages
from terminal.record.store import PassageRow
from tests.conftest import make_config


def zone_gate(tmp_path: Path, gate: str) -> Config:
    folder = tmp_path / gate
    folder.mkdir()
    return make_config(
        folder,
        gate={"id": gate},
        zone={"name": "hall", "capacity": 10, "gates": ["hall-in", "hall-out"]},
    )


def peer_passages(count: int) -> list[tuple[str, str]]:
    """``count`` passages into the hall at gate hall-out: (topic, payload)."""
    peer = Messages("test-park", "hall-out", boot_id="b" * 32, timezone="Asia/Shanghai")
    sent = []
    for index in range(count):
        row = PassageRow(
            f"{index:032x}", "check", f"P{index}", 1_000.0, 6.0, "passed", 1_001.0, 1_002.0,
            "entry", "hall",
        )  # fmt: skip
        message = peer.passage(row, 1_002.0 + index)
        sent.append((message.topic, message.payload))
    return sent
