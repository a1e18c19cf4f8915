"""The gate's view of its zone: occupancy, anti-passback and the places the zone's other gates
hold, as the record and the zone link know them now."""

from __future__ import annotations

import queue
from collections.abc import Callable

from terminal.config import ZoneConfig
from terminal.gate.errors import ErrorLog
from terminal.link.publisher import Publisher
from terminal.link.zonelink import ZoneLink
from terminal.record.store import Record
from terminal.rules.policy import ZoneState
from terminal.state import GateState, ZoneCount

# a burst of the zone peers' passages (after a cut-off) is taken in over several polls, so that
# the person in front is not kept waiting for all of it
PEER_MESSAGES_PER_POLL = 200


class ZoneView:
    def __init__(
        self,
        *,
        zone: ZoneConfig,
        link: ZoneLink,
        record: Record,
        state: GateState,
        now: Callable[[], float],
        publisher: Callable[[], Publisher | None],
        changed: Callable[[], None],
        log_error: ErrorLog,
    ) -> None:
        """``publisher``: the gate's, as it is when asked (it may be given after the start)."""
        self.zone = zone
        self.link = link
        self.record = record
        self.state = state
        self._now = now
        self._publisher = publisher
        self._changed = changed
        self._log_error = log_error
        if zone.name is not None:
            state.zone = ZoneCount(zone.name, zone.capacity, record.occupancy(zone.name))
        self._counted_at = record.writes_added

    def hear(self, now: float) -> None:
        """The passages of the zone's other gates heard since, and whether they can be heard.
        Part of every poll, and of every entry's decision; never raises."""
        publisher = self._publisher()
        self.link.watch(publisher is not None and publisher.connected, now)
        if publisher is None:
            return
        for _ in range(PEER_MESSAGES_PER_POLL):
            try:
                message = publisher.peer_passages.get_nowait()
            except queue.Empty:
                return
            try:
                self.link.apply(message.topic, message.payload, now)
                publisher.peer_taken(message)  # in the record: the broker may forget it
            except Exception as exc:
                self._log_error(exc, "applying a zone peer's passage")

    def for_entry(self, person_id: str | None) -> ZoneState:
        """The zone as the record knows it now, for the policy."""
        zone = self.zone
        if zone.name is None:
            return ZoneState()
        # what the zone's other gates sent while this check ran (a check takes seconds) counts:
        # an entry they opened meanwhile holds its place
        self.hear(self._now())
        inside = None
        if person_id is not None and zone.anti_passback != "off":
            inside = self.record.inside_since(zone.name, person_id)
        return ZoneState(self.full(), inside, zone.anti_passback)

    def for_exit(self, person_id: str | None) -> tuple[ZoneState | None, str | None]:
        """For an exit: the zone (None without one), whether the person is inside by the record
        (their own gate's passages and the zone peers'), and the exit by which they left
        already, when that is their latest passage."""
        zone = self.zone
        if zone.name is None or person_id is None:
            return None, None
        last = self.record.last_passage(zone.name, person_id)
        inside = last[0] if last is not None and last[1] != "exit" else None
        left_by = last[0] if last is not None and last[1] == "exit" else None
        return ZoneState(inside_since=inside, anti_passback=zone.anti_passback), left_by

    def full(self) -> bool:
        zone = self.zone
        if zone.name is None or zone.capacity is None:
            return False
        if self.link.entries_held:
            return True  # cut off under hold_entries: the others may have filled it
        # who is inside (our own entry still in the turnstile too), and the places the zone's
        # other gates hold for entries still in theirs
        taken = self.record.occupancy(zone.name) + self.link.reserved(self._now())
        return taken >= zone.capacity

    def count(self) -> None:
        """The zone's occupancy in the status, sent again when it changed (a passage opened or
        closed here, a peer's heard); the record is read again only after it was written to."""
        counted = self.state.zone
        if counted is None or self.record.writes_added == self._counted_at:
            return
        self._counted_at = self.record.writes_added
        inside = self.record.occupancy(counted.name)
        if inside != counted.inside:
            counted.inside = inside
            self._changed()
