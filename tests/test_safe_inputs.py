"""The shared readers of outside files and texts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.common.safefile import UnreadableFile, read_regular_file, read_regular_text
from terminal.common.safetext import check_plain_text, printable, unsafe_character


def test_a_device_is_refused_before_reading() -> None:
    with pytest.raises(UnreadableFile, match="/dev/zero: roster is not a regular file"):
        read_regular_file(Path("/dev/zero"), max_bytes=1024, what="roster")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "workers.csv"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFile, match="not a regular file"):
        read_regular_file(fifo, max_bytes=1024, what="roster")


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "calibration.json"
    big.write_bytes(b"x" * 2049)
    with pytest.raises(UnreadableFile, match="larger than 2 KiB"):
        read_regular_file(big, max_bytes=2048, what="calibration")
    assert read_regular_file(big, max_bytes=4096, what="calibration") == b"x" * 2049


def test_missing_and_non_utf8_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot read config: No such file"):
        read_regular_text(tmp_path / "none.toml", max_bytes=10, what="config")
    latin = tmp_path / "gate.toml"
    latin.write_bytes("name = 'café'".encode("latin-1"))
    with pytest.raises(UnreadableFile, match="not UTF-8 text"):
        read_regular_text(latin, max_bytes=100, what="config")


@pytest.mark.parametrize(
    "text",
    ["Zhang\nSan", "\x1b[2J", "abc\u202edcba", "a\u200bb", "a\u2028b", "tab\there", "a\u00a0b"],
)
def test_control_and_format_characters_are_refused(text: str) -> None:
    assert unsafe_character(text) is not None
    with pytest.raises(ValueError, match="name holds a control or formatting character"):
        check_plain_text(text, "name")
    shown = printable(text)
    assert unsafe_character(shown) is None
    assert "\n" not in shown and "\x1b" not in shown


@pytest.mark.parametrize("text", ["张三", "Zoë O'Brien", "Room 2, east wing", "李-四 (visitor)"])
def test_ordinary_names_pass_unchanged(text: str) -> None:
    assert check_plain_text(text, "name") == text
    assert printable(text) == text


def test_rare_name_characters_outside_the_assigned_planes_pass() -> None:
    # private use (a rare surname character in a vendor font), and a CJK extension character
    for text in ["\ue000", "王\U00031350"]:
        assert check_plain_text(text, "name") == text
