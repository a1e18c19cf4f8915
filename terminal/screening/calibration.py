"""Each thermometer's calibration offset, measured against a blackbody or a reference
thermometer by ``gate-terminal sensor calibrate`` and kept in a small JSON file
(``thermometer.calibration_path``), keyed by the sensor's SMBus address."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

from terminal.common.safefile import UnreadableFile, read_regular_text
from terminal.config import Config, ConfigError

MAX_OFFSET_C = 3.0  # more than this and the sensor, or the reference in view, is wrong
# a few sensors' offsets, a few hundred bytes; more is another file named by mistake
MAX_CALIBRATION_BYTES = 64 * 1024


def _key(address: int) -> str:
    return f"{address:#04x}"


def calibration_file(config: Config) -> Path | None:
    path = config.thermometer.calibration_path
    return None if path is None else config.resolved(path).resolve()


def load_offsets(config: Config) -> dict[int, float]:
    """Offsets by address; a sensor never calibrated has 0. A broken file is an error naming it."""
    path = calibration_file(config)
    if path is None or not path.exists():
        return {}
    data = _read(path)
    offsets: dict[int, float] = {}
    for address in config.thermometer.addresses:
        entry = data.get(_key(address)) if isinstance(data, dict) else None
        if entry is None:
            continue
        offset = entry.get("offset_c") if isinstance(entry, dict) else None
        if not isinstance(offset, int | float) or not math.isfinite(offset):
            raise ConfigError(f"{path}: {_key(address)}.offset_c: must be a number")
        if abs(offset) > MAX_OFFSET_C:
            raise ConfigError(f"{path}: {_key(address)}.offset_c: beyond ±{MAX_OFFSET_C} °C")
        offsets[address] = float(offset)
    return offsets


def save_offset(path: Path, address: int, offset_c: float, reference_c: float) -> None:
    """Written to a temporary file and renamed: a crash never leaves half a calibration."""
    data: dict = {}
    if path.exists():
        # something else at that path (a device, a FIFO, a huge file) is refused, never replaced
        kept = _json_or_none(_text(path))
        data = kept if isinstance(kept, dict) else {}  # a broken calibration gives way
    data[_key(address)] = {
        "offset_c": round(offset_c, 2),
        "reference_c": reference_c,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _text(path: Path) -> str:
    try:
        return read_regular_text(path, max_bytes=MAX_CALIBRATION_BYTES, what="the calibration")
    except UnreadableFile as exc:
        raise ConfigError(str(exc)) from None


def _json_or_none(text: str) -> object:
    try:
        return _json(text, Path())
    except ConfigError:
        return None


def _json(text: str, path: Path) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: cannot read the calibration: {exc}") from None
    except RecursionError:  # json nests by recursion: a few thousand brackets end it
        raise ConfigError(f"{path}: cannot read the calibration: nested too deeply") from None


def _read(path: Path) -> object:
    """The calibration file's JSON; a FIFO, a device, a huge or a broken file is one line."""
    return _json(_text(path), path)
