"""The security desk as the security staff use it, in Debian's headless Chromium: signing in and
the roles' rights; a gate on the simulator's rig flags a person over a real Mosquitto, the real
collector stores it and the desk shows it live with its alarm; a guard takes it, enters the
clinical reading, and the gate admits the person or sends them to the isolation room."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from simulator.broker import PrivateBroker
from simulator.crowd import SimPerson
from tests.support.centre_fixture import Publisher as GateLink
from tests.support.centre_fixture import wait_until
from tests.support.centre_messages import FakeGate
from tests.support.desk import (
    GATE,
    PASSWORDS,
    PLACE,
    ROOM,
    SEEN_MS,
    Centre,
    LiveGate,
    audit_entries,
    browser,
    centre_running,
    sign_in,
    signed_in,
)

__all__ = ["browser"]  # shared fixtures, taken by name

# every wait for the page may take long on a loaded machine: these tests time nothing
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> Iterator[Centre]:
    folder = tmp_path_factory.mktemp("centre")
    with centre_running(folder, broker, web={"language": "en", "login_attempts": 3}) as running:
        yield running


def sign_in_here(page: Page, user: str, password: str | None = None) -> None:
    """The sign-in form the page shows now, filled in."""
    page.fill("#user", user)
    page.fill("#password", password if password is not None else PASSWORDS[user])
    page.click("#sign-in")


# the texts of the elements matched by a selector that the browser laid out on several lines
BROKEN_OVER_LINES = """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
  return tops.size > 1;
}).map((el) => el.textContent)"""


def beeps(page: Page) -> int:
    """How many times the desk's alarm has sounded."""
    return int(page.locator("body").get_attribute("data-beeps") or 0)


def csrf_of(page: Page) -> str:
    return page.locator('input[name="csrf"]').first.get_attribute("value") or ""


# --- a gate on the simulator's rig, in step with the wall clock --------------------------------
def flagged_person(pid: str, arrival_s: float) -> SimPerson:
    # plainly hot at 19 °C: the absolute estimate (too few people yet) flags it
    return SimPerson(pid, arrival_s, 38.7, 19.0, "green", object_c=36.5, distance_cm=15.0)


@pytest.fixture
def live_gate(tmp_path: Path, broker: PrivateBroker) -> Iterator[LiveGate]:
    gate = LiveGate(tmp_path, broker, [flagged_person("A-hot", 0.0), flagged_person("B-hot", 6.0)])
    yield gate
    gate.close()


# --- signing in, and who may do what ---------------------------------------------------------
def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_name(
    browser: Browser, centre: Centre
) -> None:
    page = browser.new_page()
    sign_in(page, centre, "hana", "not her password")
    expect(page.locator("#login-problem")).to_have_text("Wrong user name or password")
    sign_in(page, centre, "nobody-here", "whatever")  # an unknown name says the same
    expect(page.locator("#login-problem")).to_have_text("Wrong user name or password")
    sign_in(page, centre, "hana", "still wrong")
    sign_in(page, centre, "hana", "wrong a third time")  # login_attempts = 3: locked
    expect(page.locator("#login-problem")).to_contain_text("Too many failed sign-ins")
    sign_in(page, centre, "hana")  # the right password, while locked: still refused
    expect(page.locator("#login-problem")).to_contain_text("Too many failed sign-ins")
    assert page.url.endswith("/login")
    actions = [action for action, _ in audit_entries(centre, "hana")]
    assert actions.count("login_failed") == 3 and "login_locked" in actions
    assert "login" not in actions
    page.close()


def test_a_viewer_sees_the_desk_but_cannot_resolve_and_the_attempt_is_recorded(
    browser: Browser, centre: Centre
) -> None:
    page = signed_in(browser, centre, "victor")
    expect(page.locator("#who")).to_have_text("Signed in as victor (viewer)")
    expect(page.locator("button.take, a.resolve, button.escort")).to_have_count(0)
    # a viewer who forges the guard's form anyway (with a valid session and CSRF token)
    refused = page.request.post(
        f"{centre.url}/desk/resolve",
        form={"csrf": csrf_of(page), "flag": "p1/g1/" + "f" * 32, "clinical_c": "36.8"},
        max_redirects=0,
    )
    assert refused.status == 403
    said = "Your role (viewer) may not enter a clinical reading; the attempt was recorded"
    assert said in refused.text()
    assert ("refused", "resolve: not allowed for viewer") in audit_entries(centre, "victor")
    assert page.request.get(f"{centre.url}/desk/resolve?flag=p1/g1/{'f' * 32}").status == 403
    refused = page.request.post(
        f"{centre.url}/commands/prepare",
        form={"csrf": csrf_of(page), "command": "lockdown", "target": "*", "on": "on",
              "reason": "drill"},
        max_redirects=0,
    )  # fmt: skip
    assert refused.status == 403
    assert not centre.store.command_results(50)  # nothing was sent
    page.close()


def test_a_name_with_a_bidi_character_at_sign_in_is_audited_escaped(
    browser: Browser, centre: Centre
) -> None:
    """A right-to-left override would show the audit line reversed (a forged name); it is
    written escaped, and signs nobody in."""
    page = browser.new_page()
    sign_in(page, centre, "anna\u202egnp.exe", PASSWORDS["anna"])
    expect(page.locator("#login-problem")).to_have_text("Wrong user name or password")
    users = [a.user for a in centre.store.audit_log(500)]
    assert "anna\\u202egnp.exe" in users
    assert not any("\u202e" in user for user in users)
    page.close()


def test_a_form_without_its_csrf_token_is_refused(browser: Browser, centre: Centre) -> None:
    page = signed_in(browser, centre, "anna")
    forged = page.request.post(
        f"{centre.url}/desk/take",
        form={"flag": "p1/g1/" + "f" * 32, "csrf": "0" * 64},
        max_redirects=0,
    )
    assert forged.status == 400
    assert ("refused", "/desk/take: no valid CSRF token") in audit_entries(centre, "anna")
    # a body bigger than any form, and a broken multipart body: refused, and the desk goes on
    huge = page.request.post(f"{centre.url}/desk/take", data=b"x" * 6_000_000, max_redirects=0)
    assert huge.status == 413
    broken = page.request.post(
        f"{centre.url}/commands/prepare",
        data=b"--x\r\nContent-Disposition: form-data\r\n\r\nno end",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        max_redirects=0,
    )
    assert broken.status == 400
    page.goto(f"{centre.url}/desk")
    expect(page.locator("#flags h2")).to_have_text("Alerts and secondary checks")
    page.close()


def test_a_session_ends_at_sign_out_and_when_it_expires(browser: Browser, centre: Centre) -> None:
    page = signed_in(browser, centre, "anna")
    cookie = next(c for c in page.context.cookies() if c["name"] == "centre_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    # a second tab on the desk: signing out in one ends the other's live page too
    other = browser.new_page()
    other.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    other.goto(f"{centre.url}/desk")
    page.click("#sign-out")
    expect(page).to_have_url(f"{centre.url}/login")
    expect(other).to_have_url(f"{centre.url}/login?expired=1")  # from the desk: back to it
    other.close()
    # the old cookie opens nothing any more
    page.context.add_cookies([cookie])  # type: ignore[list-item]
    page.goto(f"{centre.url}/desk")
    expect(page).to_have_url(f"{centre.url}/login?expired=1")
    expect(page.locator("#login-problem")).to_have_text(
        "Your session has ended. Please sign in again"
    )
    assert "logout" in [action for action, _ in audit_entries(centre, "anna")]
    # a session lasts web.session_hours: past that, the desk asks for a sign-in again
    sign_in(page, centre, "anna")
    expect(page).to_have_url(f"{centre.url}/desk")
    # off the live desk first: its stream would notice the expiry too and race the navigation
    page.goto("about:blank")
    web = centre.app.state.web
    hours = centre.config.web.session_hours
    real_now = web.now
    web.now = lambda: real_now() + dt.timedelta(hours=hours, minutes=1)
    try:
        page.goto(f"{centre.url}/board")
        expect(page).to_have_url(f"{centre.url}/login?expired=1&next=%2Fboard")
    finally:
        web.now = real_now
    sign_in_here(page, "anna")  # and back to the board once signed in again
    expect(page).to_have_url(f"{centre.url}/board")
    page.close()


def test_signing_in_returns_to_the_page_asked_for_and_never_to_another_site(
    browser: Browser, centre: Centre
) -> None:
    for asked in ["/board", "/records?gate=gate-x&decision=deny"]:
        page = browser.new_page()
        page.goto(f"{centre.url}{asked}")
        expect(page.locator("#sign-in")).to_be_visible()
        sign_in_here(page, "victor")
        expect(page).to_have_url(f"{centre.url}{asked}")
        page.close()
    # a wrong password first: the page asked for is still where the sign-in goes
    page = browser.new_page()
    page.goto(f"{centre.url}/audit")
    sign_in_here(page, "victor", "not his password")
    expect(page.locator("#login-problem")).to_have_text("Wrong user name or password")
    sign_in_here(page, "victor")
    expect(page).to_have_url(f"{centre.url}/audit")
    page.close()
    # a link to the sign-in that would send the guard on to another site lands on the desk
    for elsewhere in ["//evil.example/desk", "https://evil.example/", "/\\evil.example",
                      "\\\\evil.example", "/%09/evil.example", "javascript:alert(1)"]:  # fmt: skip
        page = browser.new_page()
        page.goto(f"{centre.url}/login?next={quote(elsewhere, safe='%')}")
        sign_in_here(page, "victor")
        expect(page).to_have_url(f"{centre.url}/desk")
        page.close()


# --- a flag from a real gate, live on the desk, resolved by a guard ---------------------------
def test_a_flag_appears_live_sounds_until_taken_and_a_fever_goes_to_the_isolation_room(
    browser: Browser, centre: Centre, live_gate: LiveGate
) -> None:
    page = signed_in(browser, centre, "anna")
    assert page.locator("#alarm-banner").count() == 0
    # person A walks up to the gate while the desk is open: flagged for a secondary check
    live_gate.run_until(lambda: len(live_gate.checks()) == 1)
    flag_id = live_gate.checks()[0]["event_id"]
    row = page.locator(f'tr.flag[data-flag="{flag_id}"]')
    expect(row).to_be_visible(timeout=SEEN_MS)  # no reload: the page follows the store
    expect(row.locator(".kind")).to_have_text("secondary check")
    expect(row.locator(".person")).to_have_text("A-hot")
    expect(row.locator(".gate")).to_have_text(GATE)
    expect(row.locator(".readings")).to_contain_text("screened")
    banner = page.locator("#alarm-banner")
    expect(banner).to_contain_text("1 alert(s) not taken")
    # the alarm sounds, again and again, until someone takes it
    expect(page.locator("body")).to_have_attribute("data-alarm", "on")
    wait_until(lambda: beeps(page) >= 2, SEEN_MS / 1000, "the alarm sounding")
    row.locator("button.take").click()
    expect(page.locator("#alarm-banner")).to_have_count(0, timeout=SEEN_MS)
    expect(row.locator(".taken")).to_have_text("taken by anna")
    sounded = beeps(page)
    page.wait_for_timeout(2500)  # longer than the alarm's period
    assert beeps(page) == sounded

    # the guard measures: a typo and an impossible reading are refused with a clear message
    row.locator("a.resolve").click()
    expect(page.locator("#resolve-person")).to_have_text("A-hot")
    page.fill("#clinical_c", "38,x")
    page.click("#send-reading")
    expect(page.locator("#resolve-problem")).to_have_text(
        "The clinical reading must be a number, e.g. 36.8"
    )
    page.fill("#clinical_c", "33.1")
    page.click("#send-reading")
    expect(page.locator("#resolve-problem")).to_have_text(
        "The clinical reading must be between 34 and 43 °C"
    )
    assert not centre.store.command_results(50)  # nothing went to the gate
    page.fill("#clinical_c", "38.6")
    page.click("#send-reading")
    expect(page).to_have_url(f"{centre.url}/desk")
    receipt = page.locator(f'.receipt[data-flag="{flag_id}"]')
    expect(receipt).to_have_text("Sent (fever); waiting for the gate to confirm")

    # the gate takes the signed command and sends the person to the isolation room: the desk
    # says so as soon as the gate's answer is stored, without a reload
    live_gate.run_until(lambda: ("fever_confirmed", "anna") in live_gate.steps(flag_id))
    assert live_gate.relay_pulses() == 0  # never through the turnstile
    expect(receipt).to_have_text(
        f"Gate {GATE} confirmed: A-hot, fever confirmed, awaiting escort", timeout=SEEN_MS
    )
    expect(row).to_have_attribute("data-state", "fever_confirmed", timeout=SEEN_MS)
    expect(row.locator(".isolation")).to_have_text(f"{ROOM} ({PLACE})")
    expect(row.locator(".readings .clinical")).to_have_text("clinical 38.6 °C")
    # a confirmed fever is no new alarm: the guard who measured has it
    expect(row).not_to_have_attribute("data-alarm", "1")

    # the person is escorted: the flag leaves the open list for the outcomes
    expect(row.locator("button.escort")).to_have_text("Mark as escorted to the isolation room")
    row.locator("button.escort").click()
    closed = page.locator(f'tr.closed-flag[data-flag="{flag_id}"]')
    expect(closed).to_have_attribute("data-state", "escorted", timeout=SEEN_MS)
    expect(closed).to_contain_text("escorted by anna")
    expect(row).to_have_count(0)
    (command,) = centre.store.command_results(50)
    assert (command.name, command.gate, command.issued_by, command.outcome) == (
        "resolve_secondary",
        GATE,
        "anna",
        "done",
    )
    actions = [action for action, _ in audit_entries(centre, "anna")]
    assert {"take", "command", "escort"} <= set(actions)

    # person B: a normal clinical reading, and the gate lets them through
    live_gate.run_until(lambda: len(live_gate.checks()) == 2)
    second = live_gate.checks()[1]["event_id"]
    row = page.locator(f'tr.flag[data-flag="{second}"]')
    expect(row).to_be_visible(timeout=SEEN_MS)
    row.locator("a.resolve").click()
    page.fill("#clinical_c", "36.8")
    page.click("#send-reading")
    receipt = page.locator(f'.receipt[data-flag="{second}"]')
    expect(receipt).to_have_text("Sent (normal); waiting for the gate to confirm")
    live_gate.run_until(lambda: live_gate.relay_pulses() == 1)
    assert live_gate.steps(second)[-1] == ("admitted_by_staff", "anna")
    expect(receipt).to_have_text(f"Gate {GATE} confirmed: B-hot, admitted", timeout=SEEN_MS)
    closed = page.locator(f'tr.closed-flag[data-flag="{second}"]')
    expect(closed).to_have_attribute("data-state", "admitted", timeout=SEEN_MS)
    expect(closed).to_contain_text("clinical 36.8 °C")
    # the commands page says what the gate did with each reading, in words
    page.goto(f"{centre.url}/commands")
    answers = page.locator('#results tr[data-command="resolve_secondary"] .detail')
    expect(answers).to_have_text(
        ["Normal reading: let through", "Fever confirmed: sent to the isolation room"]
    )
    page.close()


def test_the_banner_counts_and_names_the_same_alerts_and_a_guards_fever_does_not_sound(
    browser: Browser, tmp_path: Path, broker: PrivateBroker
) -> None:
    with centre_running(tmp_path, broker, park="banner-park", web={"language": "en"}) as here:
        gate = FakeGate("gate-1", park="banner-park")
        now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
        flagged = [gate.flagged(now, person_id=f"W{n:04d}") for n in range(5)]
        fever_row = flagged[4][0]
        # four waiting for a guard; the fifth measured by a guard at the gate, who found a
        # fever: the gate sent the person to the isolation room
        messages = [m for _, pair in flagged for m in pair]
        messages.append(gate.fever(fever_row.event_id, now, person_id="W0004"))
        link = GateLink(broker.port)
        try:
            link.publish(messages)
        finally:
            link.close()
        fever_ref = f"banner-park/gate-1/{fever_row.event_id}"
        wait_until(lambda: getattr(here.store.flag(fever_ref), "state", "")
                   == "fever_confirmed", what="the fever")  # fmt: skip
        page = signed_in(browser, here, "anna")
        banner = page.locator("#alarm-banner")
        expect(banner.locator("strong")).to_have_text("4 alert(s) not taken")
        named = banner.locator(".alarm-item")
        expect(named).to_have_count(4)
        assert {item.get_attribute("data-flag") for item in named.all()} == {
            row.event_id for row, _ in flagged[:4]
        }
        # the guard's fever is handled: awaiting the escort, no alarm of its own, no Take
        fever = page.locator(f'tr.flag[data-flag="{fever_row.event_id}"]')
        expect(fever.locator(".state")).to_contain_text("fever confirmed, awaiting escort")
        expect(fever).not_to_have_attribute("data-alarm", "1")
        expect(fever.locator("button.take")).to_have_count(0)
        expect(fever.locator("button.escort")).to_be_visible()
        # on a narrow screen the columns squeeze, but an id, a reading or a time stays whole
        page.set_viewport_size({"width": 640, "height": 900})
        cells = "#flags td.gate, #flags td.person, #flags .readings span, #checks td.time, "
        cells += "#checks td.gate, #checks td.person, #checks td.temp"
        assert page.locator(cells).count() >= 20
        assert page.evaluate(BROKEN_OVER_LINES, cells) == []
        page.set_viewport_size({"width": 1280, "height": 900})
        for row, _ in flagged[:4]:
            page.locator(f'tr.flag[data-flag="{row.event_id}"] button.take').click()
        expect(banner).to_have_count(0, timeout=SEEN_MS)
        expect(page.locator("body")).to_have_attribute("data-alarm", "off")
        sounded = beeps(page)
        page.wait_for_timeout(2500)  # longer than the alarm's period: the fever stays quiet
        assert beeps(page) == sounded
        page.close()


def test_a_read_only_centre_in_chinese_behind_tls(
    browser: Browser, tmp_path: Path, broker: PrivateBroker
) -> None:
    with centre_running(
        tmp_path, broker, commands=False, web={"language": "zh", "behind_tls": True}
    ) as chinese:
        page = signed_in(browser, chinese, "hana")
        cookie = next(c for c in page.context.cookies() if c["name"] == "centre_session")
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        expect(page.locator("#who")).to_have_text("当前用户：hana（防疫专员）")  # noqa: RUF001
        expect(page.locator("#flags h2")).to_have_text("警报与复检")
        # no key to sign commands with: nobody is offered them, and a forged one is refused
        page.goto(f"{chinese.url}/commands")
        expect(page.locator("#command-forms")).to_have_count(0)
        forged = page.request.post(
            f"{chinese.url}/desk/resolve",
            form={"csrf": csrf_of(page), "flag": "p1/g1/" + "f" * 32, "clinical_c": "36.8"},
            max_redirects=0,
        )
        assert forged.status == 403
        page.close()
