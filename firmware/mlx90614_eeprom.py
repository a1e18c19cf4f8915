"""Provisioning an MLX90614's EEPROM: its SMBus address (several thermometers on one bus) and
its emissivity.

The datasheet's procedure for each cell: erase it by writing 0x0000, wait at least 5 ms, write
the new value, wait again, read it back. A new SMBus address is used by the chip only after a
power cycle. Writing a cell without erasing it first leaves a wrong value, so this never does.
"""

from __future__ import annotations

from collections.abc import Callable

from drivers.errors import DriverError
from drivers.mlx90614 import EEPROM_EMISSIVITY, EEPROM_SMBUS_ADDRESS, MLX90614

EEPROM_WAIT_S = 0.01  # the datasheet asks for at least 5 ms after an erase or a write
# addresses a second sensor may take: the 7-bit range less the reserved ones
USABLE_ADDRESSES = range(0x08, 0x78)


class ProvisioningError(DriverError):
    """The EEPROM did not take the value."""


def write_cell(sensor: MLX90614, cell: int, value: int, sleep: Callable[[float], None]) -> None:
    """Erase, wait, write, wait, read back."""
    sensor.write_word(cell, 0x0000)
    sleep(EEPROM_WAIT_S)
    sensor.write_word(cell, value)
    sleep(EEPROM_WAIT_S)
    stored = sensor.read_word(cell)
    if stored != value:
        raise ProvisioningError(
            f"MLX90614 at {sensor.address:#04x}: EEPROM cell {cell:#04x} reads {stored:#06x} "
            f"after writing {value:#06x}"
        )


def set_address(sensor: MLX90614, new_address: int, sleep: Callable[[float], None]) -> int:
    """Give the sensor a new SMBus address (low byte of EEPROM 0x2E; the high byte is kept).
    It answers there after the next power cycle. Returns the cell's new value."""
    if new_address not in USABLE_ADDRESSES:
        raise ValueError(f"SMBus address must be 0x08..0x77, got {new_address:#04x}")
    current = sensor.read_word(EEPROM_SMBUS_ADDRESS)
    value = (current & 0xFF00) | new_address
    write_cell(sensor, EEPROM_SMBUS_ADDRESS, value, sleep)
    return value


def set_emissivity(sensor: MLX90614, emissivity: float, sleep: Callable[[float], None]) -> int:
    """Human skin is about 0.98. Returns the cell's new value (emissivity x 65535)."""
    if not 0.1 <= emissivity <= 1.0:
        raise ValueError(f"emissivity must be 0.1..1.0, got {emissivity}")
    value = round(emissivity * 0xFFFF)
    write_cell(sensor, EEPROM_EMISSIVITY, value, sleep)
    return value
