"""A zone's gates share their passages on the operations link, so that occupancy and
anti-passback hold across them: each gate publishes its own passages (``event/passage``, with
direction and zone) and reads those of the zone's other gates ([zone] gates), applies each once
(the admission it names is the key: a message heard twice counts once) and keeps it in its own
record, so a restarted gate still knows who is inside.

A gate cut off from the broker hears nobody: it counts its own passages only, and says so, in its
status, in one log line and in the record; with ``cut_off = "hold_entries"`` every entry waits
until the link is back (fail-secure), with ``count_own`` it goes on (fail-open, occupancy may be
under-counted)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from terminal import contract
from terminal.config import Config
from terminal.contract import GateTopics
from terminal.gatestate import GateState
from terminal.record import PassageRow, Record
from terminal.topics import new_event_id

log = logging.getLogger(__name__)


def peer_passage_topics(config: Config) -> list[str]:
    """The passage topics of the zone's other gates: what the gate's publisher subscribes to."""
    park, gates = config.gate.park, config.zone.gates
    return [GateTopics(park, gate).passage for gate in gates if gate != config.gate.id]


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
        self._unreachable_since: float | None = None
        self.cut_off = False

    @property
    def shared(self) -> bool:
        return bool(self.peer_topics)

    def apply(self, topic: str, payload: bytes) -> bool:
        """One message heard on a peer's passage topic; True when it changed the zone. Nothing a
        peer (or an impostor on its topic) sends can stop the gate: a bad one is logged, once
        per message, by what is wrong, and ignored."""
        peer = self.peer_topics.get(topic)
        if peer is None:
            return False
        try:
            event = contract.PassageEvent.model_validate_json(payload)
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
            closed_s=event.occurred_at.timestamp(),
            direction=data.direction,
            zone=data.zone,
            gate=peer,
        )
        return self.record.add_peer_passage(passage)

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
        self.state.zone_assumption = assumption if cut_off else None
        if cut_off:
            log.warning("zone %s: %s", self.zone, assumption)
        else:
            log.info("zone %s: %s", self.zone, assumption)
        row = {"at_s": now_s, "kind": "cut_off" if cut_off else "rejoined", "detail": assumption}
        try:
            self.record.add_event(new_event_id(), [], now_s, table="zone_events", rows=[row])
        except Exception as exc:
            log.error("the zone link's state cannot be recorded: %s", type(exc).__name__)
        self._changed()

    @property
    def entries_held(self) -> bool:
        """Cut off, under ``hold_entries``: every entry waits (fail-secure)."""
        return self.cut_off and self.hold_when_cut_off
