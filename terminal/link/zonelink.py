"""A zone's gates share their passages on the operations link, so that occupancy and
anti-passback hold across them: each gate publishes its own passages (``event/passage``, with
direction and zone) and reads those of the zone's other gates ([zone] gates), applies each once
(the admission it names is the key: a message heard twice counts once) and keeps it in its own
record, so a restarted gate still knows who is inside.

A gate with a passage contact sends its passage when it opens (``waiting``) and again when it
closes: the others hold a place for an open entry (a reservation) until its close arrives, so
that two gates do not both let in the zone's last place during the window. A reservation whose
close never comes (the peer died during the window, or restarted and recorded it ``unknown``)
stops holding by itself, ``RESERVATION_MARGIN_S`` after its window.

A gate cut off from the broker hears nobody: it counts its own passages only, and says so, in its
status, in one log line and in the record; with ``cut_off = "hold_entries"`` every entry waits
until the link is back (fail-secure), with ``count_own`` it goes on (fail-open, occupancy may be
under-counted).

A peer cut off from the broker is heard as its last will (status ``lost``): it may go on letting
people through, and its passages arrive only when it is back. The gate says so the same way, for
as long as that peer is lost; a peer stopped cleanly (``offline``) lets nobody through and changes
nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from terminal.common import strictjson
from terminal.config import Config
from terminal.link import contract
from terminal.link.contract import GateTopics
from terminal.link.topics import new_event_id
from terminal.record.store import PassageRow, Record
from terminal.state import GateState

log = logging.getLogger(__name__)
# how long after its window a peer's open entry still holds a place: its close takes the broker's
# latency (and the peer's next poll) to arrive, and the two gates' clocks may differ a little.
# Past it the close is taken never to come (the peer died): the place is given back.
RESERVATION_MARGIN_S = 10.0


def peer_passage_topics(config: Config) -> list[str]:
    """The passage topics of the zone's other gates: what the gate's publisher subscribes to."""
    park, gates = config.gate.park, config.zone.gates
    return [GateTopics(park, gate).passage for gate in gates if gate != config.gate.id]


def peer_status_topics(config: Config) -> list[str]:
    """The status topics of the zone's other gates: whether each is heard, or lost its link."""
    park, gates = config.gate.park, config.zone.gates
    return [GateTopics(park, gate).status for gate in gates if gate != config.gate.id]


class ZoneLink:
    def __init__(
        self,
        config: Config,
        record: Record,
        state: GateState,
        changed: Callable[[], None],
    ) -> None:
        zone = config.zone
        self.zone = zone.name
        self.park = config.gate.park
        self.timezone = ZoneInfo(config.gate.timezone)
        self.cut_off_after_s = zone.cut_off_after_s
        self.hold_when_cut_off = zone.cut_off == "hold_entries"
        self.record = record
        self.state = state
        self._changed = changed
        self.peer_topics = {topic: topic.split("/")[-3] for topic in peer_passage_topics(config)}
        self.status_topics = {topic: topic.split("/")[-2] for topic in peer_status_topics(config)}
        self._unreachable_since: float | None = None
        self.cut_off = False
        self._own_assumption: str | None = None
        self.lost_peers: dict[str, float] = {}  # peer gate -> when its last will was heard

    @property
    def shared(self) -> bool:
        return bool(self.peer_topics)

    def apply(self, topic: str, payload: bytes, now_s: float | None = None) -> bool:
        """One message heard on a peer's passage or status topic; True when it changed the
        zone. Nothing a peer (or an impostor on its topic) sends can stop the gate: a bad one is
        logged, once per message, by what is wrong, and ignored."""
        if topic in self.status_topics:
            return self._hear_status(self.status_topics[topic], payload, now_s)
        peer = self.peer_topics.get(topic)
        if peer is None:
            return False
        try:
            event = contract.PassageEvent.model_validate(strictjson.loads(payload))
        except strictjson.JsonRefused as exc:
            log.warning("ignored a passage from gate %s: %s", peer, exc)
            return False
        except ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "(payload)"
            log.warning("ignored a passage from gate %s: %s is not valid", peer, where)
            return False
        data = event.data
        if event.gate != peer or event.park != self.park or data.zone != self.zone:
            log.warning("ignored a passage on gate %s's topic: not of zone %s", peer, self.zone)
            return False
        passage = PassageRow(
            admission_id=data.admission_id,
            admitted_by=data.admitted_by,
            person_id=data.person_id,
            released_s=data.released_at.timestamp(),
            window_s=data.window_s,
            outcome=data.outcome,
            passed_s=None if data.passed_at is None else data.passed_at.timestamp(),
            closed_s=None if data.outcome == "waiting" else event.occurred_at.timestamp(),
            direction=data.direction,
            zone=data.zone,
            gate=peer,
        )
        return self.record.add_peer_passage(passage)

    def reserved(self, now_s: float) -> int:
        """The zone's places its other gates hold now for entries still in their turnstiles:
        for the capacity decision only (nobody counted inside until they went through)."""
        if self.zone is None or not self.shared:
            return 0
        return self.record.reservations(self.zone, now_s, RESERVATION_MARGIN_S)

    def watch(self, connected: bool, now_s: float) -> None:
        """Whether the zone's other gates can be heard: the broker reachable. A gate that has
        been cut off longer than ``cut_off_after_s`` says what it assumes, once."""
        if not self.shared:
            return
        if connected:
            self._unreachable_since = None
            if self.cut_off:
                self._set(False, now_s, "the zone's gates are heard again")
            return
        if self._unreachable_since is None:
            self._unreachable_since = now_s
        if not self.cut_off and now_s - self._unreachable_since >= self.cut_off_after_s:
            since = datetime.fromtimestamp(self._unreachable_since, self.timezone)
            capacity = (
                "entries wait until the link is back"
                if self.hold_when_cut_off
                else "occupancy may be under-counted"
            )
            self._set(
                True,
                now_s,
                f"counting own passages only since {since:%H:%M}; {capacity}",
            )

    def _set(self, cut_off: bool, now_s: float, assumption: str) -> None:
        self.cut_off = cut_off
        self._own_assumption = assumption if cut_off else None
        self._note(now_s, "cut_off" if cut_off else "rejoined", assumption, warn=cut_off)

    def _hear_status(self, peer: str, payload: bytes, now_s: float | None) -> bool:
        """A peer's status: its last will (``lost``) means its passages may be missing here
        until it is back; any other state (online, or a clean stop) means nothing is missing."""
        try:
            status = contract.Status.model_validate(strictjson.loads(payload))
        except (strictjson.JsonRefused, ValidationError):
            if payload:  # an empty retained message only clears the topic
                log.warning("ignored a status on gate %s's topic: not a valid status", peer)
            return False
        if status.gate != peer or status.park != self.park:
            log.warning("ignored a status on gate %s's topic: of another gate", peer)
            return False
        at = now_s if now_s is not None else time.time()
        if status.state == "lost" and peer not in self.lost_peers:
            self.lost_peers[peer] = at
            since = datetime.fromtimestamp(at, self.timezone)
            self._note(
                at,
                "peer_lost",
                f"gate {peer} lost its link at {since:%H:%M}; its passages count when it is back",
                warn=True,
            )
            return True
        if status.state != "lost" and peer in self.lost_peers:
            del self.lost_peers[peer]
            self._note(at, "peer_back", f"gate {peer} is heard again", warn=False)
            return True
        return False

    def _note(self, now_s: float, kind: str, detail: str, *, warn: bool) -> None:
        """What the gate assumes now, in its status; the change in one log line and the record."""
        assumptions = [self._own_assumption] if self._own_assumption else []
        for peer, since_s in sorted(self.lost_peers.items()):
            since = datetime.fromtimestamp(since_s, self.timezone)
            assumptions.append(
                f"gate {peer} unheard since {since:%H:%M}: occupancy may be under-counted"
            )
        self.state.zone_assumption = "; ".join(assumptions) or None
        (log.warning if warn else log.info)("zone %s: %s", self.zone, detail)
        row = {"at_s": now_s, "kind": kind, "detail": detail}
        try:
            self.record.add_event(new_event_id(), [], now_s, table="zone_events", rows=[row])
        except Exception as exc:
            log.error("the zone link's state cannot be recorded: %s", type(exc).__name__)
        self._changed()

    @property
    def entries_held(self) -> bool:
        """Cut off, under ``hold_entries``: every entry waits (fail-secure)."""
        return self.cut_off and self.hold_when_cut_off
