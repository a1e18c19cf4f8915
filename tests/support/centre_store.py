"""The centre's store on SQLite and on a real PostgreSQL, fed a morning of gate messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

import pytest

from terminal.centre.store import (
    BoardSettings,
    Store,
    open_store,
)
from tests.support.centre_messages import at
from tests.support.pgserver import database_url, postgres_server  # noqa: F401  (a fixture)

MORNING = at("2026-06-01T08:00:00+08:00")


SETTINGS = BoardSettings(
    offline_after_s=90,
    report_due_at=time(23, 59),
    timezone="Asia/Shanghai",
    expected_gates=(("p1", "g1"), ("p1", "g2"), ("p1", "g3")),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    opened = open_store(database_url(request, request.param), SETTINGS)
    try:
        yield opened
    finally:
        opened.close()


def feed(store: Store, message: tuple[str, bytes], when: datetime = MORNING) -> bool:
    return store.ingest(message[0], message[1], when)
