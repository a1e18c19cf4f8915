"""The records' search as a new user types it: the reasons in the words the table shows (Chinese
or English, a part of one), a person or a gate in any case (on SQLite and on a real PostgreSQL,
an index behind each), fevers and flags with their clinical readings, in the search and in the
CSV, times in the park's zone with its offset, and the audit log of who looked."""

from __future__ import annotations

import csv
import datetime as dt
import http.client
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest

from terminal.centre.running import WebServer
from terminal.centre.store import CheckQuery, Store, open_store
from terminal.centre.web import auth
from terminal.centre.web.app import build_app
from terminal.centre.web.board import QueryProblem, parse_query
from tests.support.centre_fixture import centre_config
from tests.support.centre_messages import FakeGate
from tests.support.centre_store import MORNING, feed, store
from tests.support.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)

__all__ = ["store"]  # shared fixtures, taken by name


# --- the words of the table ---------------------------------------------------------------------
def test_a_reason_is_found_by_the_words_the_table_shows_in_either_language() -> None:
    for typed, reasons in [
        ("secondary check", ("secondary_check",)),  # as the table shows it
        ("  Secondary   CHECK ", ("secondary_check",)),
        ("secondary", ("secondary_check",)),  # a part, naming one reason
        ("需复检", ("secondary_check",)),
        ("red code", ("code_red",)),
        ("红码", ("code_red",)),
        ("code_red", ("code_red",)),  # the gate's own word still works
        ("核酸", ("nat_missing", "nat_expired", "nat_positive")),  # a part naming several
        ("nucleic-acid", ("nat_missing", "nat_expired", "nat_positive")),
    ]:
        assert parse_query({"reason": typed}).reasons == reasons, typed
    # a whole word names its own reason, not every reason it is a part of
    assert parse_query({"reason": "fever"}).reasons == ("fever",)
    assert parse_query({"decision": "拒绝"}).decision == "deny"
    assert parse_query({"decision": " Admit "}).decision == "admit"


def test_a_word_that_names_no_reason_lists_the_words_there_are_in_the_pages_language() -> None:
    with pytest.raises(QueryProblem) as english:
        parse_query({"reason": "sneezing"}, "en")
    said = str(english.value)
    assert said.startswith("reason: no reason is called “sneezing”; the reasons are: ")
    assert "secondary check" in said and "red code" in said and "secondary_check" not in said
    with pytest.raises(QueryProblem) as chinese:
        parse_query({"reason": "打喷嚏"}, "zh")
    assert "没有“打喷嚏”这个原因" in str(chinese.value) and "需复检" in str(chinese.value)
    with pytest.raises(QueryProblem, match="the decisions are: admit, deny"):
        parse_query({"decision": "maybe"}, "en")


# --- on both stores -----------------------------------------------------------------------------
def test_a_person_and_a_gate_are_found_whatever_the_case_they_are_typed_in(store: Store) -> None:
    north, south = FakeGate("Gate-N"), FakeGate("gate-s")
    feed(store, north.check(MORNING, person_id="W0101"))
    feed(store, north.check(MORNING + timedelta(minutes=1), person_id="w0101x"))
    feed(store, south.check(MORNING, person_id="V0032"))
    assert [c.person_id for c in store.checks(CheckQuery(person_id="w0101"))] == ["W0101"]
    assert [c.person_id for c in store.checks(CheckQuery(person_id="W0101X"))] == ["w0101x"]
    assert [c.person_id for c in store.checks(CheckQuery(person_id="v0032"))] == ["V0032"]
    assert {c.gate for c in store.checks(CheckQuery(gate="GATE-n"))} == {"Gate-N"}
    exported = list(store.iter_checks(CheckQuery(gate="gate-n", person_id="W0101X")))
    assert [c.person_id for c in exported] == ["w0101x"]
    # answered from an index: read in the database's own plan, never by a stopwatch
    database = store._db  # the plan of the statement the search runs, on this database
    where = "SELECT event_id FROM checks WHERE lower(person_id) = ? ORDER BY occurred_s DESC"
    if "postgresql" in store.url:
        database.execute("SET LOCAL enable_seqscan = off")  # a tiny table: force the choice
        plan = " ".join(r[0] for r in database.query(f"EXPLAIN {where}", ("w0101",)))
    else:
        plan = " ".join(str(r[-1]) for r in database.query(f"EXPLAIN QUERY PLAN {where}", ("x",)))
    database.rollback()
    assert "checks_person_nocase" in plan, plan


def test_fevers_and_flags_are_found_with_their_clinical_readings(store: Store) -> None:
    gate = FakeGate("g1")
    feed(store, gate.check(MORNING, person_id="W0001"))
    fever_row, raised = gate.screened_flag(MORNING, person_id="W0002", object_c=35.4)
    for message in [*raised, gate.fever(fever_row.event_id, MORNING, clinical_c=38.4)]:
        feed(store, message)
    normal_row, raised = gate.flagged(MORNING + timedelta(minutes=2), person_id="W0005")
    for message in [*raised, gate.resolved(normal_row.event_id, MORNING, "admitted", 36.7)]:
        feed(store, message)
    rest_id, rested = gate.told_to_rest(MORNING, person_id="W0003")
    feed(store, rested)
    feed(store, gate.not_returned(rest_id, MORNING + timedelta(minutes=10), "W0003"))

    flagged = {c.person_id: c for c in store.checks(CheckQuery(flagged=True))}
    assert set(flagged) == {"W0002", "W0005"}  # not the plain check, nor a rest not followed
    fever = flagged["W0002"]
    assert (fever.screened_c, fever.estimated_core_c, fever.clinical_c) == (35.4, 37.7, 38.4)
    assert (fever.flag, fever.outcome, fever.checked_by) == ("fever", "fever_confirmed", "g7")
    assert (fever.went_to, fever.isolation_room) == ("isolation_room", "Room 3")
    normal = flagged["W0005"]
    assert (normal.clinical_c, normal.outcome) == (36.7, "admitted")
    # every check still comes, the flag's columns on the one that raised it
    every = {c.person_id: c for c in store.iter_checks(CheckQuery())}
    assert every["W0001"].flag is None and every["W0002"].clinical_c == 38.4


def test_where_a_flagged_person_went_follows_the_outcome_and_their_passage(store: Store) -> None:
    """As the printed record says it: admitted by staff and through the gate, admitted and
    turned back within the passage window, admitted with no passage heard, refused (home),
    still at the secondary check, and a red code sent straight to the named isolation room."""
    gate = FakeGate("g1")
    resolved = MORNING + timedelta(minutes=5)
    for n, (person, outcome, passage) in enumerate([
        ("W-through", "admitted", "passed"),
        ("W-back", "admitted", "not_passed"),
        ("W-nopassage", "admitted", None),
        ("W-inwindow", "admitted", "waiting"),
        ("W-home", "refused", None),
        ("W-open", None, None),
    ]):  # fmt: skip
        row, raised = gate.flagged(MORNING + timedelta(minutes=n), person_id=person)
        messages = [*raised]
        if outcome is not None:
            messages.append(gate.resolved(row.event_id, resolved, outcome, person_id=person))
        if passage is not None:
            messages.append(gate.passage(row.event_id, resolved, "waiting"))
            messages.append(gate.passage(row.event_id, resolved + timedelta(seconds=8), passage))
        for message in messages:
            feed(store, message)
    red = gate.check_row(MORNING, person_id="W-red", decision="deny", reason="code_red",
                         route="isolation_room", code="red")  # fmt: skip
    red_check = gate.messages.check(red)
    feed(store, gate._numbered(red_check.topic, red_check.payload))
    feed(store, gate.direct_alert(red, "health_code"))

    went = {c.person_id: c.went_to for c in store.checks(CheckQuery(flagged=True))}
    assert went == {
        "W-through": "through", "W-back": "turned_back", "W-nopassage": "released",
        "W-inwindow": "not_yet_through",
        "W-home": "aside", "W-open": "secondary_check", "W-red": "isolation_room",
    }  # fmt: skip
    assert {c.person_id: c.went_to for c in store.iter_checks(CheckQuery(flagged=True))} == went


# --- the pages, the CSV and the audit log, served ---------------------------------------------
@dataclass
class Served:
    store: Store
    english: str
    chinese: str
    cookies: dict[str, str]  # user -> the session cookie they are signed in with


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The centre's pages in both languages over one SQLite store, with a morning of checks and
    a confirmed fever, and a viewer signed in."""
    folder = tmp_path_factory.mktemp("search")
    store = open_store(f"sqlite:///{folder}/centre.sqlite")
    gate = FakeGate("gate-n")
    feed(store, gate.check(MORNING, person_id="W0001"))
    row, raised = gate.screened_flag(MORNING + timedelta(minutes=1), person_id="W0002")
    for message in [*raised, gate.fever(row.event_id, MORNING, clinical_c=38.4)]:
        feed(store, message)
    cookies = {}
    # a person no code named, sent to the isolation room: the guard's form to say who they are
    _, raised = gate.screened_flag(
        MORNING + timedelta(minutes=2), None, kind="suspected_fever", route="isolation_room"
    )
    for message in raised:
        feed(store, message)
    for user, role in (("victor", "viewer"), ("anna", "guard")):
        store.add_user(user, role, auth.hash_password(f"{user}-looks-at-the-record"))
        token = auth.new_token()
        expires = dt.datetime.now(dt.UTC) + timedelta(hours=1)
        store.create_session(auth.token_digest(token), user, expires)
        cookies[user] = f"{auth.SESSION_COOKIE}={token}"
    servers = []
    for language in ("en", "zh"):
        config = centre_config(folder, 1883, commands=False, web={"language": language})
        servers.append(WebServer(build_app(store, config, None), "127.0.0.1", 0))
        servers[-1].start()
    try:
        english, chinese = (server.url.rstrip("/") for server in servers)
        yield Served(store, english, chinese, cookies)
    finally:
        for server in servers:
            server.stop()
        store.close()


def get(
    served: Served, base: str, path: str, user: str = "victor", **query: str
) -> tuple[int, str]:
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        target = f"{path}?{urlencode(query)}" if query else path
        connection.request("GET", target, headers={"Cookie": served.cookies[user]})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def looks(served: Served, user: str = "victor") -> list[tuple[str, str]]:
    return [(a.action, a.detail) for a in served.store.audit_log(500) if a.user == user]


def test_a_search_in_the_tables_words_finds_the_checks_and_names_the_zone(served: Served) -> None:
    status, page = get(served, served.english, "/records", reason="Secondary check")
    assert status == 200
    # the confirmed fever and the person no code named, not the plain check
    assert page.count('data-reason="secondary_check"') == 2 and "W0001" not in page
    assert page.count("Times: Asia/Shanghai (UTC+08:00)") == 1
    assert 'class="temp clinical">38.4 °C' in page  # the flag's columns, on the flag's row
    status, page = get(served, served.chinese, "/records", reason="复检", flagged="1")
    assert status == 200 and page.count('data-reason="secondary_check"') == 2
    assert page.count("时间：Asia/Shanghai (UTC+08:00)") == 1  # noqa: RUF001
    status, page = get(served, served.chinese, "/records", reason="打喷嚏")
    problem = re.search(r'id="query-problem"[^>]*>([^<]*)</p>', page)
    assert status == 400 and problem is not None
    assert "没有“打喷嚏”这个原因" in problem[1] and "红码、黄码" in problem[1]


def test_the_csv_has_the_fevers_clinical_reading_and_times_with_the_parks_offset(
    served: Served,
) -> None:
    status, text = get(served, served.english, "/records.csv", flagged="1")
    assert status == 200
    exported = {row["person_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(exported) == {"W0002", ""}  # the plain check W0001 raised no flag
    fever = exported["W0002"]
    assert (fever["person_id"], fever["screened_c"], fever["estimated_core_c"]) == (
        "W0002", "35.1", "37.7",
    )  # fmt: skip
    assert (fever["flag"], fever["outcome"], fever["clinical_c"], fever["checked_by"]) == (
        "fever", "fever_confirmed", "38.4", "g7",
    )  # fmt: skip
    assert (fever["went_to"], fever["isolation_room"]) == ("isolation_room", "Room 3")
    # MORNING + 1 min, as lived in Shanghai, with its offset
    assert fever["occurred_at"] == "2026-06-01T08:01:00+08:00"
    assert fever["checked_at"] == "2026-06-01T08:00:00+08:00"
    assert ("export_csv", "flagged") in looks(served)


def test_who_looked_is_audited_once_per_look_and_never_per_live_update(served: Served) -> None:
    before = len(looks(served))
    for _ in range(2):  # the same search again: one look
        get(served, served.english, "/records", person_id="w0002")
    get(served, served.english, "/records", person_id="W0001")
    get(served, served.english, "/records.csv", person_id="w0002")
    get(served, served.english, "/records.csv", person_id="w0002")  # every export counts
    get(served, served.english, "/desk")
    newest = looks(served)[: len(looks(served)) - before][::-1]
    assert newest == [
        ("search_records", "person_id=w0002"),
        ("search_records", "person_id=W0001"),
        ("export_csv", "person_id=w0002"),
        ("export_csv", "person_id=w0002"),
        ("view_desk", ""),
    ]
    # the desk's live part, sent again on every change, by someone who never loaded the page
    # here: no look of its own
    assert live_pages(served, "anna", changes=2) == 3
    assert looks(served, "anna") == []
    # a flag's readings, on the form that records who the person is: a look, once
    (waiting,) = [f for f in served.store.flags(open_only=True) if f.person_id is None]
    for _ in range(2):
        status, page = get(served, served.english, "/desk/identify", "anna", flag=waiting.ref)
        assert status == 200 and "screened 35.1 °C" in page
    assert looks(served, "anna") == [("view_flag", f"flag {waiting.flag_id} at gate-n")]
    status, page = get(served, served.english, "/audit", action="search_records")
    assert status == 200 and page.count('data-action="search_records"') >= 2
    assert 'data-action="view_desk"' not in page


def live_pages(served: Served, user: str, changes: int) -> int:
    """Read the desk's live stream while the store changes ``changes`` times; how many parts it
    sent (the first, then one per change)."""
    where = urlsplit(served.english)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=15)
    try:
        connection.request("GET", "/desk/live", headers={"Cookie": served.cookies[user]})
        response = connection.getresponse()
        seen, count = "", 0
        while count <= changes:
            seen += response.read1(65536).decode("utf-8", "replace")
            sent = seen.count("event: page")
            while count < sent:
                count += 1
                if count <= changes:  # a change: the stream sends the part again
                    served.store.audit("centre", "test_change", f"change {count}")
        return count
    finally:
        connection.close()


def test_the_records_page_for_a_new_user_works_with_no_query(served: Served) -> None:
    status, page = get(served, served.english, "/records")
    assert status == 200 and "W0001" in page
    assert ("view_records", "everything") in looks(served)


def test_an_export_is_refused_with_the_field_named_when_the_word_names_nothing(
    served: Served,
) -> None:
    status, said = get(served, served.english, "/records.csv", reason="sneezing")
    assert status == 400 and said.startswith("reason: no reason is called “sneezing”")


def _export(served: Served, base: str, **query: str) -> tuple[str, list[dict[str, str]]]:
    """The CSV export of a search: the file's name, and its rows."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        connection.request(
            "GET", f"/records.csv?{urlencode(query)}", headers={"Cookie": served.cookies["victor"]}
        )
        response = connection.getresponse()
        assert response.status == 200
        named = re.search(r'filename="([^"]+)"', response.getheader("Content-Disposition", ""))
        assert named is not None
        return named[1], list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
    finally:
        connection.close()


def test_the_chinese_records_page_says_codes_people_places_and_problems_in_chinese(
    served: Served,
) -> None:
    status, page = get(served, served.chinese, "/records")
    assert status == 200
    cells = dict(re.findall(r'<td class="code" data-code="(\w+)">([^<]*)</td>', page))
    assert cells == {"green": "绿码"}
    assert '<td class="person">未识别' in page and '<td class="person">?' not in page
    assert 'data-route="isolation_room">隔离室 · Room 3<' in page
    for query, said in [
        ({"date_from": "2026-11-31"}, "开始日期：没有这一天：“2026-11-31”"),  # noqa: RUF001
        ({"date_from": "23/11/2026"}, "开始日期：不是日期"),  # noqa: RUF001
        ({"date_from": "2026-11-23", "date_to": "2026-11-20"}, "结束日期早于开始日期"),
    ]:
        status, page = get(served, served.chinese, "/records", **query)
        problem = re.search(r'id="query-problem"[^>]*>([^<]*)</p>', page)
        assert status == 400 and problem is not None and said in problem[1], problem
        assert "date_" not in problem[1]
    status, said = get(served, served.english, "/records.csv", date_from="2026-02-30")
    assert status == 400 and said == "From: no such day: “2026-02-30”"
    status, said = get(served, served.english, "/records", date_to="2026-11-20",
                       date_from="2026-11-23")  # fmt: skip
    assert status == 400 and "To: before From" in said


def test_the_csv_is_named_by_the_days_searched_and_says_yes_or_no(served: Served) -> None:
    day = MORNING.date().isoformat()
    name, rows = _export(served, served.english, date_from=day, date_to=day)
    assert name == f"checks-{day}.csv" and len(rows) == 3
    assert {row["replayed"] for row in rows} == {"no"}
    name, _ = _export(served, served.english, date_from="2026-05-29", date_to=day)
    assert name == f"checks-2026-05-29_{day}.csv"
    name, _ = _export(served, served.english, date_to=day)
    assert name == f"checks-until-{day}.csv"
