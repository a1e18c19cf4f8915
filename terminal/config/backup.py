"""The record's backups (``gate-terminal record backup``): where they go and how many are kept."""

from __future__ import annotations

from pydantic import Field

from terminal.config.base import PlainPath, Section


class BackupConfig(Section):
    # a folder off the SD card: a share of the centre's or a NAS, mounted there (docs/record.md);
    # relative to the config file's folder. None: every backup names its folder (--to)
    dir: PlainPath | None = None
    # the newest this many backups are kept; older ones are removed after each new backup
    keep: int = Field(default=14, ge=1, le=1000)
