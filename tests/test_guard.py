"""The simulated guard walks over to a flagged person and sends their clinical reading, once;
a flag someone else resolved first (a person at the security desk) it leaves alone: it hears
the gate's ``secondary_resolved`` alert, or sees on the desk that the flag is gone."""

from __future__ import annotations

import json
import queue
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.guard import SimulatedGuard
from simulator.rig import build_rig
from terminal.config import Config
from terminal.link.topics import GateTopics
from tests.support.people import person

FLAG = "flag-1"
ALERTED_AT = 1_800_000_000.0


@dataclass
class Heard:
    """The guard's radio: what it has received by topic, and what it sent (the gate's inbox
    takes each command, as the gate's publisher does)."""

    inbox: queue.Queue[tuple[str, bytes]]
    by_topic: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)

    @property
    def client(self) -> Heard:
        return self

    def received(self, topic: str) -> list[dict[str, Any]]:
        return self.by_topic.get(topic, [])

    def publish(self, topic: str, payload: str, qos: int) -> None:
        self.sent.append(json.loads(payload))
        self.inbox.put((topic, payload.encode()))

    def alert(self, topics: GateTopics, kind: str, flag_id: str) -> None:
        occurred = datetime.fromtimestamp(ALERTED_AT, UTC).isoformat()
        message = {"occurred_at": occurred, "data": {"kind": kind, "check_event_id": flag_id}}
        self.by_topic.setdefault(topics.alert(kind), []).append(message)


def guard_for(config: Config, open_flags: set[str] | None = None) -> tuple[SimulatedGuard, Heard]:
    topics = GateTopics(config.gate.park, config.gate.id)
    inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
    heard = Heard(inbox)
    heard.alert(topics, "secondary_check", FLAG)
    guard = SimulatedGuard(
        heard,
        topics,
        build_rig(config, []).world,
        inbox,
        config.secondary.clinical_fever_c,
        {FLAG: person("A", 0, core_c=36.8)},
        now=lambda: ALERTED_AT + 60,
        flag_open=None if open_flags is None else open_flags.__contains__,
    )
    return guard, heard


def test_the_guard_sends_its_reading_once_the_walk_is_over(config: Config) -> None:
    guard, heard = guard_for(config, open_flags={FLAG})
    guard.notice()
    assert guard.act(ALERTED_AT + 10) is None  # still walking over
    assert guard.act(ALERTED_AT + guard.walk_over_s) == "A"
    guard.notice()
    assert guard.act(ALERTED_AT + 100) is None  # once
    [command] = heard.sent
    assert command["payload"]["flag_id"] == FLAG
    assert (command["payload"]["result"], command["payload"]["clinical_c"]) == ("normal", 36.8)


def test_a_flag_resolved_at_the_desk_first_is_left_alone(config: Config) -> None:
    guard, heard = guard_for(config, open_flags={FLAG})
    guard.notice()
    heard.alert(guard.topics, "secondary_resolved", FLAG)
    guard.notice()
    assert guard.act(ALERTED_AT + guard.walk_over_s) is None
    assert heard.sent == [] and guard.stood_down == 1 and not guard.pending()


def test_a_flag_gone_from_the_desk_is_left_alone_before_its_alert_arrives(
    config: Config,
) -> None:
    open_flags = {FLAG}
    guard, heard = guard_for(config, open_flags=open_flags)
    guard.notice()
    open_flags.clear()  # the desk's reading decided it; the gate's alert is still on its way
    assert guard.act(ALERTED_AT + guard.walk_over_s) is None
    assert heard.sent == [] and guard.stood_down == 1 and not guard.pending()
