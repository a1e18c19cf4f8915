"""The turnstile's release relay, for everyone who moves it: a passage held open for an admitted
person, the fire alarm holding it free, a pulse as of old. Holds are counted: the relay shuts only
when the last holder lets go, so a passage that ends during a fire alarm cannot shut the turnstile
on people leaving, and a pulse never shuts a turnstile someone holds."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Relay(Protocol):
    """What drivers.relay.Relay offers."""

    def set(self, active: bool) -> None: ...

    def pulse(self, seconds: float) -> None: ...


class Turnstile:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._holders: set[str] = set()

    @property
    def held(self) -> bool:
        return bool(self._holders)

    def hold(self, holder: str) -> None:
        """Released until ``holder`` lets go (a passage, an emergency)."""
        self._holders.add(holder)
        self.relay.set(True)

    def let_go(self, holder: str) -> None:
        self._holders.discard(holder)
        if not self._holders:
            self.relay.set(False)

    def pulse(self, seconds: float) -> None:
        """One release of ``seconds``; while someone holds it, it is free already."""
        if self._holders:
            log.info("turnstile already held free (%s): no pulse", ", ".join(sorted(self._holders)))
            return
        self.relay.pulse(seconds)

    def shut(self) -> None:
        """The service stops: nobody holds it any more."""
        self._holders.clear()
        self.relay.set(False)
