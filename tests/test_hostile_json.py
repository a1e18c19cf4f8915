"""What a zone's other gates send (passages, statuses) is JSON from outside: a message that no JSON
reader should take (a number too long for Python's int conversion, NaN or Infinity, nesting deep
enough for a RecursionError, bytes that are no UTF-8, a lone surrogate, a key given twice) is
ignored with one log line saying why, and never counts a person nor holds a place."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.common.strictjson import JsonRefused, loads
from terminal.link.topics import GateTopics, Messages
from terminal.link.zonelink import ZoneLink
from terminal.record.store import PassageRow, Record
from terminal.state import GateState
from tests.support.zone_peers import zone_gate

NOW = 1_795_000_000.0
WINDOW = '"window_s":30.0'


def peer_passage(admission_id: str = "adm-0001-peer") -> tuple[str, str]:
    """The topic and JSON of a waiting passage gate hall-out sends its zone's peers."""
    messages = Messages("test-park", "hall-out", boot_id="boot-peer-1", timezone="Asia/Shanghai")
    row = PassageRow(admission_id, "check", "W0001", NOW, 30.0, "waiting", zone="hall")
    message = messages.passage(row, NOW)
    assert WINDOW in message.payload
    return message.topic, message.payload


@pytest.fixture
def link(tmp_path: Path) -> ZoneLink:
    own = zone_gate(tmp_path, "hall-in")
    return ZoneLink(own, Record(own.resolved(own.record.path)), GateState("low"), lambda: None)


HOSTILE_WINDOWS = {
    "a 100,000-digit integer": ("9" * 100_000, "a number of more than 40 characters"),
    "NaN": ("NaN", "NaN is not a JSON number"),
    "Infinity": ("Infinity", "Infinity is not a JSON number"),
    "a float beyond its range": ("1e999", "a number out of range"),
    "nesting 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested deeper than 32 levels"),
    "nesting 40 deep": ("[" * 40 + "30.0" + "]" * 40, "nested deeper than 32 levels"),
    "a lone surrogate": (
        '"\\udc80"',
        "a text holds a lone surrogate (\\ud800 to \\udfff), no UTF-8",
    ),
    "a key twice": ('30.0,"window_s":30.0', "an object gives a key twice"),
}


@pytest.mark.parametrize("hostile", list(HOSTILE_WINDOWS))
def test_a_peer_passage_no_json_reader_should_take_is_ignored_saying_why(
    link: ZoneLink, caplog: pytest.LogCaptureFixture, hostile: str
) -> None:
    window, reason = HOSTILE_WINDOWS[hostile]
    topic, payload = peer_passage()
    with caplog.at_level(logging.WARNING, "terminal.link.zonelink"):
        assert not link.apply(topic, payload.replace(WINDOW, f'"window_s":{window}').encode(), NOW)
    assert caplog.messages == [f"ignored a passage from gate hall-out: {reason}"]
    assert link.reserved(NOW + 86_400) == 0  # no place held for anyone, ever
    assert link.apply(topic, payload.encode(), NOW)  # the genuine one is still taken
    assert link.reserved(NOW + 1) == 1


def test_a_peer_passage_with_bytes_that_are_no_utf8_is_ignored_naming_the_byte(
    link: ZoneLink, caplog: pytest.LogCaptureFixture
) -> None:
    topic, payload = peer_passage()
    raw = payload.encode().replace(b'"W0001"', b'"W\xff001"')
    with caplog.at_level(logging.WARNING, "terminal.link.zonelink"):
        assert not link.apply(topic, raw, NOW)
    at = raw.index(b"\xff")
    assert caplog.messages == [f"ignored a passage from gate hall-out: not UTF-8 (byte {at})"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"schema": "gate.status/1", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"schema": "gate.status/1", "backlog": ' + b"9" * 100_000 + b"}",
        b'{"schema": "gate.status/1", "boot_id": "\\ud800"}',
        b'{"schema": "gate.status/1", "state": "lost\xff"}',
    ],
)
def test_a_peer_status_no_json_reader_should_take_is_ignored(
    link: ZoneLink, caplog: pytest.LogCaptureFixture, raw: bytes
) -> None:
    with caplog.at_level(logging.WARNING, "terminal.link.zonelink"):
        assert not link.apply(GateTopics("test-park", "hall-out").status, raw, NOW)
    assert caplog.messages == ["ignored a status on gate hall-out's topic: not a valid status"]
    assert link.lost_peers == {}


def test_json_from_outside_is_a_value_or_one_line_refusal() -> None:
    assert loads(b'{"a": [1, 2.5, "\\u00e9", null, true]}') == {"a": [1, 2.5, "é", None, True]}
    nested_32 = b"[" * 32 + b"]" * 32
    assert loads(nested_32) is not None  # as deep as a message may be
    with pytest.raises(JsonRefused, match=r"^nested deeper than 32 levels$"):
        loads(b"[" + nested_32 + b"]")
    with pytest.raises(JsonRefused, match=r"^not JSON \(Expecting value at character 0\)$"):
        loads(b"")
    assert json.loads("1" * 40) == loads(b"1" * 40)  # the longest number taken


json_ish = st.one_of(
    st.binary(max_size=2000),
    st.text(alphabet='[]{}",:0123456789.eE+-\\u NaInfityrulsl\ud800\x00', max_size=400).map(
        lambda text: text.encode("utf-8", "surrogatepass")
    ),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=40,
    ).map(lambda value: json.dumps(value).encode()),
)


@settings(max_examples=1000, deadline=None)
@given(json_ish)
def test_any_bytes_are_a_value_or_a_refusal(raw: bytes) -> None:
    try:
        value = loads(raw)
    except JsonRefused as exc:
        assert "\n" not in str(exc)
    else:  # what is taken is plain JSON, written back as it was read
        assert json.loads(json.dumps(value, allow_nan=False)) == value
