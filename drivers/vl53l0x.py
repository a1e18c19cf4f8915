"""ST VL53L0X time-of-flight distance sensor on I2C: how far the face in front of the
thermometer is.

Registers are bytes with an auto-incrementing index: a write is ``[index, data...]``; a read
writes ``[index]`` then (repeated start) reads. 16-bit values are big-endian. A single-shot range
follows ST's API as the common open-source drivers do: restore the stop variable, start
(``SYSRANGE_START`` = 1), wait for the start bit to clear, wait for the "new sample ready"
interrupt status, read the range in millimetres at ``RESULT_RANGE_STATUS + 10`` and clear the
interrupt. A range of 8190/8191 mm, or a range status other than 11, means no target.

The gate asks for the distance with every camera frame, so it does not start a range each time
(some twenty bus transactions and a timing budget of waiting): the part ranges back to back
(``SYSRANGE_START`` = 2), a new sample every timing budget, and :meth:`VL53L0X.latest_mm` reads
the newest one (four transactions) no more often than the part makes them; asked again within a
timing budget, it answers from the last sample without touching the bus.

The start-up here checks the part's identity and sets the I/O to 2.8 V and the interrupt to
"new sample ready"; ST's reference SPAD and temperature calibration run with the part's factory
defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from smbus2 import i2c_msg

from drivers.errors import DriverError

DEFAULT_ADDRESS = 0x29
SYSRANGE_START = 0x00
SYSTEM_INTERRUPT_CONFIG_GPIO = 0x0A
SYSTEM_INTERRUPT_CLEAR = 0x0B
RESULT_INTERRUPT_STATUS = 0x13
RESULT_RANGE_STATUS = 0x14
RESULT_RANGE_MM = RESULT_RANGE_STATUS + 10
VHV_CONFIG_PAD_SCL_SDA_EXTSUP_HV = 0x89
INTERNAL_STOP_VARIABLE = 0x91
POWER_MANAGEMENT_PAGE = 0x80
PAGE_SELECT = 0xFF
IDENTIFICATION_MODEL_ID = 0xC0
MODEL_ID = 0xEE
RANGE_VALID = 11
NO_TARGET_MM = 8190
# a single range with the default 33 ms timing budget; waiting longer means the part is stuck
RANGE_TIMEOUT_S = 0.1
POLL_S = 0.005
TIMING_BUDGET_S = 0.033  # the part's default measurement timing budget: one sample each
START_ONE_RANGE = 0x01
START_BACK_TO_BACK = 0x02


class VL53L0XError(DriverError):
    """The distance sensor answered, but not as a VL53L0X, or not in time."""


class I2CBus(Protocol):
    def i2c_rdwr(self, *i2c_msgs: i2c_msg) -> None: ...


class VL53L0X:
    def __init__(
        self,
        bus: I2CBus,
        address: int = DEFAULT_ADDRESS,
        *,
        sleep: Callable[[float], None],
        now: Callable[[], float],
    ) -> None:
        """``now``: the clock ``sleep`` waits on (``time.monotonic`` on a Pi, the simulated
        clock in the simulator)."""
        if not 0x01 <= address <= 0x7F:
            raise ValueError(f"VL53L0X address must be 0x01..0x7F, got {address:#04x}")
        self.bus = bus
        self.address = address
        self._sleep = sleep
        self._now = now
        self._stop_variable: int | None = None
        self._ranging = False  # ranging back to back, for latest_mm
        self._asked_at = float("-inf")  # when the bus was last asked for a sample
        self._sample_at = float("-inf")  # when the newest sample was read
        self._sample_mm: int | None = None
        # the last ask's failure, said again (as it was) to a reader within the same budget
        self._failed: Exception | None = None

    # --- registers ----------------------------------------------------------------------------
    def write(self, index: int, *data: int) -> None:
        self.bus.i2c_rdwr(i2c_msg.write(self.address, [index, *data]))

    def read(self, index: int, length: int = 1) -> bytes:
        write = i2c_msg.write(self.address, [index])
        read = i2c_msg.read(self.address, length)
        self.bus.i2c_rdwr(write, read)
        return bytes(read)

    def read_u8(self, index: int) -> int:
        return self.read(index)[0]

    def read_u16(self, index: int) -> int:
        high, low = self.read(index, 2)
        return (high << 8) | low

    # --- the part -----------------------------------------------------------------------------
    def start(self) -> None:
        """Check the part and set it up for single-shot ranging. Raises VL53L0XError or the bus's
        OSError."""
        model = self.read_u8(IDENTIFICATION_MODEL_ID)
        if model != MODEL_ID:
            raise VL53L0XError(
                f"device at {self.address:#04x} is not a VL53L0X (model id {model:#04x})"
            )
        pad = self.read_u8(VHV_CONFIG_PAD_SCL_SDA_EXTSUP_HV)
        self.write(VHV_CONFIG_PAD_SCL_SDA_EXTSUP_HV, pad | 0x01)  # 2.8 V I/O
        self.write(0x88, 0x00)  # I2C standard mode
        self._stop_variable = self._with_private_page(lambda: self.read_u8(INTERNAL_STOP_VARIABLE))
        self.write(SYSTEM_INTERRUPT_CONFIG_GPIO, 0x04)  # interrupt: new sample ready
        self.write(SYSTEM_INTERRUPT_CLEAR, 0x01)

    def _with_private_page(self, action: Callable[[], int | None]) -> int | None:
        self.write(POWER_MANAGEMENT_PAGE, 0x01)
        self.write(PAGE_SELECT, 0x01)
        self.write(0x00, 0x00)
        try:
            return action()
        finally:
            self.write(0x00, 0x01)
            self.write(PAGE_SELECT, 0x00)
            self.write(POWER_MANAGEMENT_PAGE, 0x00)

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        waited = 0.0
        while not ready():
            if waited >= RANGE_TIMEOUT_S:
                raise VL53L0XError(f"VL53L0X at {self.address:#04x}: timed out {what}")
            self._sleep(POLL_S)
            waited += POLL_S

    def _sample_ready(self) -> bool:
        return bool(self.read_u8(RESULT_INTERRUPT_STATUS) & 0x07)

    def _take_sample(self) -> int | None:
        """The sample the part holds, its interrupt cleared for the next."""
        status = (self.read_u8(RESULT_RANGE_STATUS) >> 3) & 0x0F
        millimetres = self.read_u16(RESULT_RANGE_MM)
        self.write(SYSTEM_INTERRUPT_CLEAR, 0x01)
        if status != RANGE_VALID or millimetres >= NO_TARGET_MM:
            return None
        return millimetres

    def _start_ranging(self, mode: int) -> None:
        if self._stop_variable is None:
            self.start()
        stop = self._stop_variable or 0
        self._with_private_page(lambda: self.write(INTERNAL_STOP_VARIABLE, stop))
        self.write(SYSRANGE_START, mode)
        if mode == START_ONE_RANGE:
            self._wait(lambda: not self.read_u8(SYSRANGE_START) & 0x01, "starting a range")

    def distance_mm(self) -> int | None:
        """One single-shot range in millimetres; None when nothing is in range. For a one-off
        look (the doctor's); a gate reading the distance over and over uses :meth:`latest_mm`."""
        self._ranging = False
        self._start_ranging(START_ONE_RANGE)
        self._wait(self._sample_ready, "ranging")
        return self._take_sample()

    def latest_mm(self) -> int | None:
        """The newest range in millimetres (None: nothing in range), ranging back to back: the
        bus is asked at most once per timing budget, and a sample not ready yet leaves the last
        one standing while it is younger than ``RANGE_TIMEOUT_S``. A part that stops giving
        samples is :class:`VL53L0XError`; after any failure the next call starts it again (a
        part that lost its power comes back idle)."""
        now = self._now()
        if now - self._asked_at < TIMING_BUDGET_S:
            if self._failed is not None:  # failed within this budget: not asked again yet
                raise self._failed.with_traceback(None)
            return self._sample_mm
        self._asked_at = now
        try:
            if not self._ranging:
                self._start_ranging(START_BACK_TO_BACK)
                self._ranging = True
                self._sample_at = float("-inf")
            if not self._sample_ready():
                if now - self._sample_at < RANGE_TIMEOUT_S:
                    return self._sample_mm
                self._wait(self._sample_ready, "ranging")
            self._sample_mm = self._take_sample()
        except Exception as exc:
            # asked again after a budget, not at once by the next reader of the same frame; and
            # set up again then, as a part that lost its power needs
            self._ranging = False
            self._stop_variable = None
            self._failed = exc
            raise
        self._failed = None
        self._sample_at = self._asked_at = self._now()
        return self._sample_mm

    def distance_cm(self) -> float | None:
        """The newest range in centimetres (:meth:`latest_mm`)."""
        millimetres = self.latest_mm()
        return None if millimetres is None else millimetres / 10.0
