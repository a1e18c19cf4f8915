"""``gate-terminal doctor``: is this gate ready to run? One row per check, each passing or
failing with what to do about it.

The checks look at what the service will use, through the same device factory, without changing
anything a running gate depends on: the thermometers and the distance sensor are read, the camera
gives frames, the relay clicks only when asked (``--actuate``), the broker is logged in to under
another client id (never while the gate itself is logged in) and sent no status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from terminal.doctor.text import Said

Status = Literal["pass", "fail", "skip"]

# the checks, in the order they run and are shown (README's troubleshooting is keyed by them)
CHECKS = (
    "config",
    "i2c",
    "thermometer",
    "distance",
    "camera",
    "relay",
    "inputs",
    "broker",
    "clock",
    "disk",
    "record",
)


@dataclass(frozen=True)
class Row:
    check: str
    status: Status
    detail: Said
    fix: Said | None = None

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def passed(check: str, detail: Said) -> Row:
    return Row(check, "pass", detail)


def failed(check: str, detail: Said, fix: Said) -> Row:
    return Row(check, "fail", detail, fix)


def not_checked(check: str, why: Said) -> Row:
    return Row(check, "skip", why)
