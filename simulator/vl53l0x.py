"""A twin of the ST VL53L0X time-of-flight sensor, register by register, on the fake SMBus.

Byte registers with an auto-incrementing index; a single-shot range started by writing 1 to
``SYSRANGE_START`` takes the timing budget (33 ms by default) before the interrupt status shows a
new sample; the range is big-endian millimetres with a range status of 11 when valid, 8190 with
another status when nothing reflects. Writing 2 ranges back to back: a new sample every timing
budget, whether or not the last was read. Ranging noise grows with distance (a few millimetres
up close, about 3 % further out).
"""

from __future__ import annotations

import errno
import math
import random
from collections.abc import Callable

from drivers.vl53l0x import (
    DEFAULT_ADDRESS,
    IDENTIFICATION_MODEL_ID,
    MODEL_ID,
    NO_TARGET_MM,
    PAGE_SELECT,
    POWER_MANAGEMENT_PAGE,
    RANGE_VALID,
    RESULT_INTERRUPT_STATUS,
    RESULT_RANGE_MM,
    RESULT_RANGE_STATUS,
    SYSRANGE_START,
    SYSTEM_INTERRUPT_CLEAR,
)

MAX_RANGE_MM = 1200  # a face indoors, default mode


class VL53L0XTwin:
    TIMING_BUDGET_S = 0.033

    def __init__(
        self,
        now: Callable[[], float],
        distance_cm: Callable[[float], float | None],
        *,
        address: int = DEFAULT_ADDRESS,
        seed: int = 0,
        failing: Callable[[], bool] | None = None,
    ) -> None:
        self.address = address
        self._now = now
        self._distance_cm = distance_cm
        self._rng = random.Random(seed)
        self._failing = failing or (lambda: False)
        self.registers = bytearray(256)
        self.registers[IDENTIFICATION_MODEL_ID] = MODEL_ID
        # with 0x80 = 1 and 0xFF = 1 the index space is the part's private page, where 0x00 is
        # not SYSRANGE_START and 0x91 holds the stop variable
        self.private: dict[int, int] = {0x91: 0x3C}
        self._ready_at: float | None = None
        self._back_to_back = False
        self.ranges_started = 0
        self.ranges_read = 0  # samples the host read out

    def _measure(self) -> None:
        distance = self._distance_cm(self._now())
        if distance is None or distance * 10 > MAX_RANGE_MM:
            millimetres, status = NO_TARGET_MM, 4  # phase fail: nothing reflects
        else:
            true_mm = distance * 10
            millimetres = max(0, round(true_mm + self._rng.gauss(0, 3 + 0.03 * true_mm)))
            status = RANGE_VALID
        self.registers[RESULT_RANGE_STATUS] = status << 3
        self.registers[RESULT_RANGE_MM] = millimetres >> 8
        self.registers[RESULT_RANGE_MM + 1] = millimetres & 0xFF

    def _read(self, index: int) -> int:
        if index == SYSRANGE_START:
            return 0x00  # the start bit clears as soon as the range starts
        if index == RESULT_INTERRUPT_STATUS:
            ready = self._ready_at is not None and self._now() >= self._ready_at
            if ready and self.registers[RESULT_INTERRUPT_STATUS] == 0:
                self._measure()
                self.registers[RESULT_INTERRUPT_STATUS] = 0x04  # new sample ready
            return self.registers[RESULT_INTERRUPT_STATUS]
        if self._on_private_page():
            return self.private.get(index, 0)
        self.ranges_read += index == RESULT_RANGE_MM
        return self.registers[index]

    def _on_private_page(self) -> bool:
        return self.registers[POWER_MANAGEMENT_PAGE] == 0x01 and self.registers[PAGE_SELECT] == 0x01

    def _write(self, index: int, value: int) -> None:
        if index in (POWER_MANAGEMENT_PAGE, PAGE_SELECT):
            self.registers[index] = value
            return
        if self._on_private_page():
            self.private[index] = value
            return
        if index == SYSRANGE_START and value & 0x03:
            self.registers[RESULT_INTERRUPT_STATUS] = 0
            self._ready_at = self._now() + self.TIMING_BUDGET_S
            self._back_to_back = bool(value & 0x02)
            self.ranges_started += 1
            return
        if index == SYSTEM_INTERRUPT_CLEAR and value & 0x01:
            self.registers[RESULT_INTERRUPT_STATUS] = 0
            self._ready_at = self._next_sample_at() if self._back_to_back else None
            return
        self.registers[index] = value

    def _next_sample_at(self) -> float:
        """Back to back, the next sample after the one just cleared: a range ends every timing
        budget from the start, read or not."""
        ready_at = self._ready_at if self._ready_at is not None else self._now()
        budgets = max(1, math.ceil((self._now() - ready_at) / self.TIMING_BUDGET_S))
        return ready_at + budgets * self.TIMING_BUDGET_S

    def transfer(self, write: bytes, read_len: int) -> bytes:
        if self._failing():
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        if not write:
            raise OSError(errno.EREMOTEIO, "VL53L0X: no register index")
        index = write[0]
        for offset, value in enumerate(write[1:]):
            self._write((index + offset) & 0xFF, value)
        return bytes(self._read((index + offset) & 0xFF) for offset in range(read_len))
