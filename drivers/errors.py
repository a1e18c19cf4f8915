"""The root of every error a driver raises on purpose.

The drivers import nothing from the gate; the gate catches :class:`DriverError` where a device's
failure is expected (a thermometer's bad checksum, a camera that gives no frame).
"""

from __future__ import annotations


class DriverError(Exception):
    """A device refused, failed or answered in a way its datasheet does not allow."""
