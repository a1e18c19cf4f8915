"""Melexis MLX90614 infrared thermometer on SMBus (I2C).

Every read is one SMBus "read word" with Packet Error Code: the host writes the command, then
(repeated start) reads LSB, MSB and PEC. The PEC is checked here rather than by the kernel so that
the same driver runs over a real ``smbus2.SMBus`` and over the simulator's bus, and so that a
corrupted word is never turned into a temperature.
"""

from __future__ import annotations

from typing import Protocol

from smbus2 import i2c_msg

from drivers.errors import DriverError

DEFAULT_ADDRESS = 0x5A

# RAM (command = 0x00 | address)
RAM_RAW_IR1 = 0x04
RAM_RAW_IR2 = 0x05
RAM_TA = 0x06  # ambient (die) temperature
RAM_TOBJ1 = 0x07  # object temperature, zone 1
RAM_TOBJ2 = 0x08  # object temperature, zone 2 (dual-zone parts only)
# EEPROM (command = 0x20 | address)
EEPROM_TO_MAX = 0x20
EEPROM_TO_MIN = 0x21
EEPROM_PWMCTRL = 0x22
EEPROM_TA_RANGE = 0x23
EEPROM_EMISSIVITY = 0x24
EEPROM_CONFIG1 = 0x25
EEPROM_SMBUS_ADDRESS = 0x2E
EEPROM_ID0 = 0x3C

KELVIN_PER_LSB = 0.02
ZERO_CELSIUS_IN_KELVIN = 273.15
ERROR_FLAG = 0x8000  # bit 15 of an object temperature word: the chip's own measurement failed


class MLX90614Error(DriverError):
    """The thermometer answered, but not with a temperature that can be trusted."""


class PECMismatchError(MLX90614Error):
    """The word arrived corrupted: its SMBus PEC does not match."""


class ErrorFlagError(MLX90614Error):
    """The chip set its error flag (bit 15): it has no valid measurement."""


class I2CBus(Protocol):
    """The part of ``smbus2.SMBus`` this driver uses."""

    def i2c_rdwr(self, *i2c_msgs: i2c_msg) -> None: ...


def smbus_pec(data: bytes | list[int]) -> int:
    """SMBus Packet Error Code: CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def raw_to_celsius(raw: int) -> float:
    return raw * KELVIN_PER_LSB - ZERO_CELSIUS_IN_KELVIN


def celsius_to_raw(celsius: float) -> int:
    return round((celsius + ZERO_CELSIUS_IN_KELVIN) / KELVIN_PER_LSB)


class MLX90614:
    """One MLX90614 at ``address`` on ``bus`` (an ``smbus2.SMBus`` or anything with ``i2c_rdwr``).

    Bus errors (no acknowledge, arbitration lost) surface as the bus's ``OSError``; a bad PEC or a
    set error flag raise :class:`MLX90614Error`. Neither ever yields a temperature.
    """

    def __init__(self, bus: I2CBus, address: int = DEFAULT_ADDRESS) -> None:
        if not 0x01 <= address <= 0x7F:
            raise ValueError(f"MLX90614 address must be 0x01..0x7F, got {address:#04x}")
        self.bus = bus
        self.address = address

    def read_word(self, command: int) -> int:
        """Read one 16-bit word (RAM or EEPROM command), checking its PEC."""
        write = i2c_msg.write(self.address, [command])
        read = i2c_msg.read(self.address, 3)
        self.bus.i2c_rdwr(write, read)
        lsb, msb, pec = bytes(read)
        expected = smbus_pec([self.address << 1, command, (self.address << 1) | 1, lsb, msb])
        if pec != expected:
            raise PECMismatchError(
                f"MLX90614 at {self.address:#04x}, command {command:#04x}: "
                f"PEC {pec:#04x}, expected {expected:#04x}"
            )
        return (msb << 8) | lsb

    def write_word(self, command: int, value: int) -> None:
        """One SMBus "write word" with PEC: command, LSB, MSB, PEC. EEPROM cells need an erase
        (writing 0x0000) and about 5 ms before a new value: see ``firmware.mlx90614_eeprom``."""
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"a word is 0..0xFFFF, got {value}")
        lsb, msb = value & 0xFF, value >> 8
        pec = smbus_pec([self.address << 1, command, lsb, msb])
        self.bus.i2c_rdwr(i2c_msg.write(self.address, [command, lsb, msb, pec]))

    def _read_celsius(self, command: int) -> float:
        raw = self.read_word(command)
        if raw & ERROR_FLAG:
            raise ErrorFlagError(
                f"MLX90614 at {self.address:#04x}, command {command:#04x}: error flag set "
                f"(word {raw:#06x})"
            )
        return raw_to_celsius(raw)

    @property
    def object_celsius(self) -> float:
        """Temperature of what the sensor looks at (a forehead, when someone is there)."""
        return self._read_celsius(RAM_TOBJ1)

    @property
    def ambient_celsius(self) -> float:
        """Temperature of the sensor's own die, which follows the air around the gate."""
        return self._read_celsius(RAM_TA)

    @property
    def emissivity(self) -> float:
        return self.read_word(EEPROM_EMISSIVITY) / 0xFFFF
