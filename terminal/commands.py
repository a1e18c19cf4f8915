"""Commands to the gate over MQTT, checked before anything acts on them.

One function, :func:`parse_command`, takes a topic and the payload bytes and returns a validated
command or a refusal; a verifier of signatures, expiry and nonces slots in front of it with the
same shape. Every field is checked: a payload that is too big, not UTF-8, not JSON, or with a
missing, unknown or out-of-range field is refused (and answered), never acted on, and never
stops the gate. paho's network thread only queues raw messages (:class:`CommandInbox`); the gate
loop parses and acts.
"""

from __future__ import annotations

import json
import logging
import math
import queue
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from terminal.topics import GateTopics

log = logging.getLogger(__name__)

MAX_COMMAND_BYTES = 2048
INBOX_SIZE = 64
ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
# no clinical thermometer reads a living person outside this
CLINICAL_MIN_C = 34.0
CLINICAL_MAX_C = 43.0


class _ResolveSecondaryBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    schema_: Literal["gate.resolve_secondary/1"] = Field(alias="schema")
    command_id: str = Field(pattern=ID_PATTERN)
    flag_id: str = Field(pattern=ID_PATTERN)  # the event_id of the check that raised the flag
    result: Literal["normal", "fever"]
    clinical_c: float = Field(ge=CLINICAL_MIN_C, le=CLINICAL_MAX_C)
    guard: str = Field(pattern=ID_PATTERN)  # who measured: written into the record


@dataclass(frozen=True)
class ResolveSecondary:
    topic: str
    command_id: str
    flag_id: str
    result: Literal["normal", "fever"]
    clinical_c: float
    guard: str


@dataclass(frozen=True)
class Refusal:
    topic: str
    command_id: str | None  # when one could be read from the payload
    problem: str  # one line, naming the field; never the payload's values


Command = ResolveSecondary


def _command_id(data: object) -> str | None:
    if isinstance(data, dict):
        value = data.get("command_id")
        if isinstance(value, str) and len(value) <= 64 and value.isprintable():
            return value
    return None


def _problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "(payload)"
    if first["type"] == "extra_forbidden":
        return f"{field}: unknown field"
    if first["type"] == "missing":
        return f"{field}: required, missing"
    return f"{field}: {first['msg']}"


def parse_command(topic: str, payload: bytes, topics: GateTopics) -> Command | Refusal:
    """A validated command, or why not."""
    if topic != topics.resolve_secondary:
        return Refusal(topic, None, "unknown command")
    if len(payload) > MAX_COMMAND_BYTES:
        return Refusal(topic, None, f"payload larger than {MAX_COMMAND_BYTES} bytes")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(topic, None, "payload is not UTF-8")
    try:
        data = json.loads(text, parse_constant=lambda name: math.nan)
    except (json.JSONDecodeError, RecursionError):
        return Refusal(topic, None, "payload is not JSON")
    if not isinstance(data, dict):
        return Refusal(topic, None, "payload is not a JSON object")
    command_id = _command_id(data)
    try:
        body = _ResolveSecondaryBody.model_validate(data)
    except ValidationError as exc:
        return Refusal(topic, command_id, _problem(exc))
    return ResolveSecondary(
        topic, body.command_id, body.flag_id, body.result, body.clinical_c, body.guard
    )


class CommandInbox:
    """Raw messages from paho's thread to the gate loop. Bounded: a flood is dropped (and said
    once per flood), never allowed to grow without end."""

    def __init__(self, size: int = INBOX_SIZE) -> None:
        self._queue: queue.Queue[tuple[str, bytes]] = queue.Queue(maxsize=size)
        self.dropped = 0

    def put(self, topic: str, payload: bytes) -> None:
        """Called on paho's network thread: no parsing, no acting."""
        try:
            self._queue.put_nowait((topic, bytes(payload)))
        except queue.Full:
            if self.dropped == 0:
                log.warning("command inbox full: dropping commands until the gate catches up")
            self.dropped += 1

    def pending(self) -> int:
        return self._queue.qsize()

    def take(self) -> list[tuple[str, bytes]]:
        taken = []
        while True:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if taken:
            self.dropped = 0
        return taken
