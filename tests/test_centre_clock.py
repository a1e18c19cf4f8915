"""The centre knows whether its own clock is synchronised, as a gate does: its board says so (in
the park's language) and its log says so once, when it starts unsynchronised and when that
changes. The NTP query is injected; the board is rendered as its live updates send it."""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path

import pytest

from terminal.centre.config import parse_centre
from terminal.centre.store import Store, open_store
from terminal.centre.upkeep import Upkeep
from terminal.centre.web.board import Board
from terminal.centre.web.catalogue import TEXTS
from terminal.centre.web.context import Visitor, Web
from terminal.common.clock_sync import SyncStatus

OFFICER = Visitor("officer", "health_officer", "a-session-token")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path}/centre.db")


def board_html(store: Store, language: str, synchronised: bool) -> str:
    config = parse_centre({"park": "p1", "web": {"language": language}}, Path("centre.toml"))
    web = Web(store=store, config=config, sender=None, clock_synchronised=lambda: synchronised)
    return html.unescape(asyncio.run(Board(web).live_part(OFFICER)))


@pytest.mark.parametrize(("language", "index"), [("zh", 0), ("en", 1)])
def test_the_board_says_when_the_centres_clock_is_not_synchronised(
    store: Store, language: str, index: int
) -> None:
    warning = TEXTS["clock_unsynced"][index]
    unsynced = board_html(store, language, synchronised=False)
    assert 'id="clock-banner"' in unsynced and warning in unsynced
    synced = board_html(store, language, synchronised=True)
    assert 'id="clock-banner"' not in synced and warning not in synced


def test_the_centres_log_says_once_when_its_clock_is_not_synchronised(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    answers = [False]
    upkeep = Upkeep(store, parse_centre({"park": "p1"}, Path("c.toml")).retention,
                    lambda: answers[0])  # fmt: skip
    with caplog.at_level(logging.INFO, logger="terminal.centre.upkeep"):
        upkeep.run_due()
        upkeep.run_due()
        assert caplog.text.count("clock is not synchronised (NTP)") == 1
        answers[0] = True
        upkeep.watch_clock()
    assert "synchronised again" in caplog.text


def test_the_ntp_status_is_asked_again_only_after_a_while() -> None:
    answers = iter([False, True])
    status = SyncStatus(query=lambda: next(answers))
    assert status.synchronised() is False
    assert status.synchronised() is False  # remembered: no process started per page
    status._asked_at -= SyncStatus.RECHECK_S
    assert status.synchronised() is True
