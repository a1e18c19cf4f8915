"""I2C transactions counted on the simulator's bus, and the share of the bus they take.

A transaction is what the drivers ask of ``smbus2.SMBus.i2c_rdwr``: a write, or a write then
(repeated start) a read from the same address. On the wire, at the bus clock ``f``:

    bits = 1 (start) + 9 * (1 + written)            address byte + ack, each written byte + ack
           + [1 (repeated start) + 9 * (1 + read)]  when it reads: address byte + ack, each byte
           + 1 (stop)
    time = bits / f

A lower bound: it leaves out clock stretching (the MLX90614 stretches) and the controller's gaps
between bytes. The bus share is the time the transactions took per second of the gate's clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.mlx90614 import FakeSMBus

DEFAULT_CLOCK_HZ = 100_000  # the Pi's own when config.txt does not say


def transaction_bits(written: int, read: int) -> int:
    """Bit times on the wire of one transaction (see the module's formula)."""
    bits = 1 + 9 * (1 + written)
    if read:
        bits += 1 + 9 * (1 + read)
    return bits + 1


def bus_clock_hz(boot_config: Path) -> int:
    """The I2C clock the gate's ``firmware/config.txt`` sets (``dtparam=i2c_arm_baudrate``)."""
    try:
        text = boot_config.read_text(encoding="utf-8")
    except OSError:
        return DEFAULT_CLOCK_HZ
    found = re.findall(r"^\s*dtparam=i2c_arm_baudrate=(\d+)\s*$", text, re.MULTILINE)
    return int(found[-1]) if found else DEFAULT_CLOCK_HZ


@dataclass
class DeviceTally:
    transactions: int = 0
    bits: int = 0


@dataclass
class BusTally:
    by_address: dict[int, DeviceTally] = field(default_factory=dict)

    def count(self, address: int, written: int, read: int) -> None:
        tally = self.by_address.setdefault(address, DeviceTally())
        tally.transactions += 1
        tally.bits += transaction_bits(written, read)


@contextmanager
def counting() -> Iterator[BusTally]:
    """Every simulated bus counts its transactions by device address while this lasts."""
    tally = BusTally()
    original = FakeSMBus.i2c_rdwr

    def i2c_rdwr(self: FakeSMBus, *msgs: Any) -> None:
        if msgs:
            read = msgs[1].len if len(msgs) == 2 else 0
            tally.count(msgs[0].addr, msgs[0].len, read)
        original(self, *msgs)

    FakeSMBus.i2c_rdwr = i2c_rdwr  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        FakeSMBus.i2c_rdwr = original  # type: ignore[method-assign]
