"""The software's version, from one place: ``version`` in pyproject.toml, as the install's
metadata carries it. ``gate-terminal --version`` prints it and every status message carries it
(``software_version``); a release is tagged ``v`` + this version (docs/operations.md)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "gate-terminal"
UNKNOWN = "0+unknown"
# the clone's pyproject.toml, for code run from a clone that was never installed
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def software_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    try:
        with _PYPROJECT.open("rb") as handle:
            project = tomllib.load(handle).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return UNKNOWN
    version = project.get("version") if project.get("name") == DISTRIBUTION else None
    if isinstance(version, str) and re.fullmatch(r"[0-9A-Za-z.+!-]+", version):
        return version
    return UNKNOWN


def release_tag(version: str | None = None) -> str:
    """The git tag of a release: ``v0.2.0`` for version 0.2.0."""
    return "v" + (software_version() if version is None else version)
