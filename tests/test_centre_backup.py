"""``gate-terminal centre backup``: the centre's SQLite file copied while it is open, and a
PostgreSQL centre dumped with pg_dump; each restored (the SQLite copy put back, the dump
pg_restored into a fresh database on the same server) and read by the centre's own store, with
the same checks and flags."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from simulator.postgres import PrivatePostgres
from terminal.centre.store import CheckQuery, Store, open_store
from terminal.cli.main import main
from tests.support.backups import empty_share
from tests.support.centre_messages import FakeGate
from tests.support.centre_store import MORNING, SETTINGS, feed
from tests.support.pgserver import postgres_server  # noqa: F401  (a fixture)

SECRET = "s3cret-Pa55:word"


def centre_toml(folder: Path, url: str, password_file: Path | None = None) -> Path:
    lines = ['park = "p1"', "[database]", f'url = "{url}"']
    if password_file is not None:
        lines.append(f'password_file = "{password_file}"')
    path = folder / "centre.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def a_morning(store: Store) -> None:
    gate = FakeGate("g1")
    for minute in range(5):
        feed(store, gate.check(MORNING + timedelta(minutes=minute), person_id=f"W{minute:04d}"))
    for message in gate.flagged(MORNING + timedelta(minutes=6), person_id="W0099")[1]:
        feed(store, message)


def what_the_desk_reads(store: Store) -> tuple[list[object], list[object]]:
    return store.checks(CheckQuery()), store.flags()


def test_an_sqlite_centre_backed_up_while_open_is_restored_by_copying_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/centre.db"
    store = open_store(url, SETTINGS)
    share = empty_share(tmp_path)
    try:
        a_morning(store)
        config = centre_toml(tmp_path, url)
        # the centre's own disk is refused as the gate's is
        assert main(["centre", "backup", "--config", str(config), "--to", str(share)]) == 2
        assert "on the same disk" in capsys.readouterr().err and not list(share.iterdir())
        assert main(["centre", "backup", "--config", str(config), "--to", str(share),
                     "--allow-same-disk"]) == 0  # fmt: skip
        before = what_the_desk_reads(store)
    finally:
        store.close()
    [copy] = share.glob("centre-p1-*.sqlite")
    said = capsys.readouterr().out
    assert "(sqlite) backed up" in said and "1 backup kept (up to 14)" in said, said
    (tmp_path / "restored").mkdir()  # the centre stopped; its file put back from the copy
    shutil.copy(copy, tmp_path / "restored" / "centre.db")
    restored = open_store(f"sqlite:///{tmp_path}/restored/centre.db", SETTINGS)
    try:
        assert what_the_desk_reads(restored) == before
        assert len(before[0]) == 6 and len(before[1]) == 1
    finally:
        restored.close()


@pytest.mark.usefixtures("postgres_server")
def test_a_postgresql_centre_is_dumped_and_restored_into_a_fresh_database(
    tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    server: PrivatePostgres = request.getfixturevalue("postgres_server")
    url = server.new_database()
    store = open_store(url, SETTINGS)
    password_file = tmp_path / "db-password"
    password_file.write_text(SECRET + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    share = empty_share(tmp_path)
    try:
        a_morning(store)
        config = centre_toml(tmp_path, url, password_file)
        assert main(["centre", "backup", "--config", str(config), "--to", str(share),
                     "--keep", "2"]) == 0  # fmt: skip
        before = what_the_desk_reads(store)
    finally:
        store.close()
    said = capsys.readouterr()
    assert "(postgresql) backed up" in said.out and SECRET not in said.out + said.err
    [dump] = share.glob("centre-p1-*.dump")
    assert oct(dump.stat().st_mode & 0o777) == oct(0o600)

    fresh = server.new_database()
    restore = subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={fresh}", str(dump)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert restore.returncode == 0, restore.stderr
    restored = open_store(fresh, SETTINGS)
    try:
        assert what_the_desk_reads(restored) == before
        assert len(before[0]) == 6 and len(before[1]) == 1
    finally:
        restored.close()


def test_a_dump_that_fails_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    share = empty_share(tmp_path)
    # nothing listens on port 1
    config = centre_toml(tmp_path, "postgresql://centre@127.0.0.1:1/centre")
    assert main(["centre", "backup", "--config", str(config), "--to", str(share)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("gate-terminal centre: pg_dump failed")
    assert list(share.iterdir()) == []
