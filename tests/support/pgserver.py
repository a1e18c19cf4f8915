"""The PostgreSQL the centre's tests run against: one real server per test session (initdb into
a temporary folder, on a free port), a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.postgres import PostgresUnavailable, PrivatePostgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PrivatePostgres]:
    try:
        server = PrivatePostgres().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"the centre's tests need PostgreSQL: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def database_url(request: pytest.FixtureRequest, kind: str) -> str:
    """A new empty database of this kind ("sqlite" or "postgresql") for one test."""
    if kind == "postgresql":
        server: PrivatePostgres = request.getfixturevalue("postgres_server")
        return server.new_database()
    tmp_path = request.getfixturevalue("tmp_path")
    return f"sqlite:///{tmp_path}/centre.db"
