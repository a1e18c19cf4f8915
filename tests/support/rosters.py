"""Roster files (workers, visitors) and a config that reads them."""

from __future__ import annotations

from pathlib import Path

from terminal.config import Config
from tests.conftest import make_config

WORKERS_HEADER = "person_id,name,department,group,nat_tested_at,nat_result\n"


VISITORS_HEADER = "person_id,name,host,visit_from,visit_until\n"


GROUPS = {
    "day": {"windows": ["07:30-08:15", "11:30-12:30", "17:00-17:45"]},
    "night": {"windows": ["22:00-06:30"]},
    "all-day": {"windows": ["*"]},
}


def roster_config(tmp_path: Path, **roster: object) -> Config:
    return make_config(
        tmp_path,
        roster={"visitors": str(tmp_path / "visitors.csv"), **roster},
        shifts={"groups": GROUPS},
    )


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
