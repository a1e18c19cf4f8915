"""``gate-terminal run`` on simulated hardware with the camera's twin giving every frame at its
frame rate, as a real camera does while nobody is there (the twin otherwise skips the empty
time between people, which only a simulation can): ``python -m simulator.bench.idle_run
--config FILE`` (then ``run``'s own arguments)."""

from __future__ import annotations

import sys
from typing import Any

from simulator.camera import FakeCapture


def camera_always_on() -> None:
    original = FakeCapture.read

    def read(self: FakeCapture) -> Any:
        self.hold = lambda: True  # never skip ahead: a frame every frame interval
        return original(self)

    FakeCapture.read = read  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    from terminal.cli.main import main as gate_terminal

    camera_always_on()
    sys.argv = ["gate-terminal", "run", *argv]
    return int(gate_terminal() or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
