"""Signed health codes: every way a code can be wrong has its own reason, and nothing a payload
holds makes verification raise anything else."""

from __future__ import annotations

from pathlib import Path

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.codes.healthcode import (
    MAX_PAYLOAD_CHARS,
    CodeProblem,
    CodeRejected,
    Colour,
    HealthCode,
    SignedCodeRules,
    SignedCodeVerifier,
    Verifiers,
    fingerprint,
    issue,
    private_key_pem,
    public_key_text,
    simulator_issuer_key,
)
from terminal.config import ConfigError
from tests.conftest import make_config
from tests.support.codes import other_spellings

NOW = 1_795_000_000.0  # 2026-11-19
HOUR = 3600.0
PARK = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NEXT_YEAR = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
RULES = SignedCodeRules(max_age_s=24 * HOUR, clock_skew_s=300)


def gate_verifier(**issuers: Ed25519PrivateKey) -> Verifiers:
    keys = issuers or {"park-2026": PARK}
    return Verifiers([SignedCodeVerifier({k: v.public_key() for k, v in keys.items()}, RULES)])


def code(
    colour: str = "green",
    person: str = "W0001",
    issued: float = NOW - HOUR,
    valid_h: float = 24,
    key: Ed25519PrivateKey = PARK,
    key_id: str = "park-2026",
) -> str:
    return issue(key, key_id, person, colour, issued, issued + valid_h * HOUR)


def rejection(payload: str, verifier: Verifiers | None = None, now: float = NOW) -> CodeProblem:
    with pytest.raises(CodeRejected) as caught:
        (verifier or gate_verifier()).verify(payload, now)
    return caught.value.problem


def test_a_valid_code_names_its_person_colour_and_issuer() -> None:
    payload = code("yellow")
    verified = gate_verifier().verify(payload, NOW)
    assert verified == HealthCode(
        "W0001",
        Colour.YELLOW,
        NOW - HOUR,
        NOW + 23 * HOUR,
        "HC2/park-2026",
        fingerprint(payload),
    )
    assert payload.count("|") == 6 and payload.startswith("HC2|park-2026|W0001|yellow|")


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("HC1|W0001|green|1795000000|0123456789abcdef", CodeProblem.MALFORMED),
        ("https://example.com/not-a-health-code", CodeProblem.MALFORMED),
        ("HC2|park-2026|W0001|green", CodeProblem.MALFORMED),
        # the printed code that once crashed the gate: a non-ASCII tag
        ("HC1|P0|green|1|é", CodeProblem.MALFORMED),
        # a 400-digit issue time, once an OverflowError
        (f"HC2|park-2026|W0001|green|{'9' * 400}|1|{'A' * 86}", CodeProblem.MALFORMED),
        (code().replace("|green|", "|purple|"), CodeProblem.MALFORMED),
        (code()[:-1] + "*", CodeProblem.MALFORMED),
    ],
)
def test_malformed_payloads_are_refused_as_malformed(payload: str, problem: CodeProblem) -> None:
    assert rejection(payload) is problem


def test_a_code_signed_by_another_key_under_the_parks_key_id_is_a_bad_signature() -> None:
    forged = code(key=Ed25519PrivateKey.generate())
    assert rejection(forged) is CodeProblem.BAD_SIGNATURE


def test_a_red_code_changed_to_green_after_signing_is_a_bad_signature() -> None:
    tampered = code("red").replace("|red|", "|green|")
    assert rejection(tampered) is CodeProblem.BAD_SIGNATURE


def test_a_code_with_its_validity_stretched_is_a_bad_signature() -> None:
    fields = code(valid_h=1).split("|")
    fields[5] = str(int(fields[5]) + 30 * 86400)
    assert rejection("|".join(fields)) is CodeProblem.BAD_SIGNATURE


def test_a_code_has_one_spelling_of_its_signature_and_so_one_fingerprint() -> None:
    genuine = code()
    body, signature = genuine.rsplit("|", 1)
    respelt = other_spellings(signature)
    assert len(respelt) == 15  # 86 characters carry 516 bits for the signature's 512
    for other in respelt:
        assert rejection(f"{body}|{other}") is CodeProblem.MALFORMED
    assert gate_verifier().verify(genuine, NOW).fingerprint == fingerprint(genuine)


def test_a_key_id_the_gate_does_not_trust_is_an_unknown_issuer() -> None:
    assert rejection(code(key_id="elsewhere")) is CodeProblem.UNKNOWN_ISSUER


def test_expiry_by_valid_until_and_by_the_gates_own_age_limit() -> None:
    assert rejection(code(issued=NOW - 3 * HOUR, valid_h=2)) is CodeProblem.EXPIRED
    # valid for a week by its issuer, but older than the gate's 24 h
    assert rejection(code(issued=NOW - 30 * HOUR, valid_h=24 * 7)) is CodeProblem.EXPIRED


def test_a_code_from_the_future_is_not_yet_valid_beyond_the_clock_skew_allowance() -> None:
    assert gate_verifier().verify(code(issued=NOW + 200), NOW).person_id == "W0001"
    assert rejection(code(issued=NOW + 400)) is CodeProblem.NOT_YET_VALID


def test_key_rotation_trusts_old_and_new_key_ids_side_by_side() -> None:
    both = gate_verifier(**{"park-2026": PARK, "park-2027": NEXT_YEAR})
    assert both.verify(code(), NOW).issuer == "HC2/park-2026"
    assert both.verify(code(key=NEXT_YEAR, key_id="park-2027"), NOW).issuer == "HC2/park-2027"
    # each key id is bound to its own key
    assert rejection(code(key=NEXT_YEAR, key_id="park-2026"), both) is CodeProblem.BAD_SIGNATURE


class OtherScheme:
    """A second scheme behind the same interface, as the EU DCC would be."""

    def claims(self, payload: str) -> bool:
        return payload.startswith("X1:")

    def verify(self, payload: str, now_s: float) -> HealthCode:
        return HealthCode(payload[3:], Colour.GREEN, now_s, now_s + 1, "X1", fingerprint(payload))


def test_another_scheme_plugs_in_beside_the_signed_codes() -> None:
    verifiers = Verifiers([OtherScheme(), *gate_verifier()._schemes])
    assert verifiers.verify("X1:V0001", NOW).issuer == "X1"
    assert verifiers.verify(code(), NOW).issuer == "HC2/park-2026"
    assert rejection("Y1:nobody", verifiers) is CodeProblem.MALFORMED


def test_the_longest_code_fits_qr_version_10_at_error_correction_m() -> None:
    longest = code(person="P" * 64, key_id="k" * 16, issued=99_999_000_000, valid_h=1)
    assert len(longest) <= MAX_PAYLOAD_CHARS
    assert segno.make_qr(longest, error="m").version <= 10
    typical = code(person="W0001234", key_id="park-2026")
    assert segno.make_qr(typical, error="m").version <= 8


# --- keys in a gate's configuration -------------------------------------------------------------
def issuer(public_key: str, key_id: str = "park-2026") -> dict:
    return {"healthcode": {"issuers": [{"key_id": key_id, "public_key": public_key}]}}


def test_a_private_key_in_a_gates_config_is_refused(tmp_path: Path) -> None:
    pem = private_key_pem(PARK).decode()
    with pytest.raises(ConfigError, match=r"issuers\[0\]\.public_key: .*private key"):
        make_config(tmp_path, **issuer(pem))
    body = "".join(pem.splitlines()[1:-1])  # the PEM's base64 body on one line
    with pytest.raises(ConfigError, match="private key"):
        make_config(tmp_path, **issuer(body))


def test_an_issuing_key_in_the_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"healthcode: .*a gate holds no issuing key"):
        make_config(tmp_path, healthcode={"key": "old-shared-hmac-key-0123456789"})


def test_a_public_key_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"public_key: .*not a key"):
        make_config(tmp_path, **issuer("not base64 at all!"))


def test_the_simulators_key_is_refused_on_real_hardware(tmp_path: Path) -> None:
    simulator = public_key_text(simulator_issuer_key().public_key())
    make_config(tmp_path, **issuer(simulator))  # a simulated gate trusts it
    with pytest.raises(
        ConfigError, match=r"healthcode\.issuers\[0\]\.public_key: the simulator's issuer key"
    ):
        make_config(tmp_path, gate={"hardware": "pi"}, **issuer(simulator))


def test_the_simulators_command_key_is_refused_on_real_hardware(tmp_path: Path) -> None:
    from terminal.codes.healthcode import SIMULATOR_COMMAND_KEY_ID, simulator_command_key

    keys = {
        "keys": [
            {
                "key_id": SIMULATOR_COMMAND_KEY_ID,
                "public_key": public_key_text(simulator_command_key().public_key()),
            }
        ]
    }
    make_config(tmp_path, commands=keys)  # a simulated gate takes its simulated guard's commands
    with pytest.raises(
        ConfigError, match=r"commands\.keys\[0\]\.public_key: the simulator's command key"
    ):
        make_config(
            tmp_path,
            gate={"hardware": "pi"},
            commands=keys,
            **issuer(public_key_text(PARK.public_key())),
        )


def test_the_examples_placeholders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gate\.park: still the example's placeholder"):
        make_config(tmp_path, gate={"park": "CHANGE-ME"})


def test_the_example_gate_config_is_refused_until_filled_in() -> None:
    from terminal.config import load
    from tests.conftest import REPO

    with pytest.raises(ConfigError, match="placeholder") as caught:
        load(REPO / "config" / "gate.example.toml")
    message = str(caught.value)
    assert "gate.park" in message and "healthcode.issuers[0].public_key" in message


# --- nothing a payload holds escapes as anything but a rejection --------------------------------
payloads = st.one_of(
    st.text(max_size=4096),
    st.binary(max_size=4096).map(lambda b: b.decode("latin-1")),
    st.binary(max_size=4096).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.builds(
        lambda fields: "|".join(fields),
        st.lists(st.text(max_size=120), min_size=7, max_size=7).map(lambda f: ["HC2", *f[1:]]),
    ),
)


@settings(max_examples=1500, deadline=None)
@given(payloads)
def test_any_payload_is_a_code_or_a_rejection(payload: str) -> None:
    verifier = gate_verifier()
    try:
        verified = verifier.verify(payload, NOW)
    except CodeRejected as exc:
        assert isinstance(exc.problem, CodeProblem)
        # never quotes the payload (a short one may happen to be a word of the message)
        assert payload not in exc.detail or len(payload) < 20
    else:  # only a genuinely signed code can verify
        assert payload == issue(
            PARK,
            "park-2026",
            verified.person_id,
            verified.colour,
            verified.issued_at_s,
            verified.valid_until_s,
        )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(7)), st.integers(0, 200), st.characters())
def test_any_change_to_a_signed_code_is_refused(field: int, offset: int, char: str) -> None:
    fields = code().split("|")
    text = fields[field]
    at = offset % (len(text) + 1)
    fields[field] = text[:at] + char + text[at + 1 :]
    changed = "|".join(fields)
    if changed == code():
        return
    assert rejection(changed) in (
        CodeProblem.MALFORMED,
        CodeProblem.BAD_SIGNATURE,
        CodeProblem.UNKNOWN_ISSUER,
    )
