"""The simulated record's file: each run writes a fresh one, so its summary is this shift's alone,
and only a file the simulator made itself (a record carrying its mark) is ever replaced. Whatever
else stands where a simulated record should go (a real gate's record, a text file, a config) is
refused, with one line naming the file and saying what to do."""

from __future__ import annotations

from pathlib import Path

from simulator.progress import is_shift_log, shift_log_path
from terminal.common.errors import GateError
from terminal.config import Config
from terminal.record.store import is_simulated_record

# SQLite's files begin with this (the file format's header string)
SQLITE_HEADER = b"SQLite format 3\x00"


class RecordInUse(GateError, ValueError):
    pass


def what_is_there(path: Path) -> str:
    """What the file at ``path`` is, in the words of the refusal: why it is not replaced."""
    if path.is_dir():
        return "a folder"
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"a file that cannot be read ({exc.strerror or type(exc).__name__})"
    if header != SQLITE_HEADER:
        return "not an SQLite file"
    return "an SQLite file without the simulator's mark (a real gate's record, perhaps)"


def refuse_unless_simulated(path: Path, elsewhere: str) -> None:
    """Refuse a file at ``path`` the simulator did not make; ``elsewhere`` says how to give the
    run another place (the config's key or the option the path came from)."""
    if not path.exists():
        return
    if path.is_file() and is_simulated_record(path):
        return
    raise RecordInUse(
        f"{path}: exists and is not a record the simulator made; not replaced"
        f" ({what_is_there(path)}); move it away, or {elsewhere}"
    )


def claim_simulated_record(config: Config, record_path: Path | None) -> Path:
    """Where this run's record goes, once it is known that nothing but a record the simulator
    made is there. This only checks; the file is replaced when the run starts."""
    elsewhere = "give another --record FILE"
    if record_path is None:
        if config.gate.hardware != "simulated":
            raise RecordInUse(
                f"{config.source}: gate.hardware is {config.gate.hardware!r}, so record.path is a "
                "real gate's record; simulate with a simulated config, or give --record"
            )
        record_path = config.resolved(config.record.path)
        elsewhere = f"set another record.path in {config.source}, or give --record FILE"
    refuse_unless_simulated(record_path, elsewhere)
    log = shift_log_path(record_path)
    if log.exists() and not (log.is_file() and is_shift_log(log)):
        raise RecordInUse(
            f"{log}: exists and is not a shift's log the simulator wrote; not replaced; move it"
            f" away, or {elsewhere} (the shift's log goes beside the record)"
        )
    return record_path


def peer_record(record_path: Path, gate: str) -> Path:
    """Another gate's simulated record, beside the main one; only a simulated one is replaced."""
    path = record_path.with_name(f"{record_path.stem}.{gate}{record_path.suffix}")
    # the zone's other gates' records go beside the main one: another place for it moves them
    refuse_unless_simulated(path, "give another --record FILE")
    return path


def replace_simulated_record(path: Path) -> None:
    """Remove the previous run's record (checked by :func:`claim_simulated_record`), with its
    write-ahead log."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
