"""Reading a config file: TOML of a sane size, validated, every error one line that names the
file and each key at fault."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import (
    ValidationError,
)

from terminal.common.safefile import UnreadableFile, read_regular_file
from terminal.config.base import (
    MAX_CONFIG_BYTES,
    PLACEHOLDER,
    ConfigError,
    Section,
)
from terminal.config.model import Config


def _key_part(part: object) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    text = str(part)
    # a key typed with a control character is shown quoted, so the message stays one line
    return f".{text}" if text.isprintable() and text else f".{text!r}"


def _describe(error: dict) -> str:
    key = "".join(_key_part(part) for part in error["loc"]).lstrip(".")
    key = key or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required, missing"
    return f"{key}: {' '.join(str(error['msg']).split())}"


def _placeholders(data: object, key: str = "") -> list[str]:
    """Keys still holding the example configuration's placeholder values."""
    if isinstance(data, dict):
        return [
            k for name, v in data.items() for k in _placeholders(v, f"{key}.{name}".lstrip("."))
        ]
    if isinstance(data, list):
        return [k for i, v in enumerate(data) for k in _placeholders(v, f"{key}[{i}]")]
    return [key] if isinstance(data, str) and PLACEHOLDER in data.upper() else []


SectionT = TypeVar("SectionT", bound=Section)


def validated(model: type[SectionT], data: dict, source: Path) -> SectionT:
    """``data`` as ``model`` (which has a ``source`` field), or a :class:`ConfigError` that names
    the file and every key at fault. The gate's config and the centre's both come through here."""
    unset = _placeholders(data)
    if unset:
        raise ConfigError(
            f"{source}: {unset[0]}: still the example's placeholder; set the real value"
            + (f" (and {len(unset) - 1} more: {', '.join(unset[1:])})" if len(unset) > 1 else "")
        )
    try:
        return model.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors(include_url=False))  # type: ignore[arg-type]
        raise ConfigError(f"{source}: {problems}") from None


def parse(data: dict, source: Path) -> Config:
    return validated(Config, data, source)


def read_toml(path: Path) -> dict:
    """A config file's TOML; its errors name the file. Only a regular file of a sane size is
    read: a FIFO or a device named by mistake (or on purpose) must not hang or exhaust the gate."""
    try:
        raw = read_regular_file(path, max_bytes=MAX_CONFIG_BYTES, what="config")
    except UnreadableFile as exc:
        raise ConfigError(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib parses nested arrays and tables by recursion: a few thousand levels end it
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except ValueError:
        # Python refuses to turn an integer of more than 4,300 digits into a number
        raise ConfigError(f"{path}: not valid TOML: a number too long to be a setting") from None
    if "source" in data:
        raise ConfigError(f"{path}: source: unknown key")
    return data


def load(path: Path) -> Config:
    return parse(read_toml(path), path.resolve())
