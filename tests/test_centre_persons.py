"""A person's own data at the centre, on SQLite and on a real PostgreSQL: the gates' answers to an
export come in (only those asked for), the one file holds the centre's rows and every gate's,
times with the park's offset; erasure leaves no table or column holding their id or their code's
fingerprint, keeps the day's counts when it pseudonymises, and deletes where the park may."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from simulator.broker import PrivateBroker
from terminal.centre.database import Database, SqliteDatabase, connect
from terminal.centre.running import WebServer
from terminal.centre.sender import CommandSender
from terminal.centre.store import CheckQuery, Store, open_store
from terminal.centre.web import auth
from terminal.centre.web.app import build_app
from tests.support.board import CommandTap
from tests.support.centre_fixture import centre_config, wait_until
from tests.support.centre_messages import PARK, FakeGate
from tests.support.centre_store import MORNING, feed, store
from tests.support.pgserver import postgres_server  # noqa: F401  (a fixture)

__all__ = ["store"]  # shared fixtures, taken by name

SHANGHAI = ZoneInfo("Asia/Shanghai")
ERASED, KEPT = "W-erase-7", "W0001"
FINGERPRINT = "c0de" * 16
PSEUDONYM = "erased-0a1b2c3d"
# the staff's own tables and the centre's counters: never a person's data
STAFF_TABLES = ("users", "sessions", "meta", "privacy")


def _a_morning(store: Store, gate: FakeGate) -> str:
    """The erased person's morning at gate g1 (and another person's): checks, a flag the desk
    escorted, a roll call, a lorry they drove. The flag's reference."""
    row = gate.check_row(MORNING, person_id=ERASED)
    check = gate.messages.check(dataclasses.replace(row, code_fingerprint=FINGERPRINT))
    feed(store, gate._numbered(check.topic, check.payload))
    feed(store, gate.check(MORNING + timedelta(minutes=1), person_id=KEPT))
    flagged, messages = gate.screened_flag(MORNING + timedelta(minutes=2), person_id=ERASED)
    for message in messages:
        feed(store, message)
    ref = f"{gate.park}/{gate.gate}/{flagged.event_id}"
    store.record_escort(ref, "alice", f"walked {ERASED} over himself", MORNING)
    inside = [(ERASED, MORNING), (KEPT, MORNING)]
    feed(store, gate.fire_alarm("emergency", MORNING + timedelta(minutes=3), zone="hall",
                                inside=inside))  # fmt: skip
    feed(store, gate.vehicle(MORNING, "京A12345", ERASED, "admitted"))
    store.audit("alice", "identify", f"{ref}: {ERASED} by badge")
    return ref


def _holding(store: Store, text: str) -> list[str]:
    """Every table.column of the centre's database (read from its own catalogue: whatever a
    later version adds) with a value that holds ``text``."""
    db: Database = connect(store.url)
    try:
        if isinstance(db, SqliteDatabase):
            tables = [r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type='table'")]
            columns = [(t, c) for t in tables for c in db.columns(t)]
        else:
            columns = [
                (str(t), str(c))
                for t, c in db.query(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema()"
                )
            ]
        found = []
        for table, column in columns:
            hits = db.query(
                f"SELECT count(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE ?", (f"%{text}%",)
            )[0][0]
            if hits:
                found.append(f"{table}.{column}")
        db.commit()
        return found
    finally:
        db.close()


def _events_naming(store: Store, person_id: str) -> list[str]:
    db: Database = connect(store.url)
    try:
        rows = db.query("SELECT payload FROM events WHERE payload LIKE ?", (f"%{person_id}%",))
        db.commit()
        return [str(row[0]) for row in rows]
    finally:
        db.close()


def _asked(store: Store, gate: FakeGate, name: str, command_id: str, answered: bool = True) -> None:
    """The centre sent ``name`` to the gate (as the sender records it), and the gate answered."""
    expires = MORNING + timedelta(minutes=1)
    store.record_command(
        {"command_id": command_id, "name": name, "park": gate.park, "gate": gate.gate,
         "issued_at": MORNING.isoformat(), "expires_at": expires.isoformat(),
         "payload": {"person_id": ERASED}},
        "hana",
    )  # fmt: skip
    if answered:
        feed(store, gate.command_result(command_id, name, "done", MORNING, "3 rows in 2 pages"))


def _pages(gate: FakeGate, command_id: str, tables: dict) -> list[tuple[str, bytes]]:
    messages = gate.messages.person_data(command_id, ERASED, MORNING.timestamp(), tables)
    return [gate._numbered(m.topic, m.payload) for m in messages]


def test_an_export_holds_the_centres_rows_and_each_gates_answer_with_local_times(
    store: Store,
) -> None:
    g1, g2 = FakeGate("g1"), FakeGate("g2")
    _a_morning(store, g1)
    request = store.persons.open_request("export", ERASED, "hana", MORNING.timestamp(), "asked")
    store.persons.add_gate(request, "p1", "g1", "cmd-export-g1")
    store.persons.add_gate(request, "p1", "g2", "cmd-export-g2")
    _asked(store, g1, "export_person", "cmd-export-g1")
    _asked(store, g2, "export_person", "cmd-export-g2", answered=False)
    answer = {"checks": [{"event_id": "e1", "person_id": ERASED, "epoch_s": MORNING.timestamp(),
                          "check_s": 1.5}], "roster": [{"name": "Anna Li"}]}  # fmt: skip
    pages = _pages(g1, "cmd-export-g1", answer)
    assert [feed(store, page) for page in pages] == [True]
    assert feed(store, pages[0]) is False  # heard twice
    # a page nobody asked that gate for is not kept
    assert feed(store, _pages(g2, "cmd-export-g1", answer)[0]) is False
    progress = {a.gate: (a.outcome, a.complete) for a in store.persons.answers(request)}
    assert progress == {"g1": ("done", True), "g2": ("sent", False)}
    file = store.persons.export(request, SHANGHAI)
    assert file is not None and file["person_id"] == ERASED
    gate_checks = file["gates"]["p1/g1"]["tables"]["checks"]
    assert gate_checks == [{"event_id": "e1", "person_id": ERASED,
                            "epoch": "2026-06-01T08:00:00+08:00", "check_s": 1.5}]  # fmt: skip
    assert file["gates"]["p1/g2"]["complete"] is False
    centre = file["centre"]
    assert [c["person_id"] for c in centre["checks"]] == [ERASED, ERASED]
    assert centre["flags"][0]["raised"] == "2026-06-01T08:02:00+08:00"
    assert [p["person_id"] for p in centre["muster_people"]] == [ERASED]
    # the roll call names others too: they are not the person's to have
    assert KEPT not in json.dumps(centre, ensure_ascii=False)
    roll_call = next(e for e in centre["events"] if e["topic"].endswith("/alert/emergency"))
    assert [p["person_id"] for p in roll_call["payload"]["data"]["inside"]] == [
        ERASED, "(another person)",
    ]  # fmt: skip
    # the gates' answers are audited once each, without the person
    answers = [a for a in store.audit_log() if a.action == "person_export_answer"]
    assert len(answers) == 1 and ERASED not in answers[0].detail


def test_pseudonymising_at_the_centre_leaves_no_trace_and_the_days_counts(store: Store) -> None:
    g1 = FakeGate("g1")
    _a_morning(store, g1)
    export = store.persons.open_request("export", ERASED, "hana", MORNING.timestamp(), "asked")
    store.persons.add_gate(export, "p1", "g1", "cmd-export-g1")
    for page in _pages(g1, "cmd-export-g1", {"checks": [{"person_id": ERASED}]}):
        feed(store, page)
    day = MORNING.date()
    flow, denials = store.flow_per_hour(day, SHANGHAI), store.denials_by_reason(day, SHANGHAI)
    assert _holding(store, ERASED) and _holding(store, FINGERPRINT)

    counts = store.persons.erase(ERASED, PSEUDONYM, "pseudonymise")

    assert _holding(store, ERASED) == [] and _holding(store, FINGERPRINT) == []
    assert store.flow_per_hour(day, SHANGHAI) == flow
    assert store.denials_by_reason(day, SHANGHAI) == denials
    assert counts.deleted == {"person_pages": 1} and ERASED not in counts.summary()
    flag = next(f for f in store.flags() if f.person_id == PSEUDONYM)
    assert flag.escort_note is None and flag.temperature_c == 37.7
    [muster] = store.musters()
    assert sorted(p.person_id for p in muster.people) == sorted([PSEUDONYM, KEPT])
    assert store.persons.request(export).person_id == PSEUDONYM  # type: ignore[union-attr]


def test_deleting_at_the_centre_takes_their_rows_and_only_theirs(store: Store) -> None:
    _a_morning(store, FakeGate("g1"))
    counts = store.persons.erase(ERASED, PSEUDONYM, "delete")
    assert _holding(store, ERASED) == []
    assert counts.deleted["checks"] == 2 and counts.deleted["muster_people"] == 1
    assert {f.person_id for f in store.flags()} == set()
    [muster] = store.musters()
    assert [p.person_id for p in muster.people] == [KEPT]
    # the fire alarm's event names others too: kept, under the pseudonym
    [alarm] = [e for e in _events_naming(store, KEPT) if '"inside"' in e]
    assert PSEUDONYM in alarm
    # the audit keeps what staff did, under the pseudonym
    assert any(PSEUDONYM in a.detail for a in store.audit_log() if a.action == "identify")


def test_a_request_keeps_a_salted_hash_of_the_id_never_the_id_of_an_erasure(store: Store) -> None:
    first = store.persons.open_request(
        "erase", ERASED, "hana", MORNING.timestamp(), "PIPL art. 47 request of 2026-06-01",
        pseudonym=PSEUDONYM, mode="pseudonymise",
    )  # fmt: skip
    second = store.persons.open_request("export", ERASED, "hana", MORNING.timestamp(), "copy")
    one, two = store.persons.request(first), store.persons.request(second)
    assert one is not None and two is not None and one.person_id is None
    assert one.person_hash == two.person_hash == store.persons.person_hash(ERASED)
    assert store.persons.person_hash(KEPT) != one.person_hash


def test_no_table_or_column_of_the_centre_can_keep_the_persons_id(tmp_path: Path) -> None:
    """Every text column of every table (read from the database: whatever a later version
    adds) holding the person's id is cleared of it; the staff's own tables are not theirs."""
    store = open_store(f"sqlite:///{tmp_path}/centre.db")
    try:
        db = connect(store.url)
        tables = [r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
        text_columns = 0
        for n, table in enumerate(t for t in tables if t not in STAFF_TABLES and "sqlite" not in t):
            columns = db.query("SELECT name, type FROM pragma_table_info(?)", (table,))
            row = {c: f"{ERASED} note {n}" if "TEXT" in k.upper() else n for c, k in columns}
            marks = ", ".join("?" * len(row))
            db.execute(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values())
            )
            text_columns += sum(1 for _, kind in columns if "TEXT" in kind.upper())
        db.commit()
        db.close()
        assert len(_holding(store, ERASED)) == text_columns
        store.persons.erase(ERASED, PSEUDONYM, "pseudonymise")
        assert _holding(store, ERASED) == []
    finally:
        store.close()


def test_an_id_typed_in_another_case_finds_exports_and_erases_the_stored_spelling(
    store: Store,
) -> None:
    """An officer types ``w-erase-7`` for the gates' ``W-erase-7``: the centre names the
    spelling it holds (the one the gates' commands carry), counts the rows per table, exports
    them and pseudonymises the person's checks, not just the audit's mentions."""
    g1 = FakeGate("g1")
    _a_morning(store, g1)
    typed = ERASED.lower()
    store.audit("ines", "search_records", f"person_id={typed}")
    held = store.persons.held(typed)
    assert held.stored_id == ERASED
    assert held.rows["checks"] == 2 and held.rows["flags"] == 1 and held.rows["audit"] == 2
    assert store.persons.held("W-nobody").rows == {}
    assert store.persons.held("W-nobody").stored_id == "W-nobody"

    export = store.persons.open_request("export", typed, "hana", MORNING.timestamp(), "asked")
    file = store.persons.export(export, SHANGHAI)
    assert file is not None
    assert [c["person_id"] for c in file["centre"]["checks"]] == [ERASED, ERASED]

    store.persons.erase(typed, PSEUDONYM, "pseudonymise")
    assert _holding(store, ERASED) == [] and _holding(store, typed) == []
    assert _holding(store, FINGERPRINT) == []
    erased_checks = [c for c in store.checks(CheckQuery(person_id=PSEUDONYM))]
    assert len(erased_checks) == 2
    assert [c.person_id for c in store.checks(CheckQuery(person_id=KEPT))] == [KEPT]


# --- the persons page, served in Chinese, its commands on a real broker ---------------------------
@dataclasses.dataclass
class OfficerDesk:
    store: Store
    url: str
    token: str  # a health officer's session
    tap: CommandTap  # what gate g1 hears


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, broker: PrivateBroker) -> Iterator[OfficerDesk]:
    """A centre in Chinese that knows gate g1 and holds the morning of W-erase-7 (written in
    capitals by the gate), a health officer signed in, and a tap on g1's commands."""
    folder = tmp_path_factory.mktemp("persons-desk")
    config = centre_config(folder, broker.port, gates=["g1"], web={"language": "zh"})
    opened = open_store(f"sqlite:///{folder}/centre.sqlite")
    _a_morning(opened, FakeGate("g1"))
    opened.add_user("hana", "health_officer", auth.hash_password("hana-keeps-the-files"))
    token = auth.new_token()
    expires = dt.datetime.now(dt.UTC) + timedelta(hours=1)
    opened.create_session(auth.token_digest(token), "hana", expires)
    server = WebServer(build_app(opened, config, CommandSender.connect(config, opened)),
                       "127.0.0.1", 0)  # fmt: skip
    server.start()
    tap = CommandTap(broker.port, f"gate/v1/{PARK}/g1/cmd/+")
    try:
        yield OfficerDesk(opened, server.url.rstrip("/"), token, tap)
    finally:
        tap.close()
        server.stop()
        opened.close()


def _ask(desk: OfficerDesk, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
    """GET (or POST ``form`` with the session's CSRF token): status, body, Location."""
    where = urlsplit(desk.url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    headers = {"Cookie": f"{auth.SESSION_COOKIE}={desk.token}"}
    try:
        if form is None:
            connection.request("GET", path, headers=headers)
        else:
            body = urlencode({**form, "csrf": auth.csrf_token(desk.token)})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8"), response.getheader("Location", "")
    finally:
        connection.close()


def _heard(desk: OfficerDesk, name: str) -> dict:
    """The last command of ``name`` gate g1 heard."""
    wait_until(lambda: any(c.get("name") == name for c in desk.tap.received), what=name)
    return [c for c in desk.tap.received if c.get("name") == name][-1]


def test_a_lower_case_id_exports_and_erases_the_gates_spelling_and_says_what_the_centre_holds(
    desk: OfficerDesk,
) -> None:
    typed = ERASED.lower()
    status, _, request = _ask(desk, "/persons/export", {"person_id": typed})
    assert status == 303
    assert _heard(desk, "export_person")["payload"]["person_id"] == ERASED
    status, page, _ = _ask(desk, request)
    assert status == 200
    # the gate's answer and its pages, in the page's language
    assert '<td class="outcome">已发送</td>' in page and "已收 0 页，总页数未知" in page  # noqa: RUF001
    assert ">sent<" not in page and "0 / ?" not in page
    held = re.search(r'id="centre-outcome">([^<]*)<', page)
    assert held is not None and "checks: 2" in held[1]
    file = desk.store.persons.export(request.rsplit("/", 1)[-1], SHANGHAI)
    assert file is not None and len(file["centre"]["checks"]) == 2

    # an id the centre holds nothing under: said in red, before anything is done
    status, page, _ = _ask(desk, "/persons/erase", {"person_id": "W-nobody", "reason": "art. 47"})
    assert status == 200 and 'data-rows="0"' in page and "中心没有编号为 W-nobody 的记录" in page

    status, page, _ = _ask(desk, "/persons/erase", {"person_id": typed, "reason": "art. 47"})
    counts = dict(re.findall(r'<tr data-table="(\w+)"><td>\w+</td><td class="count">(\d+)<', page))
    assert counts["checks"] == "2" and counts["flags"] == "1" and ERASED in page
    pending = re.search(r'name="pending" value="([^"]+)"', page)
    assert pending is not None
    status, _, erased = _ask(
        desk, "/persons/erase/confirm", {"pending": pending[1], "typed_id": typed}
    )
    assert status == 303
    status, page, _ = _ask(desk, erased)
    assert status == 200 and "checks：2 处已化名" in page  # noqa: RUF001
    assert _heard(desk, "erase_person")["payload"]["person_id"] == ERASED
    assert _holding(desk.store, ERASED) == [] and desk.store.persons.held(typed).rows == {}
