"""``gate-terminal record backup``: a copy of the record taken while the gate keeps writing checks
is a whole record the gate's own code opens, with the same checks; the newest N are kept; a
folder on the record's own disk is refused unless asked for; and a restored copy is the record."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from terminal.cli.main import main
from terminal.common.backups import disk_of
from terminal.record.store import CheckRow, Record
from tests.conftest import example_gate_config_text
from tests.support.backups import empty_share

START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def gate_config(folder: Path, backup_dir: Path | None = None) -> Path:
    """The example config as installed, its record and backup folder under ``folder``."""
    text = example_gate_config_text().replace("/var/lib/gate-terminal", str(folder))
    text = text.replace("/etc/gate-terminal", str(folder))
    text = text.replace('"/mnt/gate-backup"', f'"{backup_dir or folder / "backups"}"')
    path = folder / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def check(n: int) -> CheckRow:
    when = START + timedelta(seconds=n)
    return CheckRow(
        event_id=uuid.uuid4().hex, ts=when.isoformat(), epoch_s=when.timestamp(), park="p1",
        gate="north-1", person_id=f"W{n:04d}", code="green", temperature_c=36.5, first_c=None,
        sensor_fault=None, decision="admit", reason="admitted", route="through", check_s=1.0,
        processing_ms=40.0,
    )  # fmt: skip


class Writer(threading.Thread):
    """The gate at work: a check after a check through the record's own methods."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.written = 0

    def run(self) -> None:
        record = Record(self.path)
        try:
            while not self.stop.is_set():
                record.add_check(check(self.written), [])
                self.written += 1
        finally:
            record.close()


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("record-north-1-*.sqlite"))


def test_a_backup_taken_while_the_gate_writes_holds_the_same_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, target = gate_config(tmp_path), empty_share(tmp_path)
    record_path = tmp_path / "record.sqlite"
    Record(record_path).close()
    writer = Writer(record_path)
    writer.start()
    try:
        while writer.written < 200:  # the gate has a record worth copying, and goes on
            threading.Event().wait(0.01)
        code = main(["record", "backup", "--config", str(config), "--to", str(target),
                     "--allow-same-disk"])  # fmt: skip
        written_at_backup = writer.written
    finally:
        writer.stop.set()
        writer.join()
    assert code == 0
    [copy] = backups(target)
    said = capsys.readouterr().out
    # the only backup there: said as it is, not as if 14 were kept
    assert "integrity ok" in said and "0 older removed, 1 backup kept (up to 14)" in said
    assert oct(copy.stat().st_mode & 0o777) == oct(0o600)  # health data: its owner's alone
    assert [p.name for p in target.iterdir()] == [copy.name]  # no partial file left behind

    # restored: put in place of the record, and opened by the gate's own record code
    restored = tmp_path / "restored" / "record.sqlite"
    restored.parent.mkdir()
    shutil.copy(copy, restored)
    live, again = Record(record_path), Record(restored)
    try:
        copied = again.checks()
        assert 200 <= len(copied) <= written_at_backup
        # one consistent moment: the first checks of the live record, each the same row
        assert copied == live.checks()[: len(copied)]
    finally:
        live.close()
        again.close()


def test_the_newest_backups_are_kept_and_other_files_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = empty_share(tmp_path)
    config = gate_config(tmp_path, target)
    record = Record(tmp_path / "record.sqlite")
    record.add_check(check(0), [])
    record.close()
    # older backups of this gate (by their UTC stamps), another gate's, and an unrelated file
    old = [target / f"record-north-1-2026120{day}T023000Z.sqlite" for day in range(1, 6)]
    others = [target / "record-north-2-20261201T023000Z.sqlite", target / "notes.txt"]
    for path in old + others:
        path.write_bytes(b"")
    assert main(["record", "backup", "--config", str(config), "--keep", "3",
                 "--allow-same-disk"]) == 0  # fmt: skip
    kept = backups(target)
    assert [p.name for p in kept] == [old[3].name, old[4].name, kept[-1].name]
    assert kept[-1] not in old and all(p.exists() for p in others)
    assert "3 older removed, 3 backups kept (up to 3)" in capsys.readouterr().out


def test_a_folder_on_the_records_own_disk_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = empty_share(tmp_path, "on-the-sd-card")
    config = gate_config(tmp_path, target)
    Record(tmp_path / "record.sqlite").close()
    assert main(["record", "backup", "--config", str(config)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "on the same disk as" in line and "--allow-same-disk" in line
    assert "docs/record.md#the-share" in line  # where mounting a share is told
    assert list(target.iterdir()) == []
    # the share not mounted at all: said so, nothing written anywhere
    assert main(["record", "backup", "--config", str(config), "--to",
                 str(tmp_path / "mnt" / "gate-backup")]) == 2  # fmt: skip
    assert "no such folder (is the share mounted?)" in capsys.readouterr().err


@pytest.mark.skipif(
    not Path("/dev/shm").is_dir(), reason="no /dev/shm (a tmpfs) to stand for a mounted share"
)
def test_a_folder_on_another_filesystem_needs_no_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    share = Path("/dev/shm") / f"gate-backup-{uuid.uuid4().hex[:8]}"
    share.mkdir()
    try:
        if os.stat(share).st_dev == os.stat(tmp_path).st_dev:
            pytest.skip("/dev/shm is on the same filesystem as the tests' temporary folder here")
        config = gate_config(tmp_path, share)
        Record(tmp_path / "record.sqlite").close()
        assert main(["record", "backup", "--config", str(config)]) == 0
        assert len(backups(share)) == 1
    finally:
        shutil.rmtree(share)


def test_two_partitions_of_one_card_are_one_disk(tmp_path: Path) -> None:
    """A gate with a read-only root keeps its record on a partition of its own: the root
    partition of the same card (where an unmounted share's folder is) is the same disk."""
    sysfs = tmp_path / "sys"
    card = sysfs / "devices" / "platform" / "mmc0" / "block" / "mmcblk0"
    stick = sysfs / "devices" / "usb1" / "block" / "sda"
    for disk, partitions in ((card, ("mmcblk0p2", "mmcblk0p3")), (stick, ("sda1",))):
        for partition in partitions:
            (disk / partition).mkdir(parents=True)
            (disk / partition / "partition").write_text("1\n")
    links = sysfs / "dev" / "block"
    links.mkdir(parents=True)
    for number, target in (("179:2", card / "mmcblk0p2"), ("179:3", card / "mmcblk0p3"),
                           ("8:1", stick / "sda1")):  # fmt: skip
        (links / number).symlink_to(target)
    root, state, usb = (disk_of(os.makedev(*pair), sysfs) for pair in ((179, 2), (179, 3), (8, 1)))
    assert root == state != usb
    # a share or a tmpfs is no block device: only itself
    assert disk_of(os.makedev(0, 27), sysfs) not in (root, usb, disk_of(os.makedev(0, 28), sysfs))
