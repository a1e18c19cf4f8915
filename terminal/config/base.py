"""What every section of the config shares: the strict base model, its error, and the checked
kinds of value (plain text, paths, pins, names, time zones) the sections are built of."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

from terminal.common.errors import GateError
from terminal.common.safetext import check_plain_text

BcmPin = Annotated[int, Field(ge=2, le=27)]
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # MQTT topic level: no '/', '+' or '#'


class ConfigError(GateError, ValueError):
    pass


# a gate's config is a few hundred lines; more than this is a wrong path, not a config
MAX_CONFIG_BYTES = 1 << 20
MAX_CREDENTIALS_BYTES = 16 * 1024  # a username and a password
MAX_PEM_BYTES = 256 * 1024  # a certificate chain or a key

# the broker's users that are not gates (config/mosquitto/acl): a gate with one of these ids
# would be taken for the centre's own clients
RESERVED_GATE_IDS = ("centre", "dashboard", "security-desk")


def _plain(value: str) -> str:
    # a newline or a bidirectional mark in a text shown on a screen, a terminal, a log line or
    # an MQTT message would let the config forge what the people reading it see
    return check_plain_text(value, "the text")


def _plain_path(value: Path) -> Path:
    check_plain_text(str(value), "the path")
    return value


def _plain_device(value: int | str) -> int | str:
    return value if isinstance(value, int) else _plain(value)


# free text from the config that reaches a screen, a log or a message
PlainText = Annotated[str, AfterValidator(_plain)]
# a file the config names: it is printed in errors and logs
PlainPath = Annotated[Path, AfterValidator(_plain_path)]


# the example configuration's value for what each installation must set itself
PLACEHOLDER = "CHANGE-ME"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    # OSError: a name longer than a file name can be (the zone database is a folder of files)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = value if len(value) <= 64 else value[:64] + "..."
        raise ValueError(f"unknown time zone {shown!r} (e.g. 'Asia/Shanghai')") from None
    return value


# an IANA time zone name, as the gate and the centre both take it
TimeZoneName = Annotated[str, AfterValidator(_known_timezone)]

# a gate's id: an MQTT topic level
GateId = Annotated[str, Field(pattern=NAME_PATTERN)]
