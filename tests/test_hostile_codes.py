"""Nothing a camera sees may stop the gate: arbitrary payloads through verification, policy and
the record; a few hundred of them rendered as real QR codes, read by the real decoder, through the
gate loop; and an error anywhere in a check is a recorded refusal, never an admission or a crash."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.broker import PrivateBroker
from simulator.rig import build_rig
from simulator.runner import run_simulation
from terminal.codes.healthcode import CodeRejected
from terminal.config import Config
from terminal.gate.lane import Gate
from terminal.record.store import CheckRow, OutboxMessage, Record
from terminal.rules.policy import CodeRules, CodeSeen, Temperature, decide
from tests.support.gates import run_until_done
from tests.support.people import TABLE_ONLY, person

NOW = 1_795_000_000.0

# what a QR code can carry, as the decoder hands it over: any text, control characters and NULs,
# bytes that are no UTF-8 (decoded as Latin-1, as a decoder does without a charset), near-misses
# of the real format
payloads = st.one_of(
    st.text(max_size=4096),
    st.text(st.characters(codec="ascii"), max_size=300),
    st.binary(min_size=1, max_size=4096).map(lambda b: b.decode("latin-1")),
    st.lists(st.text(max_size=40), min_size=6, max_size=8).map(lambda f: "|".join(["HC2", *f])),
)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(payload=payloads)
def test_any_payload_through_verification_policy_and_record(
    config: Config, tmp_path: Path, payload: str
) -> None:
    record = Record(tmp_path / "fuzz.sqlite")
    try:
        try:
            code = config.healthcode.verifiers().verify(payload, NOW)
            seen = CodeSeen("valid", code)
        except CodeRejected as exc:
            seen = CodeSeen("invalid", problem=exc.problem)
        decision = decide(Temperature(36.6), seen, None, code_rules=CodeRules())
        assert not decision.admit  # nobody holds the simulator's key in this test but the gate
        event = uuid.uuid4().hex
        row = CheckRow(
            event, "2026-11-19T00:00:00Z", NOW, "p", "g", None, seen.status, 36.6, None, None,
            decision.decision, decision.reason.value, decision.route.value, 1.0, 1.0,
        )  # fmt: skip
        record.add_check(row, [OutboxMessage("t", "{}")])
        stored = record.checks()[-1]
        assert stored["reason"] == decision.reason.value
        assert stored["code_fingerprint"] is None  # a refused code leaves no trace of itself
    finally:
        record.close()


rendered = st.one_of(
    st.text(min_size=1, max_size=300).filter(lambda t: t.strip() == t and t.strip()),
    st.binary(min_size=1, max_size=200).map(lambda b: b.decode("latin-1")),
    st.lists(st.text(max_size=20), min_size=6, max_size=6).map(lambda f: "|".join(["HC2", *f])),
)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@pytest.mark.slow  # hundreds of rendered codes through the real decoder and the gate loop
@given(texts=st.lists(rendered, min_size=100, max_size=100))
@pytest.mark.soak  # hundreds of codes: make soak
def test_hundreds_of_hostile_qr_codes_through_the_decoder_and_the_gate_loop(
    config: Config, tmp_path: Path, broker: PrivateBroker, texts: list[str]
) -> None:
    crowd = [person(f"X{i:03d}", i * 3.0, f"payload:{text}") for i, text in enumerate(texts)]
    crowd.append(person("Z-green", len(texts) * 3.0, "green"))
    # about the codes, not the screening: each forehead is judged on its own, by the table
    config = config.model_copy(update={"screening": config.screening.model_copy(update=TABLE_ONLY)})
    shift = run_simulation(
        config, people=crowd, broker=(broker.host, broker.port), record_path=tmp_path / "h.sqlite"
    )
    reasons = [row.reason for row in shift.checks_by_person.values()]
    assert "internal_error" not in reasons
    assert shift.summary.problems == []  # one answer each, every check on the person there
    admitted = [pid for pid, row in shift.checks_by_person.items() if row.decision == "admit"]
    assert admitted == ["Z-green"]  # and after all that, the gate still admits a real code


class Exploding:
    """A part of the gate with a bug: it raises, with a message that quotes personal data."""

    def __init__(self, roster) -> None:
        self.roster = roster
        self.calls = 0

    def get(self, person_id: str):
        self.calls += 1
        if self.calls == 1:
            raise ValueError(f"cannot look up {person_id} with 38.9 C")
        return self.roster.get(person_id)

    def __len__(self) -> int:
        return len(self.roster)


def test_an_error_in_a_check_is_a_recorded_refusal_and_the_gate_goes_on(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = build_rig(config, [person("A", 0), person("B", 3)])
    record = Record(tmp_path / "r.sqlite")
    devices = rig.devices()
    gate = Gate(config=rig.config, devices=devices, record=record, roster=Exploding(rig.roster))  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG):
        run_until_done(gate, rig)
    checks = record.checks()
    assert [(c["person_id"], c["reason"], c["decision"]) for c in checks] == [
        (None, "internal_error", "deny"),
        ("B", "admitted", "admit"),
    ]
    assert [v.outcome for v in rig.world.visits] == ["turned_away", "passed"]
    assert len(rig.gpio.pulses(config.outputs.relay_pin)) == 1  # only B
    topics = [m["topic"] for m in record.outbox()]
    assert topics.count(f"gate/v1/{config.gate.park}/{config.gate.id}/event/fault") == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "internal error in a check" in logged and "ValueError" in logged
    # the error's type and place, never its message: that quoted a person and a temperature
    assert "cannot look up" not in logged and "38.9" not in logged


class BrokenDecoder:
    def __init__(self) -> None:
        self.calls = 0

    def scan(self, frame):
        self.calls += 1
        raise MemoryError("decoder ran out") if self.calls < 3 else RuntimeError("again")


def test_an_error_between_checks_never_stops_the_gate_nor_spins(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = build_rig(config, [person("A", 0)])
    devices = rig.devices()
    devices.decoder = BrokenDecoder()  # type: ignore[assignment]
    gate = Gate(
        config=rig.config, devices=devices, record=Record(tmp_path / "r.sqlite"), roster=rig.roster
    )
    started = rig.clock.time()
    for _ in range(20):
        assert gate.poll() is None
    assert rig.clock.time() - started >= 20 * 0.5  # it backed off instead of spinning
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2  # once per kind of error and place, not once per frame
    assert rig.gpio.pulses(config.outputs.relay_pin) == []
