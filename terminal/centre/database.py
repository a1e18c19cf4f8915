"""The two databases the centre runs on, behind the few calls the store makes: SQLite (a file, the
default) and PostgreSQL (psycopg 3). The store writes one SQL for both (``?`` placeholders,
``ON CONFLICT``); here are what differs: placeholders, the auto-increment key, transactions, and
the change counter the web's live updates poll."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from terminal.centre.errors import CentreError


class Database(Protocol):
    display_url: str
    # what the database raises for a value it will not store (not for being unreachable)
    data_errors: tuple[type[Exception], ...]

    def lock_schema(self) -> None: ...
    def has_table(self, name: str) -> bool: ...
    def columns(self, table: str) -> set[str]: ...
    def create(self, statements: Sequence[str]) -> None: ...
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def later(self, sql: str, params: Sequence[Any] = ()) -> Callable[[], int]: ...
    def pipeline(self) -> AbstractContextManager[None]: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def savepoint(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def version(self) -> int: ...
    def bump_version(self) -> None: ...
    def close(self) -> None: ...


class SqliteDatabase:
    """One connection in autocommit mode; a write opens ``BEGIN IMMEDIATE`` (several processes
    may write the same file: taking the write lock first avoids a deadlock on upgrade, and
    ``busy_timeout`` waits for the other writer)."""

    def __init__(self, path: Path) -> None:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.display_url = f"sqlite:///{path}"
        # OverflowError: an integer SQLite cannot hold (over 64 bits) is refused as PostgreSQL does
        self.data_errors: tuple[type[Exception], ...] = (
            sqlite3.DataError,
            sqlite3.IntegrityError,
            OverflowError,
        )
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 30000")
        self._conn.execute("PRAGMA journal_mode = WAL")
        # WAL with synchronous NORMAL: a commit survives a crash of the process; a power cut
        # may lose the last commits, which the gates then send again (they were not acked)
        self._conn.execute("PRAGMA synchronous = NORMAL")

    def lock_schema(self) -> None:
        """Opens the transaction that changes the schema, holding the write lock."""
        self._begin()

    def has_table(self, name: str) -> bool:
        return bool(
            self.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )

    def columns(self, table: str) -> set[str]:
        """The names of a table's columns (empty for no such table)."""
        return {row[1] for row in self.query("SELECT * FROM pragma_table_info(?)", (table,))}

    def create(self, statements: Sequence[str]) -> None:
        self._begin()
        for statement in statements:
            self._conn.execute(statement.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"))
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES ('version', 0) ON CONFLICT (key) DO NOTHING"
        )

    def _begin(self) -> None:
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._begin()
        return self._conn.execute(sql, tuple(params)).rowcount

    def later(self, sql: str, params: Sequence[Any] = ()) -> Callable[[], int]:
        count = self.execute(sql, params)
        return lambda: count

    def pipeline(self) -> AbstractContextManager[None]:
        return nullcontext()  # in the same process: nothing to save by sending ahead

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._begin()
        self._conn.execute("SAVEPOINT one_message")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO one_message")
            self._conn.execute("RELEASE one_message")
            raise
        self._conn.execute("RELEASE one_message")

    def commit(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def version(self) -> int:
        rows = self.query("SELECT value FROM meta WHERE key = 'version'")
        return int(rows[0][0]) if rows else 0

    def bump_version(self) -> None:
        self.execute("UPDATE meta SET value = value + 1 WHERE key = 'version'")
        self.commit()

    def close(self) -> None:
        self._conn.close()


# the key of the advisory lock that keeps two collectors from creating the tables at once
_SCHEMA_LOCK = zlib.crc32(b"gate-terminal centre schema")


class PostgresDatabase:
    """One psycopg 3 connection; the transaction opens with the first statement. The change
    counter is a sequence: ``nextval`` takes no row lock, so collectors never queue on it."""

    def __init__(self, url: str, password: str | None = None) -> None:
        try:
            import psycopg  # only a PostgreSQL centre needs the driver
        except ImportError:
            raise CentreError(
                "database.url: a PostgreSQL centre needs the psycopg driver:"
                " pip install 'gate-terminal[postgresql]'"
            ) from None

        self._psycopg = psycopg
        self._url = url
        self._password = password
        self.display_url = _without_password(url)
        self.data_errors: tuple[type[Exception], ...] = (psycopg.DataError, psycopg.IntegrityError)
        self._conn = self._connect()
        self._wrote = False  # a write since the last commit: a lost connection lost it too

    def _connect(self) -> Any:
        extra: dict[str, Any] = {"password": self._password} if self._password else {}
        return self._psycopg.connect(self._url, autocommit=False, connect_timeout=10, **extra)

    def _live(self) -> Any:
        """The connection, made again when the server closed it (a restart, a failover): the
        statement that found it broken failed; the next one works."""
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def lock_schema(self) -> None:
        """Held until the transaction ends: one store at a time creates or upgrades."""
        self._live().execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))

    def has_table(self, name: str) -> bool:
        # in the connection's schema search path, as the store's statements name it
        return self.query("SELECT to_regclass(?)", (name,))[0][0] is not None

    def columns(self, table: str) -> set[str]:
        """The names of a table's columns (empty for no such table), in the search path's
        first schema that has it."""
        rows = self.query(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 "
            "AND NOT attisdropped",
            (table,),
        )
        return {row[0] for row in rows}

    def create(self, statements: Sequence[str]) -> None:
        conn = self._live()
        self.lock_schema()
        for statement in statements:
            conn.execute(
                statement.replace("{id}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
            )
        conn.execute("CREATE SEQUENCE IF NOT EXISTS centre_version")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self._wrote = True
        cursor = self._live().execute(self._sql(sql), tuple(params))
        return int(cursor.rowcount)

    def later(self, sql: str, params: Sequence[Any] = ()) -> Callable[[], int]:
        """In a pipeline: the count of rows, to be read once the pipeline is done."""
        self._wrote = True
        cursor = self._live().execute(self._sql(sql), tuple(params))
        return lambda: int(cursor.rowcount)

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements sent without waiting for each answer (the server's errors come at the
        end): a round trip per batch instead of per statement."""
        with self._live().pipeline():
            yield

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cursor = self._live().execute(self._sql(sql), tuple(params))
        except self._psycopg.OperationalError:
            if self._wrote or not self._conn.broken:
                raise  # a write in this transaction is lost with it: the caller starts again
            # a page's read on a connection the server closed: once more, on a new one
            cursor = self._live().execute(self._sql(sql), tuple(params))
        return [tuple(row) for row in cursor.fetchall()]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        conn = self._live()
        conn.execute("SAVEPOINT one_message")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO SAVEPOINT one_message")
            conn.execute("RELEASE SAVEPOINT one_message")
            raise
        conn.execute("RELEASE SAVEPOINT one_message")

    def commit(self) -> None:
        self._wrote = False
        if not self._conn.closed:
            self._conn.commit()

    def rollback(self) -> None:
        self._wrote = False
        if not self._conn.closed and not self._conn.broken:
            self._conn.rollback()

    def version(self) -> int:
        rows = self.query(
            "SELECT last_value + CASE WHEN is_called THEN 0 ELSE -1 END FROM centre_version"
        )
        return int(rows[0][0])

    def bump_version(self) -> None:
        # after the commit: whoever sees the new number also sees the change
        self.query("SELECT nextval('centre_version')")
        self.commit()

    def close(self) -> None:
        self._conn.close()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (``sqlite:///relative.db``, ``sqlite:////abs/centre.db``, or a
    bare path); None for another database."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    if "://" in url:
        return None
    return Path(url)


def connect(url: str, password: str | None = None) -> Database:
    path = sqlite_path(url)
    if path is not None:
        return SqliteDatabase(path)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, password)
    scheme = url.split("://", 1)[0]
    raise ValueError(f"database {scheme}://...: not sqlite:/// or postgresql://")
