"""The operations centre's configuration: one TOML file, validated at start-up, in the gate's
house style (terminal/config.py): every error names the file and the key, unknown keys are
errors, and secrets (the broker's password, the database's password, the command signing key)
live in files of their own, named here, readable by the centre alone."""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, field_validator, model_validator

from terminal.centre.database import sqlite_path
from terminal.centre.store import BoardSettings
from terminal.codes.healthcode import KEY_ID_PATTERN, KeyProblem, load_private_key
from terminal.common.safefile import (
    MAX_KEY_BYTES,
    UnreadableFile,
    read_regular_file,
    read_regular_text,
)
from terminal.common.secretfile import check_secret_file
from terminal.config import (
    NAME_PATTERN,
    BrokerLogin,
    ConfigError,
    Section,
    TimeZoneName,
    read_toml,
    validated,
)

__all__ = ["CentreConfig", "ConfigError", "load_centre", "parse_centre"]

HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class CentreMqttConfig(BrokerLogin):
    # each collector's own MQTT client id; empty: made from the park and the host name. Give a
    # fixed one per collector: the broker keeps its session (and its messages) across a restart
    # only under the same id
    client_id: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    # how long the broker keeps a stopped collector's session and queued messages
    session_expiry_s: int = Field(default=3600, ge=0, le=7 * 86_400)


class DatabaseConfig(Section):
    # "sqlite:///var/centre.db" (relative to this file's folder), or "postgresql://user@host/db"
    url: str = "sqlite:///var/centre.db"
    # PostgreSQL's password, alone in a file (0600); never in the URL
    password_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if sqlite_path(value) is None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("not sqlite:///FILE or postgresql://USER@HOST/DATABASE")
        if value.startswith(("postgresql://", "postgres://")):
            userinfo = value.split("://", 1)[1].split("@", 1)
            if len(userinfo) == 2 and ":" in userinfo[0]:
                raise ValueError("a password in the URL: put it in the file named by password_file")
        return value

    @field_validator("password_file")
    @classmethod
    def _secret(cls, value: Path | None) -> Path | None:
        if value is not None:
            check_secret_file(value, "the database's password")
        return value

    def password(self) -> str | None:
        if self.password_file is None:
            return None
        what = "the database's password"
        text = read_regular_text(self.password_file, max_bytes=MAX_KEY_BYTES, what=what)
        return text.strip() or None


class WebConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=1, le=65535)
    # behind a reverse proxy that terminates TLS: the session cookie is sent only over HTTPS
    behind_tls: bool = False
    session_hours: float = Field(default=12.0, gt=0, le=24 * 14)
    language: Literal["zh", "en"] = "zh"
    # failed logins before a name is locked out for lockout_s
    login_attempts: int = Field(default=5, ge=1, le=100)
    lockout_s: float = Field(default=300.0, ge=1, le=86_400)


class CollectorConfig(Section):
    # collectors in the same group share the park's messages (MQTT shared subscription)
    share_group: str = Field(default="centre", pattern=NAME_PATTERN)
    # an online gate that sent neither status nor metrics for this long is shown as silent
    # (a gate sends metrics every half minute)
    offline_after_s: float = Field(default=90.0, ge=10, le=3600)
    # the local time after which a gate without today's daily report is late
    report_due_at: str = Field(default="23:59", pattern=HH_MM)
    # messages stored per transaction, at most (more is faster; each waits for its batch)
    batch_max: int = Field(default=200, ge=1, le=10_000)


class CentreCommandsConfig(Section):
    # the id the gates know the centre's key by ([[commands.keys]] key_id in gate.toml)
    key_id: str = Field(pattern=KEY_ID_PATTERN)
    # the centre's Ed25519 private key (`gate-terminal command keygen`), mode 0600
    key_file: Path
    lifetime_s: float = Field(default=60.0, ge=5, le=3600)

    @field_validator("key_file")
    @classmethod
    def _private_key(cls, value: Path) -> Path:
        check_secret_file(value, "the command signing key")
        try:
            load_private_key(_key_bytes(value))
        except (KeyProblem, UnreadableFile) as exc:
            raise ValueError(f"{value}: {exc}") from None
        return value

    def private_key(self) -> Ed25519PrivateKey:
        return load_private_key(_key_bytes(self.key_file))


def _key_bytes(path: Path) -> bytes:
    return read_regular_file(path, max_bytes=MAX_KEY_BYTES, what="the command signing key")


class SecondaryConfig(Section):
    # as the gates' [secondary] clinical_fever_c: the desk derives a reading's result from it
    clinical_fever_c: float = Field(default=37.3, ge=35.0, le=42.0)
    # as the gates' [secondary] escalate_after_s (the centre cannot read the gates' configs): a
    # flag nobody took at the desk this long after its first alert is raised again to
    # escalate_to, with a banner and a sound of its own; the lane is not affected
    escalate_after_s: float = Field(default=180.0, ge=10, le=3600)
    # the centre's role that sees an escalated flag raised (the gates' "officer")
    escalate_to: Literal["health_officer", "guard"] = "health_officer"


class RetentionConfig(Section):
    # what the gates sent about people (checks, readings, flags, passages, vehicles' drivers,
    # roll calls) is forgotten after this many days, as at the gates (record.retention_days)
    health_days: int = Field(default=30, ge=1, le=3650)
    # the daily counts (the gates' zero-reports) and the audit log are kept this long
    counts_days: int = Field(default=1095, ge=1, le=36_500)

    @model_validator(mode="after")
    def _counts_outlive_health_data(self) -> RetentionConfig:
        if self.counts_days < self.health_days:
            raise ValueError(
                f"counts_days ({self.counts_days}) is shorter than health_days "
                f"({self.health_days}): the counts are kept at least as long as what they count"
            )
        return self


class PrivacyConfig(Section):
    # what erasing a person does: pseudonymise (the rows stay, under a pseudonym: the park's
    # inspection rules keep the record of every check for the retention period) or delete
    # (where the park may delete); the same at the centre and at every gate
    erasure: Literal["pseudonymise", "delete"] = "pseudonymise"


class CentreConfig(Section):
    park: str = Field(pattern=NAME_PATTERN)
    timezone: TimeZoneName = "Asia/Shanghai"
    mqtt: CentreMqttConfig = CentreMqttConfig()
    database: DatabaseConfig = DatabaseConfig()
    web: WebConfig = WebConfig()
    collector: CollectorConfig = CollectorConfig()
    commands: CentreCommandsConfig | None = None
    secondary: SecondaryConfig = SecondaryConfig()
    retention: RetentionConfig = RetentionConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    # the gates the park expects: shown on the board before they ever report
    gates: list[str] = Field(default_factory=list, max_length=1000)
    source: Path = Path("<memory>")

    @field_validator("gates")
    @classmethod
    def _gate_ids(cls, value: list[str]) -> list[str]:
        for index, gate in enumerate(value):
            if not gate or len(gate) > 64 or not all(c.isalnum() or c in "_-" for c in gate):
                raise ValueError(f"[{index}]: {gate!r} is not a gate id (letters, digits, _ -)")
        if len(set(value)) != len(value):
            raise ValueError("a gate is listed twice")
        return value

    def database_url(self) -> str:
        """The database URL, an SQLite file relative to this config file's folder."""
        path = sqlite_path(self.database.url)
        if path is None or path.is_absolute() or str(path) == ":memory:":
            return self.database.url
        return f"sqlite:///{self.source.parent / path}"

    def board_settings(self) -> BoardSettings:
        hours, minutes = (int(x) for x in self.collector.report_due_at.split(":"))
        return BoardSettings(
            offline_after_s=self.collector.offline_after_s,
            report_due_at=time(hours, minutes),
            timezone=self.timezone,
            expected_gates=tuple((self.park, gate) for gate in self.gates),
            command_lifetime_s=self.commands.lifetime_s if self.commands else 60.0,
        )


def _resolve_paths(data: dict, folder: Path) -> dict:
    """Relative file paths are taken from the config file's folder (as the gate's are)."""
    keys = {
        "mqtt": ("credentials_file", "ca_file", "cert_file", "key_file"),
        "database": ("password_file",),
        "commands": ("key_file",),
    }
    out = dict(data)
    for section, names in keys.items():
        values = out.get(section)
        if not isinstance(values, dict):
            continue
        values = dict(values)
        for name in names:
            value = values.get(name)
            if isinstance(value, str) and value and not os.path.isabs(value):
                values[name] = str(folder / value)
        out[section] = values
    return out


def parse_centre(data: dict, source: Path) -> CentreConfig:
    """A config from a dict (a parsed TOML file, or one made in code); ``source`` names it in
    errors and anchors relative paths."""
    folder = source.parent if source.name != "<memory>" else Path.cwd()
    return validated(CentreConfig, _resolve_paths(data, folder), source)


def load_centre(path: Path, *, commands: bool = True) -> CentreConfig:
    """``commands`` false: the [commands] section is left out, its signing key unread (managing
    the staff signs nothing, and may run where the key is not)."""
    data = read_toml(path)
    if not commands:
        data = {key: value for key, value in data.items() if key != "commands"}
    return parse_centre(data, path.resolve())
