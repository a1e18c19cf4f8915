"""What the desk says of a clinical reading a guard sent: waiting for the gate, then the gate's
own answer, or why the gate did not act on it, read from a real store as the gate's messages
arrive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from terminal.centre.store import open_store
from terminal.centre.web.catalogue import text
from terminal.centre.web.receipts import Receipts, Sent
from tests.support.centre_messages import FakeGate

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def english(key: str, **values: object) -> str:
    return text(key, "en", **values)


def test_a_reading_waits_for_the_gate_then_shows_its_answer_or_its_refusal(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'centre.sqlite'}")
    gate = FakeGate("gate-e", park="p1")
    receipts = Receipts()
    try:
        confirmed_row, flagged = gate.flagged(NOW, person_id="W0001")
        refused_row, other = gate.flagged(NOW, person_id="W0002")
        for topic, payload in [*flagged, *other]:
            store.ingest(topic, payload, NOW)
        receipts.sent(
            "s1",
            Sent(
                "c-1",
                confirmed_row.event_id,
                "gate-e",
                "W0001",
                "normal",
                f"p1/gate-e/{confirmed_row.event_id}",
            ),
        )
        receipts.sent(
            "s1",
            Sent(
                "c-2",
                refused_row.event_id,
                "gate-e",
                "W0002",
                "fever",
                f"p1/gate-e/{refused_row.event_id}",
            ),
        )
        said = [(r.stage, r.text) for r in receipts.of("s1", store, english)]
        assert said == [
            ("waiting", "Sent (normal); waiting for the gate to confirm"),
            ("waiting", "Sent (fever); waiting for the gate to confirm"),
        ]
        assert receipts.of("another session", store, english) == []
        # the gate lets the first through, and refuses the second command (the flag had gone)
        for topic, payload in [
            gate.resolved(confirmed_row.event_id, NOW, "admitted", person_id="W0001"),
            gate.command_result("c-2", "resolve_secondary", "refused", NOW,
                                "flag_id: no open secondary check with this id"),
        ]:  # fmt: skip
            store.ingest(topic, payload, NOW)
        said = [(r.stage, r.text) for r in receipts.of("s1", store, english)]
        assert said == [
            ("confirmed", "Gate gate-e confirmed: W0001, admitted"),
            ("refused", "Gate gate-e did not act on it: flag_id: no open secondary check with "
                        "this id"),
        ]  # fmt: skip
    finally:
        store.close()
