"""The broker link: address, TLS, the login and the credentials file it is read from."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Self

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from terminal.common.safefile import UnreadableFile, read_regular_file
from terminal.common.secretfile import check_secret_file
from terminal.config.base import (
    MAX_CREDENTIALS_BYTES,
    MAX_PEM_BYTES,
    PLACEHOLDER,
    ConfigError,
    PlainPath,
    PlainText,
    Section,
)


class BrokerLogin(Section):
    """How to reach and log in to the park's broker: the gate's and the centre's alike."""

    host: PlainText = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    # a TOML file with `username` and `password`, readable by the service alone: the main config
    # is copied around and shown; the broker's password is not
    credentials_file: PlainPath | None = None
    # person ids and temperatures cross the park's network: encrypt them (port 8883 by custom)
    tls: bool = False
    ca_file: PlainPath | None = None  # the broker's certificate authority; None: the system's
    cert_file: PlainPath | None = None  # this terminal's client certificate, where the broker asks
    key_file: PlainPath | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_password_here(cls, data: object) -> object:
        if isinstance(data, dict) and ({"password", "username"} & set(data)):
            raise ValueError(
                "username and password go in the file named by credentials_file, not here"
            )
        return data

    def credentials(self) -> tuple[str | None, str | None]:
        """(username, password) from the credentials file, or (None, None)."""
        if self.credentials_file is None:
            return None, None
        data = read_credentials(self.credentials_file)
        return data.username, data.password

    @field_validator("ca_file", "cert_file", "key_file", "credentials_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            # a FIFO or a device would hang or exhaust the gate when read
            there = value.exists()
            raise ValueError(f"{value}: not a regular file" if there else f"no such file: {value}")
        return value

    @field_validator("ca_file", "cert_file", "key_file")
    @classmethod
    def _a_pem_file(cls, value: Path | None) -> Path | None:
        # read by the TLS library when connecting: a FIFO or a device there would hang or
        # exhaust the gate then, so it is refused here, at start
        if value is not None:
            try:
                read_regular_file(value, max_bytes=MAX_PEM_BYTES, what="a TLS file")
            except UnreadableFile as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("key_file")
    @classmethod
    def _key_ours(cls, value: Path | None) -> Path | None:
        if value is not None:
            check_secret_file(value, "the TLS private key")
        return value

    @field_validator("credentials_file")
    @classmethod
    def _valid_credentials(cls, value: Path | None) -> Path | None:
        if value is not None:
            check_secret_file(value, "the broker's password")
            read_credentials(value)  # at start-up: its errors name the file and the key
        return value

    @model_validator(mode="after")
    def _tls_files(self) -> Self:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        if not self.tls and (self.ca_file or self.cert_file):
            raise ValueError("ca_file, cert_file and key_file need tls = true")
        return self


class MqttConfig(BrokerLogin):
    # more unsent messages than this is a fault the centre is told of (nothing is dropped)
    max_backlog: int = Field(default=100_000, ge=10, le=10_000_000)
    # a gate on real hardware speaks TLS to the broker; without it, on a network closed to
    # everyone else only, this says so on purpose (and every start logs a warning)
    insecure_plaintext: bool = False

    @model_validator(mode="after")
    def _plaintext_on_purpose(self) -> Self:
        if self.insecure_plaintext and self.tls:
            raise ValueError("insecure_plaintext: only with tls = false")
        return self


class Credentials(Section):
    username: PlainText = Field(min_length=1, max_length=129)  # park/gate
    password: str = Field(min_length=1, max_length=256, repr=False)


def read_credentials(path: Path) -> Credentials:
    """The broker login; errors name the file and key, never the password."""
    try:
        text = read_regular_file(path, max_bytes=MAX_CREDENTIALS_BYTES, what="credentials")
        data = tomllib.loads(text.decode("utf-8"))
    except UnreadableFile as exc:
        raise ConfigError(str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: cannot read credentials: {type(exc).__name__}") from None
    unset = [key for key, value in data.items() if isinstance(value, str) and PLACEHOLDER in value]
    if unset:
        raise ConfigError(
            f"{path}: {unset[0]}: still the example's placeholder; set the real value"
        )
    try:
        return Credentials.model_validate(data)
    except ValidationError as exc:
        # the error's type only, never its text, which may quote the password; our own
        # checks' messages (value_error) say what is wrong without the value
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: "
            f"{e['msg'] if e['type'] == 'value_error' else e['type']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"{path}: {problems}") from None
