"""The centre's board in the tests: publishing as gates do, and the park's local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from simulator.broker import PrivateBroker
from tests.support.centre_fixture import Publisher as GateLink
from tests.support.desk import (
    Centre,
)


def publish(broker: PrivateBroker, messages: list[tuple[str, bytes]]) -> None:
    """What gates publish, through the broker to the centre's collector."""
    link = GateLink(broker.port)
    try:
        link.publish(messages)
    finally:
        link.close()


def local_now(centre: Centre) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(centre.config.timezone))
