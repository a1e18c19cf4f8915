"""Roster files as they come from outside: any path, any bytes, any encoding, any characters.

Whatever a file holds, the gate reads it or refuses it in one line naming file, line and field;
nothing in a roster can hang the gate, fill its memory or forge what a terminal shows.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from terminal.config import ConfigError
from terminal.link.roster_push import RosterPushError, install_roster_text
from terminal.rules.roster import RosterError, RosterFiles, load_roster, read_people_file
from tests.support.rosters import VISITORS_HEADER, WORKERS_HEADER, roster_config, write

W, V = WORKERS_HEADER, VISITORS_HEADER
VISIT = "2026-11-23 09:00,2026-11-23 10:00"


# --- what is read at all --------------------------------------------------------------------------
def test_a_device_is_refused_not_read_into_memory(tmp_path: Path) -> None:
    with pytest.raises(RosterError) as raised:
        read_people_file(Path("/dev/zero"), roster_config(tmp_path))
    assert str(raised.value) == "/dev/zero: roster is not a regular file"


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "workers.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_people_file(fifo, roster_config(tmp_path))
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a FIFO with no writer hangs"
    assert [str(e) for e in outcome] == [f"{fifo}: roster is not a regular file"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
         "is an Excel workbook, not CSV: in Excel, File > Save As > CSV UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
         "is an Excel 97-2003 workbook (.xls), not CSV: in Excel, File > Save As > CSV UTF-8"),
        (b"PK\x03\x04\x14\x00\x00\x08mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
         "is an OpenDocument spreadsheet, not CSV"),
        (b"", "is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "is empty"),
    ],
    ids=["xlsx", "xls", "ods", "empty", "bom-only"],
)  # fmt: skip
def test_a_spreadsheet_or_an_empty_file_is_named_for_what_it_is(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "workers.xlsx"
    path.write_bytes(content)
    with pytest.raises(RosterError) as raised:
        read_people_file(path, roster_config(tmp_path))
    message = str(raised.value)
    assert message.startswith(f"{path}: roster {said}"), message
    assert "header must have" not in message and "UTF-8 text" not in message


# --- encodings ------------------------------------------------------------------------------------
NAMES = [("latin-1", "Müller Zoë"), ("shift_jis", "山田太郎"), ("gb18030", "张三")]


@pytest.mark.parametrize(("encoding", "name"), NAMES, ids=[e for e, _ in NAMES])
def test_a_file_not_in_utf8_is_read_only_in_the_encoding_it_is_named(
    tmp_path: Path, encoding: str, name: str
) -> None:
    path = write(tmp_path / "w.csv", W + f"W1,Ann,A,day,,\nW2,{name},A,day,,\n", encoding)
    config = roster_config(tmp_path)
    with pytest.raises(RosterError) as raised:
        read_people_file(path, config)  # never guessed: a guess garbles names without a word
    assert str(raised.value) == (
        f"{path}:3: roster is not UTF-8 text: pass --encoding (gb18030 for Excel's CSV on a "
        'Chinese Windows, shift_jis on a Japanese one, latin-1) or save it as "CSV UTF-8"'
    )
    read = read_people_file(path, config, encoding)
    assert [p.name for p in read.people] == ["Ann", name]


def test_a_file_that_is_not_in_the_named_encoding_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", W + "W1,张三,A,day,,\n", "gb18030")
    with pytest.raises(RosterError) as raised:
        read_people_file(path, roster_config(tmp_path), "ascii")
    assert str(raised.value) == f"{path}:2: roster is not ascii text"
    with pytest.raises(RosterError, match=r"w\.csv: unknown encoding 'klingon'"):
        read_people_file(path, roster_config(tmp_path), "klingon")


def test_the_gate_reads_its_files_in_roster_encoding(tmp_path: Path) -> None:
    write(tmp_path / "workers.csv", W + "W1,张三,A,day,,\n", "gb18030")
    plain = roster_config(tmp_path)
    with pytest.raises(RosterError) as raised:
        load_roster(plain)
    assert f"set roster.encoding in {plain.source} (gb18030" in str(raised.value)
    named = roster_config(tmp_path, encoding="gb18030")
    person = load_roster(named).get("W1")
    assert person is not None and person.name == "张三"
    with pytest.raises(ConfigError, match=r"roster\.encoding: .*unknown encoding 'base64'"):
        roster_config(tmp_path, encoding="base64")


# --- characters that forge what is shown ---------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ('W1,"Ann\x1b[2J",A,day,,', "name", "U+001B"),  # clears a terminal
        ('W1,"Ann\nW9\tForged",A,day,,', "name", "U+000A"),  # a quoted newline: a forged line
        ("W1,\u202eAnn,A,day,,", "name", "U+202E"),  # right-to-left override
        ("W1,Ann,Assembly\u200b,day,,", "department", "U+200B"),  # zero-width space
        ("W1,Ann,A,day\x07,,", "group", "U+0007"),
        ("W\u20281,Ann,A,day,,", "person_id", "U+2028"),  # a line separator
        ("W1,Ann,A,day,2026-11-22 08:00,negative\x1b", "nat_result", "U+001B"),
    ],
)
def test_control_and_formatting_characters_are_refused_in_every_field(
    tmp_path: Path, row: str, column: str, code: str
) -> None:
    path = write(tmp_path / "w.csv", W + row + "\n")
    with pytest.raises(RosterError) as raised:
        read_people_file(path, roster_config(tmp_path))
    assert str(raised.value) == (
        f"{path}:2: {column}: holds a control or formatting character ({code})"
    )


def test_a_visitors_host_with_a_control_character_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "v.csv", V + f"V1,Ann,Li\x1b]0;pwned\x07 Wei,{VISIT}\n")
    with pytest.raises(RosterError, match=r"v\.csv:2: host: holds a control .*\(U\+001B\)$"):
        read_people_file(path, roster_config(tmp_path))


def test_a_pushed_roster_with_a_control_character_is_refused(tmp_path: Path) -> None:
    config = roster_config(tmp_path)
    installed = write(tmp_path / "workers.csv", W + "W1,Ann,A,day,,\n")
    before = installed.read_bytes()
    with pytest.raises(RosterPushError) as raised:
        install_roster_text(config, "workers", W + "W1,Ann,A,day,,\nW2,\u202eBob,A,day,,\n")
    assert str(raised.value) == (
        "pushed workers roster:3: name: holds a control or formatting character (U+202E)"
    )
    assert installed.read_bytes() == before


# --- every problem at once ------------------------------------------------------------------------
def test_every_problem_of_a_file_is_found_in_one_reading(tmp_path: Path) -> None:
    path = write(
        tmp_path / "w.csv",
        W
        + "W1,Ann,A,day,,\n"
        + "W|2,,A,evening,2026-11-22 08:00,maybe\n"  # four problems in one row
        + "W3,Cy,A\n"  # a row too short
        + "W1,Dee,A,day,,\n",  # W1 again
    )
    with pytest.raises(RosterError) as raised:
        read_people_file(path, roster_config(tmp_path))
    assert raised.value.problems == (
        f"{path}:3: person_id: must be 1 to 64 letters (A-Z, a-z, no accents or Chinese "
        "characters), digits, '.', '_' or '-', starting with a letter or digit",
        f"{path}:3: name: is empty",
        f"{path}:3: group: no such group in shifts.groups (all-day, day, night)",
        f"{path}:3: nat_result: must be negative or positive (阴性 or 阳性)",
        f"{path}:4: expected 6 columns, got 3",
        f"{path}:5: person_id: appears twice (also on line 2)",
    )
    # logged at the gate: one line, the first problem and how many more
    assert str(raised.value) == raised.value.problems[0] + " (and 5 more problems)"


# --- the visitors file is optional ---------------------------------------------------------------
def test_a_missing_visitors_file_means_no_visitors_and_a_warning_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = roster_config(tmp_path)
    write(tmp_path / "workers.csv", W + "W1,Ann,A,day,,\n")
    with caplog.at_level(logging.WARNING, logger="terminal.rules.roster"):
        files = RosterFiles(config)
    assert files.current.describe() == "1 workers, 0 visitors"
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path / 'visitors.csv'}: no visitors file (roster.visitors in {config.source}): "
        "no visitor is let in until one is installed"
    ]
    # once installed, the running gate takes it
    write(tmp_path / "visitors.csv", V + f"V1,Bo,Host,{VISIT}\n")
    assert files.refresh(now_please=True)
    assert files.current.describe() == "1 workers, 1 visitors"


def test_a_visitors_file_that_is_there_but_broken_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "workers.csv", W + "W1,Ann,A,day,,\n")
    write(tmp_path / "visitors.csv", V + f"V1,Bo,,{VISIT}\n")
    with pytest.raises(RosterError, match=r"visitors\.csv:2: host: is empty"):
        load_roster(roster_config(tmp_path))


def test_a_utf8_file_named_as_another_encoding_is_not_garbled(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", W + "W1,张三,A,day,,\n")
    with pytest.raises(RosterError) as raised:
        read_people_file(path, roster_config(tmp_path), "gb18030")
    assert str(raised.value) == f"{path}: roster is UTF-8 text, not gb18030: read it as UTF-8"
    assert read_people_file(path, roster_config(tmp_path), "UTF8").people[0].name == "张三"
