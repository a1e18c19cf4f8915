"""Commands from the operations centre, on a gate with simulated people and a real record: the
checks in front of every handler, and what each command does at the turnstile."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from terminal.link import contract
from terminal.link.commands import (
    CommandContext,
    CommandRegistry,
)
from terminal.rules.roster import load_roster
from terminal.state import GateState
from tests.conftest import make_config
from tests.support.codes import other_spellings
from tests.support.commands import STRANGER_KEY, Station, command_config
from tests.support.people import person


@pytest.fixture
def station(tmp_path: Path) -> Station:
    return Station(command_config(tmp_path), [person("A", 0), person("B", 40)], tmp_path)


def test_lockdown_refuses_everyone_until_lifted_and_says_so(station: Station) -> None:
    result = station.send("lockdown", {"on": True, "reason": "red card from the park"})
    assert result.outcome == "done" and station.state.lockdown and station.status_sent == 1
    station.run_until(1)
    first = station.record.checks()[0]
    assert (first["person_id"], first["decision"], first["reason"]) == ("A", "deny", "lockdown")
    assert station.relay_pulses() == 0
    assert station.send("lockdown", {"on": False, "reason": "order lifted"}).outcome == "done"
    station.run_until(2)
    second = station.record.checks()[1]
    assert (second["person_id"], second["reason"]) == ("B", "admitted")
    assert station.relay_pulses() == 1
    # each command is kept with who sent it and what became of it
    kept = station.record.commands()
    assert [(c["name"], c["issued_by"], c["outcome"], c["verified"]) for c in kept] == [
        ("lockdown", "duty-officer", "done", 1),
        ("lockdown", "duty-officer", "done", 1),
    ]


def test_a_lockdown_outlasts_a_restart(tmp_path: Path) -> None:
    config = command_config(tmp_path)
    first = Station(config, [person("A", 0)], tmp_path)
    first.send("lockdown", {"on": True, "reason": "cease operation"})
    first.record.close()
    again = Station(config, [person("A", 0)], tmp_path)
    assert again.state.lockdown
    again.run_until(1)
    assert again.record.checks()[0]["reason"] == "lockdown"


def test_open_once_is_recorded_then_pulses_the_relay_once(station: Station) -> None:
    station.send("lockdown", {"on": True, "reason": "drill"})
    station.run_until(1)
    seen_at_release: list[int] = []

    def on_pin(change: Any) -> None:
        if change.pin == station.config.outputs.relay_pin and change.level == 1:
            overrides = [m for m in station.record.outbox() if m["topic"].endswith("override")]
            seen_at_release.append(len(overrides))

    station.rig.gpio.on_change(on_pin)
    result = station.send("open_once", {"reason": "fire warden on duty"})
    assert result.outcome == "done", result.detail
    assert seen_at_release == [1]  # the override was in the record when the relay moved
    override = next(
        json.loads(m["payload"])
        for m in station.record.outbox()
        if m["topic"].endswith("event/override")
    )
    assert override["data"]["by"] == "duty-officer"
    assert override["data"]["reason"] == "fire warden on duty"
    assert override["data"]["source"] == "command"
    # the record keeps who opened it, by what, and why, beside the command itself
    (row,) = station.record.rows("overrides")
    assert (row["source"], row["by"], row["reason"]) == (
        "command",
        "duty-officer",
        "fire warden on duty",
    )
    assert row["command_id"] == override["data"]["command_id"] == result.command_id
    (opened,) = station.record.passages()
    assert (opened["admission_id"], opened["admitted_by"]) == (row["event_id"], "command")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"key": STRANGER_KEY}, "signature: does not verify"),
        ({"key_id": "someone"}, "key_id 'someone': not a key this gate trusts"),
        ({"lifetime_s": -1.0}, "expired"),
        ({"lifetime_s": 3 * 3600.0}, "more than the 600 s allowed"),
        ({"gate": "other-gate"}, "addressed to test-park/other-gate"),
    ],
)
def test_a_command_that_cannot_be_trusted_is_refused_and_never_runs(
    station: Station, options: dict[str, Any], problem: str
) -> None:
    result = station.send("lockdown", {"on": True, "reason": "x"}, **options)
    assert result.outcome == "refused" and problem in result.detail
    assert not station.state.lockdown
    [kept] = station.record.commands()
    assert kept["verified"] == 0 and kept["outcome"] == "refused"
    assert station.results()[-1]["data"]["outcome"] == "refused"


def test_an_altered_command_is_refused(station: Station) -> None:
    command = station.command("open_once", {"reason": "visitor"})
    command["payload"]["reason"] = "anything I like"
    assert "does not verify" in station.take("open_once", command).detail
    # nor may a command signed for one name be sent on another's topic
    other = station.command("lockdown", {"on": False, "reason": "x"})
    assert (
        "cmd/lockdown, not test-park/gate-t cmd/open_once"
        in station.take("open_once", other).detail
    )
    assert station.relay_pulses() == 0


def test_a_command_has_one_spelling_of_its_signature(station: Station) -> None:
    def lockdown(n: int) -> dict[str, Any]:
        return station.command("lockdown", {"on": True, "reason": "x"}, command_id=f"spelt-{n:04}")

    # one whose signature has a - or an _, which the other base64 alphabet spells + or /
    commands = (lockdown(n) for n in range(1000))
    command = next(c for c in commands if {"-", "_"} & set(c["signature"]))
    signature = command["signature"]
    respelt = [
        *other_spellings(signature),
        signature + "==",
        f" {signature[:40]}\n{signature[40:]} ",
        signature.replace("-", "+").replace("_", "/"),
    ]
    for other in respelt:
        result = station.take("lockdown", {**command, "signature": other})
        assert (result.outcome, result.detail) == ("refused", "signature: not base64url")
    assert not station.state.lockdown
    assert station.take("lockdown", command).outcome == "done" and station.state.lockdown


def test_a_command_runs_once_and_its_replay_is_refused(station: Station) -> None:
    command = station.command("open_once", {"reason": "delivery"})
    assert station.take("open_once", command).outcome == "done"
    again = station.take("open_once", command)
    assert again.outcome == "refused" and "already taken (a replay)" in again.detail
    assert station.relay_pulses() == 1


def test_a_bad_payload_is_refused_with_its_field(station: Station) -> None:
    result = station.send("set_risk_tier", {"tier": "extreme"})
    assert result.outcome == "refused" and result.detail.startswith("payload.tier:")
    assert station.state.risk_tier == "low"


def test_the_risk_tier_set_by_command_rules_the_next_check(tmp_path: Path) -> None:
    station = Station(command_config(tmp_path), [person("Y", 0, "yellow")], tmp_path)
    assert station.send("set_risk_tier", {"tier": "medium"}).outcome == "done"
    station.run_until(1)
    check = station.record.checks()[0]
    assert (check["reason"], check["route"]) == ("code_yellow", "secondary_check")
    assert station.config.risk.tier == "low"  # the config stays as written; the state changed
    assert GateState.restore(station.config, station.record).risk_tier == "medium"


WORKERS_HEADER = "person_id,name,department,group,nat_tested_at,nat_result\n"


def test_a_pushed_roster_is_validated_wholly_then_installed(tmp_path: Path) -> None:
    config = command_config(tmp_path, shifts={"groups": {"day": {"windows": ["07:00-09:00"]}}})
    workers = config.resolved(config.roster.workers)
    workers.write_text(WORKERS_HEADER + "A,Name,Dept,day,2026-11-23 06:00,negative\n")
    station = Station(config, [person("Z", 0, registered=False)], tmp_path)
    before = workers.read_bytes()
    tested = "2026-11-23 06:00,negative"
    bad = WORKERS_HEADER + f"Z,Name,Dept,day,{tested}\nQ,Name,Dept,no-such-group,{tested}\n"
    result = station.send("push_roster", {"kind": "workers", "csv": bad})
    assert result.outcome == "refused"
    assert result.detail.startswith("pushed workers roster:3: group:"), result.detail
    assert workers.read_bytes() == before  # nothing of it was used
    visitors = "person_id,name,host,visit_from,visit_until\n"
    result = station.send("push_roster", {"kind": "workers", "csv": visitors})
    assert result.detail == "pushed workers roster: a visitors file, pushed as workers"
    good = WORKERS_HEADER + f"Z,Name,Dept,day,{tested}\nQ,Name,Dept,day,{tested}\n"
    result = station.send("push_roster", {"kind": "workers", "csv": good})
    assert result.outcome == "done", result.detail
    installed = load_roster(config)
    assert sorted(w.person_id for w in installed.workers()) == ["Q", "Z"]  # A replaced
    station.run_until(1)
    assert station.record.checks()[0]["reason"] == "admitted"  # Z is on the pushed roster


def test_resolve_secondary_is_part_of_the_contract(station: Station) -> None:
    payload = {"flag_id": "f-1", "result": "normal", "clinical_c": 36.8, "guard": "guard-2"}
    result = station.send("resolve_secondary", payload)
    assert result.outcome == "refused" and "no open secondary check" in result.detail


def test_any_module_registers_a_handler_for_a_contract_command(station: Station) -> None:
    registry = CommandRegistry()
    seen: list[str] = []

    def resolve(command: Any, context: CommandContext) -> str:
        seen.append(command.payload.flag_id)
        return "resolved"

    registry.register("resolve_secondary", contract.ResolveSecondaryPayload, resolve)
    with pytest.raises(ValueError, match="not in the contract"):
        registry.register("self_destruct", contract.OpenOncePayload, resolve)
    with pytest.raises(ValueError, match="payload model differs"):
        registry.register("resolve_secondary", contract.OpenOncePayload, resolve)
    station.desk.registry = registry
    payload = {"flag_id": "f-9", "result": "fever", "clinical_c": 38.1, "guard": "g"}
    assert station.send("resolve_secondary", payload).outcome == "done"
    assert seen == ["f-9"]
    assert station.send("lockdown", {"on": True, "reason": "x"}).detail == (
        "lockdown: not a command this gate runs"
    )


def test_garbage_on_a_command_topic_gets_a_refusal_not_a_crash(station: Station) -> None:
    assert station.desk.take("lockdown", b"\xff\xfe").detail == (
        "not a JSON command: not UTF-8 (byte 0)"
    )
    assert station.desk.take("lockdown", b"[1, 2]").detail == "not a JSON object"
    assert "command_id" in station.desk.take("lockdown", b'{"schema": "gate.command/1"}').detail


# a signed lockdown's JSON, changed in one place to something no JSON reader should take
LOCKDOWN_REASON = '"reason": "red card"'
HOSTILE_COMMANDS = {
    "a 100,000-digit integer": (
        f'{LOCKDOWN_REASON}, "n": {"9" * 100_000}',
        "a number of more than 40 characters",
    ),
    "NaN": (f'{LOCKDOWN_REASON}, "n": NaN', "NaN is not a JSON number"),
    "Infinity": (f'{LOCKDOWN_REASON}, "n": -Infinity', "-Infinity is not a JSON number"),
    "a float beyond its range": (f'{LOCKDOWN_REASON}, "n": 1e999', "a number out of range"),
    "nesting 100,000 deep": (
        f'{LOCKDOWN_REASON}, "n": {"[" * 100_000}{"]" * 100_000}',
        "nested deeper than 32 levels",
    ),
    "nesting 40 deep": (
        LOCKDOWN_REASON + ', "n": ' + '{"a": ' * 40 + "1" + "}" * 40,
        "nested deeper than 32 levels",
    ),
    "a lone surrogate": (
        '"reason": "red card\\ud800"',
        "a text holds a lone surrogate (\\ud800 to \\udfff), no UTF-8",
    ),
}


@pytest.mark.parametrize("hostile", list(HOSTILE_COMMANDS))
def test_a_command_no_json_reader_should_take_is_refused_as_malformed(
    station: Station, hostile: str
) -> None:
    fragment, reason = HOSTILE_COMMANDS[hostile]
    text = json.dumps(station.command("lockdown", {"on": True, "reason": "red card"}))
    assert LOCKDOWN_REASON in text
    result = station.desk.take("lockdown", text.replace(LOCKDOWN_REASON, fragment).encode())
    assert (result.outcome, result.detail) == ("refused", f"not a JSON command: {reason}")
    assert not station.state.lockdown
    [kept] = station.record.commands()
    assert (kept["outcome"], kept["verified"]) == ("refused", 0)


def test_a_command_with_bytes_that_are_no_utf8_is_refused_naming_the_byte(
    station: Station,
) -> None:
    text = json.dumps(station.command("lockdown", {"on": True, "reason": "red card"}))
    raw = text.encode().replace(b"red card", b"red \xff card")
    result = station.desk.take("lockdown", raw)
    at = raw.index(b"\xff")
    assert (result.outcome, result.detail) == (
        "refused",
        f"not a JSON command: not UTF-8 (byte {at})",
    )


def test_a_pushed_roster_holding_no_utf8_text_is_refused_and_nothing_installed(
    tmp_path: Path,
) -> None:
    config = command_config(tmp_path)
    workers = config.resolved(config.roster.workers)
    workers.write_text(WORKERS_HEADER + "A,Name,Dept,day,,\n")
    station = Station(config, [], tmp_path)
    before = workers.read_bytes()
    pushed = {"kind": "workers", "csv": WORKERS_HEADER + "Z,NAME,Dept,day,,\n"}
    text = json.dumps(station.command("push_roster", pushed))
    raw = text.replace("NAME", "Na\\udc80me").encode()  # a lone surrogate, as JSON spells it
    result = station.desk.take("push_roster", raw)
    assert (result.outcome, result.detail) == (
        "refused",
        "not a JSON command: a text holds a lone surrogate (\\ud800 to \\udfff), no UTF-8",
    )
    assert workers.read_bytes() == before


def test_a_command_giving_a_key_twice_is_refused(station: Station) -> None:
    """A reader that keeps the first ``on`` would see a lift where the gate, keeping the last,
    would lock down: one command must mean one thing to every reader."""
    text = json.dumps(station.command("lockdown", {"on": True, "reason": "red card"}))
    twice = text.replace('{"on": true', '{"on": false, "on": true')
    assert twice != text
    result = station.desk.take("lockdown", twice.encode())
    assert (result.outcome, result.detail) == (
        "refused",
        "not a JSON command: an object gives a key twice",
    )
    assert not station.state.lockdown


def test_without_a_synchronised_clock_only_a_lockdown_is_taken(station: Station) -> None:
    station.desk.context.clock_synced = lambda: False
    result = station.send("open_once", {"reason": "x"})
    assert result.outcome == "refused" and "clock is not synchronised" in result.detail
    assert station.relay_pulses() == 0
    assert station.send("lockdown", {"on": True, "reason": "red card"}).outcome == "done"
    assert station.send("lockdown", {"on": False, "reason": "lift"}).outcome == "refused"
    assert station.state.lockdown


def test_a_roster_that_cannot_be_installed_is_a_clear_refusal(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the roster's folder should be", encoding="utf-8")
    config = command_config(tmp_path, roster={"workers": str(blocked / "workers.csv")})
    station = Station(config, [], tmp_path)
    good = WORKERS_HEADER + "Z,Name,Dept,day,,\n"
    result = station.send("push_roster", {"kind": "workers", "csv": good})
    assert result.outcome == "refused"
    assert result.detail.startswith(f"cannot install at {blocked / 'workers.csv'}: ")


@pytest.mark.slow  # starts a process
def test_the_centre_signs_with_gate_terminal_command_and_the_gate_takes_it(
    tmp_path: Path,
) -> None:
    from tests.support.cli import run

    key = tmp_path / "centre.pem"
    made = run("command", "keygen", "--out", str(key))
    assert made.returncode == 0, made.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    public = made.stdout.strip()
    config = make_config(
        tmp_path, commands={"keys": [{"key_id": "centre-2026", "public_key": public}]}
    )
    station = Station(config, [person("A", 0)], tmp_path)
    station.desk.context.now = time.time  # the signature's times are the wall clock's
    signed = run(
        "command", "sign", "--key", str(key), "--key-id", "centre-2026", "--park", "test-park",
        "--gate", "gate-t", "--name", "lockdown", "--payload", '{"on": true, "reason": "drill"}',
        "--by", "duty-officer",
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    result = station.take("lockdown", json.loads(signed.stdout))
    assert result.outcome == "done" and station.state.lockdown
    bad = run(
        "command", "sign", "--key", str(key), "--key-id", "centre-2026", "--park", "test-park",
        "--gate", "gate-t", "--name", "set_risk_tier", "--payload", '{"tier": "extreme"}',
        "--by", "x",
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("gate-terminal: --payload: tier: Input should be")
    for payload, problem in [
        ('{"on": true, "reason": "x", "n": ' + "9" * 5000 + "}", "a number of more than 40"),
        ('{"on": true, "reason": NaN}', "NaN is not a JSON number"),
    ]:
        refused = run(
            "command", "sign", "--key", str(key), "--key-id", "centre-2026", "--park", "test-park",
            "--gate", "gate-t", "--name", "lockdown", "--payload", payload, "--by", "x",
        )  # fmt: skip
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.startswith(f"gate-terminal: --payload: {problem}"), refused.stderr
        assert refused.stderr.count("\n") == 1
    again = run("command", "keygen", "--out", str(key))
    assert again.returncode == 2 and "exists; not overwritten" in again.stderr


@pytest.mark.parametrize(
    "reason", ["drill\nADMITTED W0001", "\x1b[2Jdrill", "drill \u202enwodkcol"]
)
def test_a_signed_command_whose_text_could_forge_a_line_is_refused(
    station: Station, reason: str
) -> None:
    """Signed by the centre, but a reason that would forge a log line, clear a terminal or read
    backwards on the desk is refused, and the gate stays as it was."""
    result = station.send("lockdown", {"on": True, "reason": reason})
    assert result.outcome == "refused" and "control or formatting character" in result.detail
    assert not station.state.lockdown
    by = station.send("open_once", {"reason": "delivery"}, issued_by="officer\nguard")
    assert by.outcome == "refused" and station.relay_pulses() == 0
