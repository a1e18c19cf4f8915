"""A person's own data at the gate: the two commands the centre sends for it.

``export_person``: everything the record holds about one person, and their line of the roster
files, goes to the centre on ``person/data`` in pages (each far under the largest message), in
the outbox like any event: sent when the broker is reachable, kept until it has them.
``erase_person``: the record pseudonymises (or deletes) the person's rows in one transaction
(:mod:`terminal.record.persons`), and their line leaves the installed roster files, so that the
gate no longer knows them.

Neither result names the person (results are read by dashboards): the centre knows whom it asked.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from terminal.config import Config
from terminal.link import contract
from terminal.link.commands import Command, CommandContext, CommandRefused, CommandRegistry
from terminal.link.topics import new_event_id
from terminal.rules.roster import PeopleFile, RosterError, read_people_file
from terminal.rules.roster_install import configured_path, install_roster

log = logging.getLogger(__name__)
ROSTER_KINDS = ("workers", "visitors")


def _installed_rosters(config: Config) -> Iterator[tuple[str, Path, PeopleFile]]:
    """Each roster file the gate reads (its kind, where it is, what it holds)."""
    for kind in ROSTER_KINDS:
        path = configured_path(config, kind)
        if path is None or not path.exists():
            continue
        try:
            people = read_people_file(path, config, config.roster.encoding)
        except RosterError as exc:  # the gate refused this file when it loaded it, too
            raise CommandRefused(f"roster.{kind}: {exc}") from None
        yield kind, path, people


def _roster_lines(config: Config, person_id: str) -> list[dict[str, Any]]:
    """The person's line of each roster file the gate reads, as columns -> cells."""
    lines: list[dict[str, Any]] = []
    for kind, _path, people in _installed_rosters(config):
        for row in people.rows:
            if row[0] == person_id:
                lines.append({"kind": kind, **dict(zip(people.columns, row, strict=False))})
    return lines


def _drop_from_roster(config: Config, person_id: str) -> int:
    """Remove the person's line from the installed roster files (atomically, as a push
    installs); how many lines went."""
    removed = 0
    for kind, path, people in _installed_rosters(config):
        rows = tuple(row for row in people.rows if row[0] != person_id)
        if len(rows) == len(people.rows):
            continue
        kept = dataclasses.replace(
            people,
            rows=rows,
            people=tuple(p for p in people.people if p.person_id != person_id),
            lines={k: v for k, v in people.lines.items() if k != person_id},
        )
        try:
            install_roster(kept, path, config)
        except RosterError as exc:
            raise CommandRefused(f"roster.{kind}: {exc}") from None
        removed += len(people.rows) - len(rows)
    return removed


def export_person(command: Command, context: CommandContext) -> str:
    payload = command.payload
    assert isinstance(payload, contract.ExportPersonPayload)
    tables = context.record.person_data(payload.person_id)
    roster = _roster_lines(context.config, payload.person_id)
    if roster:
        tables["roster"] = roster
    now = context.now()
    try:
        pages = context.messages.person_data(command.command_id, payload.person_id, now, tables)
    except ValueError as exc:  # more pages than an answer has: nothing is sent
        raise CommandRefused(str(exc)) from None
    context.record.add_event(new_event_id(), pages, now)
    rows = sum(len(rows) for rows in tables.values())
    log.info(
        "a person's data asked by %s: %d rows in %d pages", command.issued_by, rows, len(pages)
    )
    return f"{rows} rows in {len(pages)} pages on person/data"


def erase_person(command: Command, context: CommandContext) -> str:
    payload = command.payload
    assert isinstance(payload, contract.ErasePersonPayload)
    if context.state.shut:
        raise CommandRefused("the record cannot be written: nothing was erased")
    # the roster first: a person the gate no longer knows is refused, whatever else fails
    removed = _drop_from_roster(context.config, payload.person_id)
    if removed:
        context.reload_roster()
    counts = context.record.erase_person(payload.person_id, payload.pseudonym, payload.mode)
    log.warning("a person erased (%s) by %s", payload.mode, command.issued_by)
    return f"{payload.mode}: {counts.summary()}; roster lines removed: {removed}"


def register(registry: CommandRegistry) -> None:
    registry.register("export_person", contract.ExportPersonPayload, export_person)
    registry.register("erase_person", contract.ErasePersonPayload, erase_person)
