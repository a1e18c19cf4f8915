"""A person's own data through the gate's command desk (signed commands, a real record and roster
file): export_person sends everything about them on person/data in pages; erase_person leaves the
record and the roster without them; neither result names them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from terminal.link import contract
from terminal.rules.roster import load_roster
from tests.support.commands import STRANGER_KEY, Station, command_config
from tests.support.people import person

WORKERS_HEADER = "person_id,name,department,group,nat_tested_at,nat_result\n"
ANNA, BERT = "W-anna", "W-bert"
PSEUDONYM = "erased-5e1f00d2"


@pytest.fixture
def station(tmp_path: Path) -> Station:
    config = command_config(tmp_path, shifts={"groups": {"day": {"windows": ["00:00-23:59"]}}})
    tested = "2026-11-23 06:00,negative"
    config.resolved(config.roster.workers).write_text(
        WORKERS_HEADER
        + f"{ANNA},Anna Li,Assembly,day,{tested}\n{BERT},Bert Wu,Paint,day,{tested}\n"
    )
    station = Station(config, [person(ANNA, 0), person(BERT, 40)], tmp_path)
    station.run_until(2)
    return station


def _pages(station: Station) -> list[dict[str, Any]]:
    return [
        contract.PersonDataEvent.model_validate_json(m["payload"]).model_dump(mode="json")
        for m in station.record.outbox()
        if m["topic"].endswith("/person/data")
    ]


def test_an_export_sends_their_rows_and_roster_line_and_nobody_elses(station: Station) -> None:
    result = station.send("export_person", {"person_id": ANNA})
    assert result.outcome == "done", result.detail
    assert ANNA not in result.detail  # results are read by dashboards
    [page] = _pages(station)
    data = page["data"]
    assert (data["request_id"], data["person_id"], data["page"], data["pages"]) == (
        result.command_id, ANNA, 1, 1,
    )  # fmt: skip
    assert [c["person_id"] for c in data["tables"]["checks"]] == [ANNA]
    assert data["tables"]["roster"][0]["name"] == "Anna Li"
    assert BERT not in json.dumps(data)


def test_asked_again_an_export_holds_the_same_rows_not_the_earlier_export(
    station: Station,
) -> None:
    """An export's pages wait in the outbox and name the person: the next export must not carry
    them again, or each answer would hold all the earlier ones and grow without end."""
    first = station.send("export_person", {"person_id": ANNA})
    second = station.send("export_person", {"person_id": ANNA})
    assert first.outcome == second.outcome == "done", second.detail
    one, two = _pages(station)
    assert {t: len(r) for t, r in two["data"]["tables"].items()} == {
        t: len(r) for t, r in one["data"]["tables"].items()
    }


def test_a_large_export_comes_in_pages_that_add_up_to_it(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contract, "PERSON_PAGE_BYTES", 1500)
    held = station.record.person_data(ANNA)
    result = station.send("export_person", {"person_id": ANNA})
    pages = _pages(station)
    assert len(pages) > 1 and f"in {len(pages)} pages" in result.detail
    assert [p["data"]["page"] for p in pages] == list(range(1, len(pages) + 1))
    assert {p["data"]["pages"] for p in pages} == {len(pages)}
    rows: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        for table, table_rows in page["data"]["tables"].items():
            rows.setdefault(table, []).extend(table_rows)
    assert {t: len(r) for t, r in rows.items()} == {
        **{t: len(r) for t, r in held.items()}, "roster": 1,
    }  # fmt: skip


def test_erasure_leaves_the_gate_without_them_in_its_record_or_roster(
    station: Station,
) -> None:
    checks_before = len(station.record.checks())
    result = station.send(
        "erase_person", {"person_id": ANNA, "pseudonym": PSEUDONYM, "mode": "pseudonymise"}
    )
    assert result.outcome == "done", result.detail
    assert ANNA not in result.detail and "roster lines removed: 1" in result.detail
    assert station.record.person_data(ANNA) == {}
    assert len(station.record.checks()) == checks_before  # the record keeps its shape
    assert [w.person_id for w in load_roster(station.config).workers()] == [BERT]
    assert station.gate.roster.get(ANNA) is None  # the running gate reloaded it
    assert [c["person_id"] for c in station.record.checks()] == [PSEUDONYM, BERT]


def test_an_erasure_not_to_be_trusted_erases_nothing(station: Station) -> None:
    untrusted: list[tuple[dict[str, Any], dict[str, Any], str]] = [
        ({"person_id": ANNA, "pseudonym": "W-bert"}, {}, "payload.pseudonym"),
        ({"person_id": ANNA, "pseudonym": PSEUDONYM, "mode": "shred"}, {}, "payload.mode"),
        ({"person_id": ANNA, "pseudonym": PSEUDONYM}, {"key": STRANGER_KEY}, "does not verify"),
    ]
    for payload, options, problem in untrusted:
        result = station.send("erase_person", payload, **options)
        assert result.outcome == "refused" and problem in result.detail
    assert station.record.person_data(ANNA)["checks"]
    assert ANNA in [w.person_id for w in load_roster(station.config).workers()]
