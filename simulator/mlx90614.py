"""A twin of the MLX90614 on a fake SMBus, behaving as the datasheet says on the wire.

The real driver (``drivers.mlx90614``) runs unchanged on top of it. The twin holds the register
map, answers a read-word transaction with LSB, MSB and the PEC computed over the whole frame, and
refreshes its object temperature like the chip: the output follows what is in front of the sensor
through the chip's IIR filter (a first-order lag), and a new value is ready every refresh period.
It can misbehave on request: no acknowledge (the bus's OSError, as smbus2 raises), a corrupted PEC,
or the error flag set.
"""

from __future__ import annotations

import errno
import math
import random
from collections import Counter, deque
from collections.abc import Callable
from ctypes import memmove
from dataclasses import dataclass
from typing import Literal, Protocol

from smbus2 import i2c_msg
from smbus2.smbus2 import I2C_M_RD

from drivers.mlx90614 import (
    DEFAULT_ADDRESS,
    EEPROM_CONFIG1,
    EEPROM_EMISSIVITY,
    EEPROM_ID0,
    EEPROM_PWMCTRL,
    EEPROM_SMBUS_ADDRESS,
    EEPROM_TA_RANGE,
    EEPROM_TO_MAX,
    EEPROM_TO_MIN,
    ERROR_FLAG,
    RAM_RAW_IR1,
    RAM_RAW_IR2,
    RAM_TA,
    RAM_TOBJ1,
    RAM_TOBJ2,
    celsius_to_raw,
    smbus_pec,
)

KEPT_READS = 256

# "stuck": the object temperature freezes at the word it last gave (a plausible value)
Fault = Literal["nack", "bad_pec", "error_flag", "stuck"]

# factory EEPROM defaults (datasheet, section 8.3.3)
_EEPROM_DEFAULTS = {
    EEPROM_TO_MAX: 0x9993,
    EEPROM_TO_MIN: 0x62E3,
    EEPROM_PWMCTRL: 0x0201,
    EEPROM_TA_RANGE: 0xF71C,
    EEPROM_EMISSIVITY: 0xFFFF,
    EEPROM_CONFIG1: 0x9FB4,
    EEPROM_SMBUS_ADDRESS: 0xBE5A,
    EEPROM_ID0: 0x1234,
}


@dataclass
class Scene:
    """What the sensor sees: the air around it and the surface in front of it."""

    ambient_c: float = 22.0
    object_c: float = 22.0


class MLX90614Twin:
    # time from power-on until the first valid object temperature (datasheet: POR + first data)
    POWER_UP_S = 0.25
    # with the factory IIR setting the output settles to a step in about this time constant
    # the output reaches a step within about 0.65 s (datasheet): five time constants
    SETTLING_TAU_S = 0.12
    REFRESH_S = 0.01
    # an output this far from what is in front of the sensor has not settled on it yet
    SETTLED_WITHIN_C = 0.1
    MEMORY_S = 10 * SETTLING_TAU_S  # a scene this long ago weighs e^-10 in the output

    def __init__(
        self,
        now: Callable[[], float],
        scene: Callable[[float], Scene] | None = None,
        *,
        address: int = DEFAULT_ADDRESS,
        noise_c: float = 0.03,
        seed: int = 0,
        persistent_fault: Callable[[], Fault | None] | None = None,
    ) -> None:
        self.address = address
        self._now = now
        self._scene = scene or (lambda _t: Scene())
        self._noise_c = noise_c
        self._rng = random.Random(seed)
        self._powered_at = now()
        self._filtered_c: float | None = None
        self._filtered_at = self._powered_at
        self.eeprom = dict(_EEPROM_DEFAULTS)
        self._faults: deque[Fault] = deque()
        self._persistent_fault = persistent_fault or (lambda: None)
        # the latest reads, (command, the three bytes sent back), and when: a day's would not fit
        self.reads: deque[tuple[int, bytes]] = deque(maxlen=KEPT_READS)
        self.read_times: deque[float] = deque(maxlen=KEPT_READS)
        self._stuck_word: int | None = None
        # object temperatures read before the output had settled on the scene: read too soon
        self.unsettled_reads = 0
        self._last_write_at = -1.0
        self.refused_writes = 0

    def inject(self, fault: Fault, count: int = 1) -> None:
        """Misbehave on the next ``count`` reads."""
        self._faults.extend([fault] * count)

    def _object_c(self, t: float) -> float:
        """The filter's output at ``t``: it follows the scene refresh by refresh, over the last
        ``MEMORY_S`` at most (what came before has faded from it)."""
        if self._filtered_c is None or t - self._filtered_at > self.MEMORY_S:
            self._filtered_at = max(t - self.MEMORY_S, self._powered_at)
            self._filtered_c = self._scene(self._filtered_at).object_c
        alpha = 1 - math.exp(-self.REFRESH_S / self.SETTLING_TAU_S)
        while t - self._filtered_at >= self.REFRESH_S:
            self._filtered_at += self.REFRESH_S
            self._filtered_c += alpha * (self._scene(self._filtered_at).object_c - self._filtered_c)
        target = self._scene(t).object_c
        self.unsettled_reads += abs(target - self._filtered_c) > self.SETTLED_WITHIN_C
        return self._filtered_c + self._rng.gauss(0.0, self._noise_c)

    def register(self, command: int) -> int:
        t = self._now()
        if command in (RAM_TOBJ1, RAM_TOBJ2):
            if t - self._powered_at < self.POWER_UP_S:
                return ERROR_FLAG  # no measurement yet
            return celsius_to_raw(self._object_c(t)) & 0x7FFF
        if command == RAM_TA:
            return celsius_to_raw(self._scene(t).ambient_c) & 0x7FFF
        if command in (RAM_RAW_IR1, RAM_RAW_IR2):
            return 0x0000
        if command in self.eeprom:
            return self.eeprom[command]
        if 0x20 <= command <= 0x3F:
            return 0x0000
        raise OSError(errno.EREMOTEIO, f"MLX90614 does not acknowledge command {command:#04x}")

    def read_word_frame(self, command: int) -> bytes:
        """The three bytes the chip clocks out for a read-word of ``command``."""
        fault = self._faults.popleft() if self._faults else self._persistent_fault()
        if fault == "nack":
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        word = self.register(command)
        if fault != "stuck":
            self._stuck_word = None
        elif command in (RAM_TOBJ1, RAM_TOBJ2):
            if self._stuck_word is None:
                self._stuck_word = word
            word = self._stuck_word
        if fault == "error_flag":
            word |= ERROR_FLAG
        lsb, msb = word & 0xFF, word >> 8
        pec = smbus_pec([self.address << 1, command, (self.address << 1) | 1, lsb, msb])
        if fault == "bad_pec":
            pec ^= 0x5A
        frame = bytes([lsb, msb, pec])
        self.reads.append((command, frame))
        self.read_times.append(self._now())
        return frame

    def transfer(self, write: bytes, read_len: int) -> bytes:
        if not write:
            raise OSError(errno.EREMOTEIO, "MLX90614: no command")
        if read_len == 0:
            return self.write_word(write)
        return self.read_word_frame(write[0])

    # an EEPROM cell is busy this long after a write (datasheet: wait at least 5 ms)
    EEPROM_WRITE_S = 0.005

    def write_word(self, write: bytes) -> bytes:
        """SMBus write word with PEC into the EEPROM, as the chip takes it: a cell holding a value
        must first be erased (0x0000 written); a write within 5 ms of the last one is not
        acknowledged; a bad PEC is not acknowledged. The SMBus address takes effect at the next
        power-on."""
        if len(write) != 4:
            raise OSError(errno.EREMOTEIO, "MLX90614: a write is command, LSB, MSB, PEC")
        command, lsb, msb, pec = write
        if pec != smbus_pec([self.address << 1, command, lsb, msb]):
            raise OSError(errno.EREMOTEIO, "MLX90614: bad PEC, write ignored")
        if not 0x20 <= command <= 0x3F:
            raise OSError(errno.EREMOTEIO, f"MLX90614: command {command:#04x} cannot be written")
        now = self._now()
        if now - self._last_write_at < self.EEPROM_WRITE_S:
            raise OSError(errno.EREMOTEIO, "MLX90614: EEPROM busy, write not acknowledged")
        value = lsb | (msb << 8)
        current = self.eeprom.get(command, 0x0000)
        if value != 0x0000 and current != 0x0000:
            self.refused_writes += 1
            raise OSError(errno.EREMOTEIO, "MLX90614: EEPROM cell not erased first")
        self.eeprom[command] = value
        self._last_write_at = now
        return b""

    def power_cycle(self) -> None:
        """Off and on: the EEPROM's SMBus address takes effect; no measurement for POWER_UP_S."""
        self.address = self.eeprom[EEPROM_SMBUS_ADDRESS] & 0x7F
        self._powered_at = self._now()
        self._filtered_c = None


class I2CDevice(Protocol):
    address: int

    def transfer(self, write: bytes, read_len: int) -> bytes:
        """One transaction: ``write`` sent, then (repeated start) ``read_len`` bytes read back;
        ``read_len`` 0 for a plain write."""
        ...


def wire_bits(write_len: int, read_len: int) -> int:
    """Clock cycles one transaction takes on the wire: a start, the address byte and each byte
    written, 9 bits each with its acknowledge; for a read a repeated start, the address again
    and each byte read; a stop."""
    bits = 1 + 9 * (1 + write_len) + 1
    if read_len:
        bits += 1 + 9 * (1 + read_len)
    return bits


class FakeSMBus:
    """The part of ``smbus2.SMBus`` the drivers use, with devices attached by address. It counts
    the transactions and the clock cycles each address takes, as a logic analyser on the bus
    would."""

    def __init__(self, *devices: I2CDevice, now: Callable[[], float] | None = None) -> None:
        """``now``: the clock the devices live on, to find the bus's busiest second."""
        self.devices: dict[int, I2CDevice] = {device.address: device for device in devices}
        self.closed = False
        self.transactions: Counter[int] = Counter()
        self.bits: Counter[int] = Counter()
        self._now = now
        self._second: int | None = None  # the whole second being counted, and its bits so far
        self._second_bits = 0
        self.busiest_second_bits = 0

    def _count(self, address: int, write_len: int, read_len: int) -> None:
        bits = wire_bits(write_len, read_len)
        self.transactions[address] += 1
        self.bits[address] += bits
        if self._now is None:
            return
        second = math.floor(self._now())
        if second != self._second:
            self._second, self._second_bits = second, 0
        self._second_bits += bits
        self.busiest_second_bits = max(self.busiest_second_bits, self._second_bits)

    def busiest_share(self, clock_hz: float) -> float:
        """The share of the bus's clock cycles its busiest second took, at ``clock_hz``."""
        return self.busiest_second_bits / clock_hz

    def attach(self, device: I2CDevice) -> None:
        self.devices[device.address] = device

    def i2c_rdwr(self, *msgs: i2c_msg) -> None:
        if self.closed:
            raise OSError(errno.EBADF, "bus is closed")
        if not 1 <= len(msgs) <= 2 or msgs[0].flags & I2C_M_RD:
            raise OSError(errno.EINVAL, "expected a write, or a write then a read")
        if len(msgs) == 2 and (not msgs[1].flags & I2C_M_RD or msgs[1].addr != msgs[0].addr):
            raise OSError(errno.EINVAL, "the second message must read from the same address")
        read_len = msgs[1].len if len(msgs) == 2 else 0
        # a transaction nobody acknowledges still took the bus for its address byte
        self._count(msgs[0].addr, msgs[0].len, read_len)
        device = self.devices.get(msgs[0].addr)
        if device is None:
            raise OSError(errno.ENXIO, f"no device acknowledges address {msgs[0].addr:#04x}")
        answer = device.transfer(bytes(msgs[0]), read_len)
        # the device moves as the address changes (an EEPROM address write): follow it
        if device.address != msgs[0].addr:
            self.devices.pop(msgs[0].addr, None)
            self.devices[device.address] = device
        if read_len:
            frame = answer[:read_len]
            memmove(msgs[1].buf, frame, len(frame))

    def power_cycle(self) -> None:
        """Switch the bus's power off and on: every part restarts, at its EEPROM's address."""
        devices = list(self.devices.values())
        for device in devices:
            restart = getattr(device, "power_cycle", None)
            if restart is not None:
                restart()
        self.devices = {device.address: device for device in devices}

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> FakeSMBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
