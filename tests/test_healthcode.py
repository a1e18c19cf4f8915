from __future__ import annotations

import pytest

from terminal.healthcode import Colour, InvalidHealthCode, issue, verify

KEY = b"park-key-0123456789abcdef"
NOW = 1_763_856_000.0
DAY = 86_400.0


def test_a_code_issued_by_the_park_verifies() -> None:
    code = verify(issue(KEY, "W0001", "yellow", NOW - 600), KEY, NOW, DAY)
    assert (code.person_id, code.colour) == ("W0001", Colour.YELLOW)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("https://example.com/menu", "not a health code"),
        ("HC1|W0001|green|1763855400", "not a health code"),
        (issue(KEY, "W0001", "red", NOW).replace("red", "green"), "forged"),
        (issue(b"another-park-key-00000000", "W0001", "green", NOW), "forged"),
        (issue(KEY, "W0001", "green", NOW - 2 * DAY), "expired"),
        (issue(KEY, "W0001", "green", NOW + 3600), "future"),
    ],
    ids=["foreign", "untagged", "colour-edited", "other-park", "expired", "future"],
)
def test_invalid_codes_are_refused(payload: str, problem: str) -> None:
    with pytest.raises(InvalidHealthCode, match=problem):
        verify(payload, KEY, NOW, DAY)


def test_person_id_with_separator_cannot_be_issued() -> None:
    with pytest.raises(ValueError):
        issue(KEY, "W|0001", "green", NOW)
