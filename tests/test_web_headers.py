"""Every answer of the centre's web application and of the worker's display carries the security
headers, whatever made it: a page, a redirect to the sign-in, a static file, a page that does not
exist, a method a page does not take, a fault of the application; and the display's page still
works under its own policy in Debian's headless Chromium."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from simulator.broker import PrivateBroker
from terminal.centre.running import WebServer
from terminal.centre.store import open_store
from terminal.centre.web.app import build_app
from terminal.display.server import build_app as build_display_app
from terminal.state import GateState
from tests.support.centre_fixture import centre_config
from tests.support.display_pages import board_for, browser, display_config, serve

__all__ = ["browser"]  # the display tests' browser
SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
            "Referrer-Policy")  # fmt: skip


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def ask(base_url: str, method: str, path: str) -> Answer:
    """One request, redirects not followed."""
    where = urlsplit(base_url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def assert_secured(answer: Answer, what: str) -> None:
    for name in SECURITY:
        assert name.lower() in answer.headers, f"{what}: no {name}"
    assert answer.headers["x-content-type-options"] == "nosniff", what
    assert answer.headers["x-frame-options"] == "DENY", what
    assert answer.headers["referrer-policy"] == "no-referrer", what
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], what


@pytest.fixture
def centre_url(tmp_path: Path, broker: PrivateBroker) -> Iterator[str]:
    config = centre_config(tmp_path, broker.port, commands=False, web={"language": "en"})
    store = open_store(config.database_url(), config.board_settings())
    app = build_app(store, config, None)

    async def fault(request: object) -> None:
        raise RuntimeError("a bug of the centre")

    app.add_route("/fault", fault)  # what a bug in any page would do
    server = WebServer(app, "127.0.0.1", 0)
    server.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.stop()
        store.close()


def test_every_kind_of_answer_of_the_centre_carries_the_security_headers(centre_url: str) -> None:
    page = ask(centre_url, "GET", "/login")
    assert page.status == 200
    assert_secured(page, "the sign-in page")
    redirect = ask(centre_url, "GET", "/board")
    assert (redirect.status, redirect.headers["location"].split("?")[0]) == (303, "/login")
    assert_secured(redirect, "the redirect to the sign-in")
    static = ask(centre_url, "GET", "/static/centre.css")
    assert static.status == 200 and "box-sizing" in static.body
    assert_secured(static, "a static file")
    missing = ask(centre_url, "GET", "/no-such-page")
    assert missing.status == 404 and "Not found" in missing.body
    assert_secured(missing, "a page that does not exist")
    assert_secured(ask(centre_url, "GET", "/static/no-such.css"), "a static file that is not")
    wrong_method = ask(centre_url, "DELETE", "/login")
    assert wrong_method.status == 405 and "GET" in wrong_method.headers["allow"]
    assert_secured(wrong_method, "a method the page does not take")
    fault = ask(centre_url, "GET", "/fault")
    assert fault.status == 500
    assert "The centre hit a fault" in fault.body and "RuntimeError" not in fault.body
    assert_secured(fault, "the page of a fault")


def test_every_answer_of_the_display_carries_the_security_headers(tmp_path: Path) -> None:
    config = display_config(tmp_path, "en")
    app = build_display_app(board_for(config, GateState(risk_tier="low")), threading.Event())
    server = WebServer(app, "127.0.0.1", 0)
    server.start()
    try:
        url = server.url.rstrip("/")
        for path in ("/", "/screen", "/no-such-page"):
            assert_secured(ask(url, "GET", path), f"the display's {path}")
        assert_secured(ask(url, "POST", "/"), "the display's 405")
        policy = ask(url, "GET", "/").headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy and "'sha256-" in policy
    finally:
        server.stop()


def test_the_display_page_works_under_its_own_policy(browser: Browser, tmp_path: Path) -> None:
    config = display_config(tmp_path, "en")
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    server = serve(board_for(config, GateState(risk_tier="low")), config, page)
    try:
        # the inline script ran (it fills the headline) and the inline style applied
        expect(page.locator("#headline")).to_have_text("Show your health code")
        # the inline style's colour, once its 120 ms transition has run
        expect(page.locator("body")).to_have_css("background-color", "rgb(18, 53, 91)")
        assert not [text for text in refused if "Content Security Policy" in text]
    finally:
        server.stop()
        page.close()
