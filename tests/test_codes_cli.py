"""The health office's tools, as it types them: keygen, issue, verify."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import cv2
import pytest

from drivers.qr import ZxingDecoder
from tests.conftest import example_gate_config, example_gate_config_text
from tests.support.cli import run

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    done = run("codes", "keygen", "--out", str(tmp_path / "keys"), "--key-id", "park-2026")
    assert done.returncode == 0, done.stderr
    return tmp_path / "keys"


def gate_config_trusting(keys: Path, folder: Path) -> Path:
    """The example gate config, trusting the key pair made by keygen."""
    public = (keys / "park-2026.pub").read_text().strip()
    text = example_gate_config_text()
    start = text.index("[[healthcode.issuers]]")
    end = text.index("[healthcode.replay]")
    issuer = f'[[healthcode.issuers]]\nkey_id = "park-2026"\npublic_key = "{public}"\n\n'
    return example_gate_config(folder, text[:start] + issuer + text[end:])


def test_keygen_keeps_the_private_key_to_its_owner_and_prints_the_gate_config(
    keys: Path,
) -> None:
    private = keys / "park-2026.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes()
    assert "PRIVATE" not in (keys / "park-2026.pub").read_text()
    again = run("codes", "keygen", "--out", str(keys), "--key-id", "park-2026")
    assert again.returncode == 2 and "never overwritten" in again.stderr


def test_an_issued_code_verifies_against_a_gate_config_that_trusts_the_key(
    keys: Path, tmp_path: Path
) -> None:
    made = run(
        "codes", "issue", "--person", "W0001", "--colour", "yellow", "--valid", "8h",
        "--key", str(keys / "park-2026.key"), "--png", str(tmp_path / "w1.png"),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    payload = made.stdout.strip()
    assert payload.startswith("HC2|park-2026|W0001|yellow|")
    config = gate_config_trusting(keys, tmp_path)
    checked = run("codes", "verify", payload, "--config", str(config))
    assert checked.returncode == 0, checked.stderr
    assert "valid: W0001 yellow, issuer HC2/park-2026" in checked.stdout
    # the PNG is a code a gate's camera reads back to the same payload
    image = cv2.imread(str(tmp_path / "w1.png"))
    assert ZxingDecoder().scan(image).texts == [payload]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p.replace("|yellow|", "|green|"), "code_bad_signature"),
        (lambda p: p.replace("park-2026", "park-2025"), "code_unknown_issuer"),
        (lambda p: "HC1|P0|green|1|é", "code_malformed"),
        (lambda p: "\udcff\udcfe", "code_malformed"),  # bytes that are not UTF-8, as argv has them
    ],
)
def test_verify_refuses_with_the_reason_on_stderr_never_a_traceback(
    keys: Path, tmp_path: Path, change, reason: str
) -> None:
    made = run(
        "codes", "issue", "--person", "W0001", "--colour", "yellow",
        "--key", str(keys / "park-2026.key"),
    )  # fmt: skip
    config = gate_config_trusting(keys, tmp_path)
    payload = change(made.stdout.strip())
    checked = run("codes", "verify", payload, "--config", str(config))
    assert checked.returncode == 1
    assert f"refused: {reason}" in checked.stderr and "Traceback" not in checked.stderr


def test_one_png_per_person_on_a_roster(keys: Path, tmp_path: Path) -> None:
    roster = tmp_path / "workers.csv"
    # an Excel export: byte-order mark, other columns around the id
    roster.write_text(
        "\ufeffname,person_id,department\n张三,W0001,assembly\nLi Si,W0002,paint\n",
        encoding="utf-8",
    )
    out = tmp_path / "codes"
    done = run(
        "codes", "issue", "--roster", str(roster), "--key", str(keys / "park-2026.key"),
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 codes (green, key park-2026)" in done.stdout
    decoder = ZxingDecoder()
    for person in ("W0001", "W0002"):
        (text,) = decoder.scan(cv2.imread(str(out / f"{person}.png"))).texts
        assert text.startswith(f"HC2|park-2026|{person}|green|")


def test_a_roster_with_an_id_no_code_can_carry_names_the_line(keys: Path, tmp_path: Path) -> None:
    roster = tmp_path / "workers.csv"
    roster.write_text("person_id\nW0001\nW|0002\n", encoding="utf-8")
    done = run(
        "codes", "issue", "--roster", str(roster), "--key", str(keys / "park-2026.key"),
        "--out", str(tmp_path / "codes"),
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{roster}:3: person_id:" in done.stderr
    assert not (tmp_path / "codes").exists()  # nothing issued from a bad file


def test_a_public_key_given_as_the_issuing_key_is_refused(keys: Path) -> None:
    done = run(
        "codes", "issue", "--person", "W0001", "--key", str(keys / "park-2026.pub"),
        "--key-id", "park-2026",
    )  # fmt: skip
    assert done.returncode == 2 and "not a PEM private key" in done.stderr


def test_a_gate_config_holding_the_private_key_is_refused(keys: Path, tmp_path: Path) -> None:
    private = (keys / "park-2026.key").read_text().strip().replace("\n", "\\n")
    text = gate_config_trusting(keys, tmp_path).read_text()
    public = (keys / "park-2026.pub").read_text().strip()
    config = example_gate_config(tmp_path, text.replace(public, private))
    done = run("codes", "verify", "HC2|x", "--config", str(config))
    assert done.returncode == 2
    assert "public_key: Value error, this is a private key" in done.stderr


def test_a_vehicle_permit_made_with_a_keygen_key_verifies_at_a_vehicle_gate(
    keys: Path, tmp_path: Path
) -> None:
    from terminal.codes.healthcode import parse_public_key
    from terminal.codes.permits import PermitVerifier

    made = run(
        "codes", "permit", "--plate", "粤b·d12345", "--purpose", "delivers the canteen's rice",
        "--driver", "DRV1", "--valid", "2h", "--key", str(keys / "park-2026.key"),
        "--png", str(tmp_path / "permit.png"),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    payload = made.stdout.strip()
    image = cv2.imread(str(tmp_path / "permit.png"))
    assert ZxingDecoder().scan(image).texts == [payload]
    public = parse_public_key((keys / "park-2026.pub").read_text())
    permit = PermitVerifier({"park-2026": public}).verify(payload, time.time())
    assert (permit.plate, permit.driver) == ("粤BD12345", "DRV1")
    assert permit.purpose == "delivers the canteen's rice"
    bad = run("codes", "permit", "--plate", "粤B12", "--purpose", "x",
              "--key", str(keys / "park-2026.key"))  # fmt: skip
    assert bad.returncode == 2 and "plate: not a Chinese licence plate" in bad.stderr


@pytest.mark.parametrize(
    "tool",
    [
        ("codes", "issue", "--person", "W0001", "--key-id", "park-2026"),
        ("command", "sign", "--name", "lockdown", "--payload", '{"on": true}', "--park", "p1",
         "--gate", "g1", "--key-id", "centre", "--by", "officer"),
    ],
)  # fmt: skip
def test_a_fifo_or_a_device_as_the_signing_key_is_refused_without_waiting(
    tool: tuple[str, ...], tmp_path: Path
) -> None:
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    for key in (fifo, Path("/dev/zero")):
        done = run(*tool, "--key", str(key), timeout=30)  # a FIFO read would wait for ever
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "not a regular file" in done.stderr, done.stderr


def test_an_id_no_code_can_carry_is_explained_in_words(keys: Path, tmp_path: Path) -> None:
    done = run("codes", "issue", "--person", "张三", "--key", str(keys / "park-2026.key"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "gate-terminal: --person: '张三' is not an id: an id is 1 to 64 letters (A-Z, a-z, no "
        "accents or Chinese characters), digits, '.', '_' or '-', starting with a letter or digit\n"
    )
    roster = tmp_path / "workers.csv"
    roster.write_text("person_id\nW 1\n", encoding="utf-8")
    done = run("codes", "issue", "--roster", str(roster), "--key", str(keys / "park-2026.key"),
               "--out", str(tmp_path / "codes"))  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"gate-terminal: {roster}:2: person_id: 'W 1' is not an id: ")
    driver = run("codes", "permit", "--plate", "粤BD12345", "--purpose", "x", "--driver", "张三",
                 "--key", str(keys / "park-2026.key"))  # fmt: skip
    assert driver.returncode == 2 and "'张三' is not an id: an id is 1 to 64" in driver.stderr
    for answer in (done, driver):
        assert "^[" not in answer.stderr and answer.stderr.count("\n") == 1


def test_a_roster_in_another_encoding_is_read_when_named(keys: Path, tmp_path: Path) -> None:
    roster = tmp_path / "workers.csv"
    roster.write_bytes("person_id,name\nW0001,王芳\nW0002,李四\n".encode("gb18030"))
    issue = ["codes", "issue", "--roster", str(roster), "--key", str(keys / "park-2026.key"),
             "--out", str(tmp_path / "codes")]  # fmt: skip
    done = run(*issue)
    assert done.returncode == 2
    assert done.stderr.startswith(f"gate-terminal: {roster}:2: roster is not UTF-8 text: pass ")
    assert "--encoding (gb18030" in done.stderr
    unknown = run(*issue, "--encoding", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("gate-terminal: --encoding: unknown encoding 'nope'")
    done = run(*issue, "--encoding", "gb18030")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "codes").iterdir()) == ["W0001.png", "W0002.png"]
