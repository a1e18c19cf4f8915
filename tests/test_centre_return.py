"""Where the centre's sign-in returns to: the page asked for, and never another site, however
the ``next`` parameter is spelled."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from terminal.centre.web.returnto import HOME, login_path, safe_next

CENTRE = "https://centre.park.example/login"
ELSEWHERE = [
    "//evil.example/desk", "///evil.example", "https://evil.example/", "http:/evil.example",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\t/evil.example",
    "/\n/evil.example", "/ /evil.example", "javascript:alert(1)", "evil.example/desk",
    "data:text/html,x", "/desk#//evil", "/\u3000/evil.example", "", "/login", "/logout",
    "/login?next=//evil.example",
]  # fmt: skip


def test_a_page_of_the_centre_is_returned_to() -> None:
    for path in ["/board", "/records?gate=gate-n&decision=deny", "/records/vehicles", "/audit",
                 "/commands", "/desk/resolve?id=abc"]:  # fmt: skip
        assert safe_next(path) == path


def test_another_site_or_a_spelling_a_browser_bends_lands_on_the_desk() -> None:
    for raw in ELSEWHERE:
        assert safe_next(raw) == HOME, repr(raw)


@given(st.text(max_size=40))
def test_whatever_next_says_the_browser_stays_on_the_centre(raw: str) -> None:
    target = safe_next(raw)
    assert target.startswith("/") and not target.startswith("//") and "\\" not in target
    assert all(c.isprintable() and not c.isspace() for c in target)
    assert urlsplit(urljoin(CENTRE, target)).netloc == "centre.park.example"


def test_the_way_to_the_sign_in_carries_the_page_asked_for() -> None:
    assert login_path("/records?gate=g1") == "/login?next=%2Frecords%3Fgate%3Dg1"
    assert login_path("/board", expired=True) == "/login?expired=1&next=%2Fboard"
    assert login_path("/desk") == "/login"
    assert login_path("//evil.example") == "/login"
