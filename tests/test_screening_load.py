"""Today's screening in the gate's status: the guard load against the park's budget, who is
resting, who never came back, counted from a real record since the gate's local midnight, sent
again when it changes and at most once a minute; null at an exit gate."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from terminal.gate.load import ScreeningLoad, local_midnight
from terminal.link.topics import GateTopics, status_payload
from terminal.record.store import Record, RestRow
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.records import check

ZONE = ZoneInfo("Asia/Shanghai")  # the tests' gate
MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE).timestamp()


class Screener:
    """A screening whose model says what its rule catches."""

    def estimated_catch(self) -> float | None:
        return 0.83


class Clock:
    def __init__(self, now_s: float) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


def rest(event_id: str, told_at_s: float, **changes: object) -> RestRow:
    fields: dict = {
        "event_id": event_id,
        "person_id": "W1",
        "code_fingerprint": None,
        "told_at_s": told_at_s,
        "due_s": told_at_s + 300,
        "expires_s": told_at_s + 1200,
        "first_object_c": 34.9,
        "first_ambient_c": 19.0,
    }
    return RestRow(**{**fields, **changes})


def load_on(
    tmp_path: Path, record: Record, clock: Clock, **gate: object
) -> tuple[ScreeningLoad | None, GateState, list[int]]:
    config = make_config(tmp_path, gate=gate, screening={"secondary_budget": 0.05})
    state = GateState(risk_tier="low")
    sent: list[int] = []
    load = ScreeningLoad.of(config, record, state, Screener(), lambda: sent.append(1), clock)
    return load, state, sent


def test_the_status_counts_today_from_the_record(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    yesterday = MORNING - 86_400
    record.add_check(check("y", yesterday, screening="pass"), [])  # not today
    record.add_check(check("p", MORNING, screening="pass"), [])
    sent_on = {"decision": "deny", "reason": "secondary_check", "route": "secondary_check"}
    record.add_check(check("g", MORNING + 10, screening="guard", **sent_on), [])
    told = {"decision": "deny", "reason": "rest", "route": "rest", "screening": "rest"}
    record.add_check(check("r1", MORNING + 20, **told), [], rest=rest("r1", MORNING + 20))
    record.add_check(check("r2", MORNING + 30, **told), [], rest=rest("r2", MORNING + 30))
    record.add_check(check("f", MORNING + 40, screening="fault", decision="deny"), [])
    record.add_check(check("x", MORNING + 50, screening=None, direction="exit"), [])
    clock = Clock(MORNING + 60)
    load, state, sent = load_on(tmp_path, record, clock)
    assert load is not None
    # counted at start, for the first status the gate sends: nothing announced
    assert state.screening is not None and sent == []
    payload = json.loads(
        status_payload(
            GateTopics("test-park", "gate-t"),
            "online",
            state,
            boot_id="b",
            software_version="1",
            config_hash="0" * 16,
            now=clock,
        )
    )
    assert payload["screening"] == {
        "budget": 0.05,
        "screened_today": 4,  # a reading taken: pass, guard and two rests (not the fault)
        "sent_to_guard_today": 1,
        "rested_today": 2,
        "resting_now": 2,
        "not_returned_today": 0,
        "estimated_catch": 0.83,
    }
    # one rest is over and nobody came back: no longer resting, not returned
    clock.now_s = MORNING + 1225  # r1's time to come back is over (1220), r2's is not
    record.close_rest_not_returned("r1", clock.now_s, [])
    load.serve()
    assert state.screening.resting_now == 1 and state.screening.not_returned_today == 1


def test_the_count_is_sent_again_when_it_changes_and_at_most_once_a_minute(
    tmp_path: Path,
) -> None:
    record = Record(tmp_path / "r.sqlite")
    clock = Clock(MORNING)
    load, state, sent = load_on(tmp_path, record, clock)
    assert load is not None
    assert state.screening is not None and state.screening.screened_today == 0
    record.add_check(check("p", MORNING + 1, screening="pass"), [])
    clock.now_s = MORNING + 30
    load.serve()
    assert sent == [] and state.screening.screened_today == 0  # within the minute: not yet
    clock.now_s = MORNING + 61
    load.serve()
    assert sent == [1] and state.screening.screened_today == 1
    clock.now_s = MORNING + 200
    load.serve()
    assert sent == [1]  # nothing changed: nothing sent


def test_the_day_starts_at_the_gates_local_midnight(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    midnight = datetime(2026, 11, 23, 0, 0, tzinfo=ZONE).timestamp()
    assert local_midnight(MORNING, ZONE) == midnight
    record.add_check(check("late", midnight - 1, screening="pass"), [])
    record.add_check(check("early", midnight + 1, screening="pass"), [])
    load, _, _ = load_on(tmp_path, record, Clock(MORNING))
    assert load is not None
    assert load.count(MORNING).screened_today == 1


def test_an_exit_gate_reports_no_screening(tmp_path: Path) -> None:
    record = Record(tmp_path / "r.sqlite")
    load, state, _ = load_on(tmp_path, record, Clock(MORNING), direction="exit")
    assert load is None and state.screening is None
