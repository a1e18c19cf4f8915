"""The terminal's configuration: one TOML file, validated at start-up.

Every error names the file and the key (``config/gate.toml: relay.pin: ...``) so the installer
knows what to fix. Unknown keys are errors too: a misspelt key would otherwise be silently ignored
and its default used.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from terminal.codes.healthcode import (
    KEY_ID_PATTERN,
    KeyProblem,
    SignedCodeRules,
    SignedCodeVerifier,
    Verifiers,
    parse_public_key,
    published_simulator_key,
)
from terminal.codes.permits import PermitVerifier
from terminal.common.safefile import UnreadableFile, read_regular_file
from terminal.common.safetext import check_plain_text
from terminal.common.secretfile import check_secret_file
from terminal.rules.windows import ANY_TIME, Window, parse_window

BcmPin = Annotated[int, Field(ge=2, le=27)]
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # MQTT topic level: no '/', '+' or '#'


class ConfigError(ValueError):
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


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. 'Asia/Shanghai')") from None
    return value


# an IANA time zone name, as the gate and the centre both take it
TimeZoneName = Annotated[str, AfterValidator(_known_timezone)]


class GateConfig(Section):
    park: str = Field(pattern=NAME_PATTERN)
    id: str = Field(pattern=NAME_PATTERN)
    timezone: TimeZoneName = "Asia/Shanghai"
    hardware: Literal["pi", "simulated"] = "pi"
    # without a trusted clock, code ages and shift windows cannot be checked: nobody is admitted
    require_synced_clock: bool = True
    # which way the gate lets people through: into its zone (screened), out of it (identified),
    # or both, with a second reader and relay channel for the way out ([exit_side])
    direction: Literal["entry", "exit", "both"] = "entry"

    @field_validator("id")
    @classmethod
    def _not_a_centre_user(cls, value: str) -> str:
        if value in RESERVED_GATE_IDS:
            raise ValueError(
                f"{value!r} is one of the broker's users for the centre "
                f"({', '.join(RESERVED_GATE_IDS)}); give the gate an id of its own"
            )
        return value

    @property
    def broker_username(self) -> str:
        """The gate's login at the park's broker: its ACL (config/mosquitto/acl) gives the
        username ``park/id`` the topics under ``gate/v1/park/id/`` and no others."""
        return f"{self.park}/{self.id}"


class RecordConfig(Section):
    path: PlainPath
    retention_days: int = Field(default=30, ge=1, le=3650)


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


def _a_public_key(value: str) -> str:
    """An Ed25519 public key (a private key is refused, with why)."""
    try:
        parse_public_key(value)
    except KeyProblem as exc:
        raise ValueError(str(exc)) from None
    return value


# the one-line public key that `keygen` prints (or the .pub file's PEM)
PublicKeyText = Annotated[str, Field(max_length=4096), AfterValidator(_a_public_key)]


def _refuse_published_keys(
    roles: Sequence[tuple[tuple[str, str], Sequence[IssuerConfig | CommandKeyConfig], str]],
) -> None:
    """A real gate trusts neither of the simulator's keys, in any role: their private keys are
    published. ``roles``: where the config lists keys (section, list), the entries there, and
    what a holder of their private key could do. Every such key is named by where it is."""
    found: list[InitErrorDetails] = []
    for (section, entries_key), entries, power in roles:
        for index, entry in enumerate(entries):
            which = published_simulator_key(parse_public_key(entry.public_key))
            if which is not None:
                problem = PydanticCustomError(
                    "published_key",
                    f"the simulator's {which}: its private key is published, so anyone could "
                    f"{power}; a real gate never trusts it",
                )
                where = (section, entries_key, index, "public_key")
                found.append(InitErrorDetails(type=problem, loc=where, input="(a public key)"))
    if found:
        raise ValidationError.from_exception_data("Config", found)


class CommandKeyConfig(Section):
    """A key the operations centre signs commands with: its id and its Ed25519 public key."""

    key_id: str = Field(pattern=KEY_ID_PATTERN)
    public_key: PublicKeyText


class VehiclesConfig(Section):
    """A vehicle gate: the barrier lifts for a screened driver only once their vehicle is known,
    by the centre's signed ``vehicle_entry`` command (the guard's plate, driver, purpose) or by
    a signed vehicle permit shown to the camera."""

    enabled: bool = False
    # the driver's check must be this recent when the guard enters the vehicle
    driver_check_max_age_s: float = Field(default=600.0, ge=30.0, le=3600.0)
    # how long a driver's admission waits for their vehicle; then it lapses, the barrier down
    admission_hold_s: float = Field(default=300.0, ge=10.0, le=1800.0)
    # the permit office's public keys (the private key never on a gate); none: no permits
    permit_issuers: list[IssuerConfig] = Field(default_factory=list, max_length=32)

    @model_validator(mode="after")
    def _hold_within_check_age(self) -> Self:
        if self.admission_hold_s > self.driver_check_max_age_s:
            raise ValueError(
                "admission_hold_s: longer than driver_check_max_age_s, the age at which a "
                "driver's check no longer counts"
            )
        ids = [issuer.key_id for issuer in self.permit_issuers]
        if len(set(ids)) != len(ids):
            raise ValueError(f"permit_issuers: key ids must differ, got {ids}")
        return self

    def permit_verifier(self) -> PermitVerifier:
        return PermitVerifier(
            {issuer.key_id: parse_public_key(issuer.public_key) for issuer in self.permit_issuers}
        )


class CommandsConfig(Section):
    """Commands from the centre: taken only when signed by one of these keys (the park's)."""

    keys: list[CommandKeyConfig] = Field(default_factory=list, max_length=16)
    # a command valid for longer than this is refused: an 'open' must not wait a day to fire
    max_lifetime_s: float = Field(default=600.0, gt=0, le=86_400)
    clock_skew_s: float = Field(default=60.0, ge=0, le=3600)


class ReportConfig(Section):
    # the local time of day the daily zero-report is sent (for the day then ending)
    daily_at: str = Field(default="23:55", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ScreeningConfig(Section):
    """Fever screening. Bounds and cross-checks keep a configuration from hiding a fever."""

    # "relative": each reading against the recent people at this gate; "absolute": against a
    # published forehead-by-air table (docs/screening.md). Relative falls back to absolute until
    # it has seen enough people.
    estimator: Literal["relative", "absolute"] = "relative"
    # the absolute estimator flags an estimated core at or above this
    fever_threshold_c: float = Field(default=37.3, ge=37.0, le=38.0)
    # the relative estimator flags a forehead at or above this quantile of the recent people in
    # similar air plus relative_offset_c (the forehead rise of a 37.5 °C core: 0.7 x 0.8)
    reference_quantile: float = Field(default=0.05, ge=0.01, le=0.5)
    relative_offset_c: float = Field(default=0.55, ge=0.2, le=1.0)
    reference_people: int = Field(default=30, ge=5, le=500)  # the running reference's window
    reference_min_people: int = Field(default=10, ge=3, le=200)  # fewer similar: absolute
    reference_max_age_s: float = Field(default=1800.0, ge=60.0, le=4 * 3600.0)
    reference_ambient_band_c: float = Field(default=2.0, ge=0.5, le=5.0)  # "similar air"
    # MLX90614: output settles about 0.65 s after the scene changes (datasheet); samples spaced
    # so the bus is not polled continuously
    settle_s: float = Field(default=0.7, ge=0.65, le=5.0)
    samples: int = Field(default=5, ge=3, le=50)
    sample_interval_s: float = Field(default=0.1, ge=0.05, le=1.0)
    read_attempts: int = Field(default=3, ge=1, le=10)
    # distance from the VL53L0X: measure only this close; farther, ask to come closer
    max_distance_cm: float = Field(default=25.0, ge=5.0, le=80.0)
    presence_cm: float = Field(default=60.0, ge=10.0, le=120.0)  # someone is in front
    come_closer_s: float = Field(default=6.0, ge=1.0, le=60.0)  # then a fault: no reading
    presence_delta_c: float = Field(default=1.5, gt=0.0, le=20.0)
    # a forehead reads between these (object temperature, calibration applied): below is not a
    # forehead (hat, hair, hand); above is sent to the secondary check, never passed
    plausible_min_c: float = Field(default=20.0, ge=15.0, le=32.0)
    plausible_max_c: float = Field(default=42.5, ge=40.0, le=45.0)
    # the thermometer's own (ambient) temperature outside this: the gate cannot screen
    ambient_min_c: float = Field(default=5.0, ge=-20.0, le=20.0)
    ambient_max_c: float = Field(default=42.0, ge=25.0, le=60.0)
    # people in a row whose readings did not vary at all: the sensor is stuck
    stuck_people: int = Field(default=12, ge=3, le=50)
    # measurements in a row that failed: the sensor is in fault until one succeeds
    fault_run: int = Field(default=3, ge=1, le=20)

    @model_validator(mode="after")
    def _consistent(self) -> ScreeningConfig:
        if self.max_distance_cm >= self.presence_cm:
            raise ValueError("max_distance_cm must be below presence_cm")
        if self.ambient_min_c >= self.ambient_max_c:
            raise ValueError("ambient_min_c must be below ambient_max_c")
        if self.plausible_max_c < self.fever_threshold_c + 3.0:
            raise ValueError("plausible_max_c must be at least fever_threshold_c + 3")
        if self.reference_min_people > self.reference_people:
            raise ValueError("reference_min_people must not exceed reference_people")
        return self


class ReplayConfig(Section):
    """A code that admitted someone does not admit again at this gate for a while: one
    screenshot, passed back over the turnstile, must not let a second person in."""

    mode: Literal["deny", "record_only"] = "deny"
    # how long: by default until the end of the window that admitted the person; hold_h instead
    # makes it a fixed time
    hold_h: float | None = Field(default=None, gt=0.0, le=72.0)
    # for people allowed in at any time (no window to end)
    any_time_hold_h: float = Field(default=12.0, gt=0.0, le=72.0)


Action = Literal["admit", "aside", "secondary_check", "isolation"]


class ColourActions(Section):
    """What the gate does for each health-code colour under one risk tier."""

    green: Action = "admit"
    yellow: Action = "aside"
    red: Action = "isolation"

    @model_validator(mode="after")
    def _red_never_admits(self) -> ColourActions:
        if self.red == "admit":
            raise ValueError("red: a red code never admits")
        return self


class TierActions(Section):
    low: ColourActions = ColourActions(yellow="aside", red="isolation")
    medium: ColourActions = ColourActions(yellow="secondary_check", red="isolation")
    high: ColourActions = ColourActions(yellow="isolation", red="isolation")


class RiskConfig(Section):
    """The area's risk tier (as the national guidance tiers areas) and what each colour means
    under each tier. The operations centre can change the tier in force."""

    tier: Literal["low", "medium", "high"] = "low"
    actions: TierActions = TierActions()

    @property
    def colour_actions(self) -> ColourActions:
        return getattr(self.actions, self.tier)


class IssuerConfig(Section):
    """An issuer of health codes this gate trusts: its key id and its public key."""

    key_id: str = Field(pattern=KEY_ID_PATTERN)
    public_key: PublicKeyText  # as `gate-terminal codes keygen` prints it
    name: PlainText = Field(default="", max_length=200)


class HealthCodeConfig(Section):
    issuers: list[IssuerConfig] = Field(min_length=1, max_length=32)
    # however long an issuer made a code valid, the gate takes none issued longer ago than this:
    # the colour may have changed since
    max_age_h: float = Field(default=24.0, gt=0, le=24 * 14)
    # a phone or the issuing server may run this far ahead of the gate's clock
    clock_skew_s: float = Field(default=300.0, ge=0.0, le=3600.0)
    replay: ReplayConfig = ReplayConfig()

    @model_validator(mode="before")
    @classmethod
    def _no_issuing_key(cls, data: object) -> object:
        if isinstance(data, dict) and ({"key", "private_key"} & set(data)):
            raise ValueError(
                "a gate holds no issuing key (whoever reads it could make codes): list the "
                "issuers' public keys under [[healthcode.issuers]]; the private key stays at the "
                "health office"
            )
        return data

    def verifiers(self) -> Verifiers:
        """The code schemes this gate accepts, with the issuers it trusts."""
        issuers = {issuer.key_id: parse_public_key(issuer.public_key) for issuer in self.issuers}
        rules = SignedCodeRules(max_age_s=self.max_age_h * 3600, clock_skew_s=self.clock_skew_s)
        return Verifiers([SignedCodeVerifier(issuers, rules)])

    @model_validator(mode="after")
    def _distinct_key_ids(self) -> HealthCodeConfig:
        ids = [issuer.key_id for issuer in self.issuers]
        if len(set(ids)) != len(ids):
            raise ValueError(f"issuers: key ids must differ, got {ids}")
        return self


class RosterConfig(Section):
    workers: PlainPath
    visitors: PlainPath | None = None  # no file, no visitors
    nat_valid_h: float = Field(default=72.0, ge=1, le=336)  # a negative nucleic-acid test
    reload_s: float = Field(default=2.0, ge=0.1, le=3600)  # how often the gate looks for a new one
    max_visit_h: float = Field(default=24.0 * 14, ge=1, le=24 * 366)  # a longer visit is a typo
    # the files' encoding: one that is not UTF-8 cannot be recognised from its bytes, so it is named
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        from terminal.common.csvfile import known_encoding

        return known_encoding(name)


GROUP_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
GroupName = Annotated[str, Field(pattern=GROUP_PATTERN)]
GateName = Annotated[str, Field(pattern=NAME_PATTERN)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
# what a window lets a worker do at an entrance: come in for the shift, go out and come back
# from a meal or a rest, or go home (a leaving window admits nobody in)
WindowKind = Literal["arrival", "meal", "rest", "leaving"]
ENTRY_KINDS = frozenset({"arrival", "meal", "rest"})
MAX_GRACE_MIN = 120.0  # more is no window at all
MAX_DATED_DAYS = 366  # holidays, or dated changes of one group: a year's worth


def _a_window(value: object) -> Window:
    if isinstance(value, Window):
        return value
    if not isinstance(value, str):
        raise ValueError("a window is a string HH:MM-HH:MM")
    return parse_window(value)


def _days(value: object) -> tuple[str, ...]:
    """``["mon-fri", "sun"]``: day names of the week, or ranges of them (``sun-thu`` runs over
    the weekend)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"days is a list of {', '.join(WEEKDAYS)} or ranges like 'mon-fri'")
    days: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"days: {item!r} is not a day name ({', '.join(WEEKDAYS)})")
        first, _, last = item.strip().lower().partition("-")
        last = last or first
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise ValueError(f"days: {item!r} is not a day ({', '.join(WEEKDAYS)}) or a range")
        low, high = WEEKDAYS.index(first), WEEKDAYS.index(last)
        # a range may run over the weekend: "sun-thu" is Sunday to Thursday
        span = high - low if low <= high else high + len(WEEKDAYS) - low
        days.update(WEEKDAYS[(low + step) % len(WEEKDAYS)] for step in range(span + 1))
    return tuple(day for day in WEEKDAYS if day in days)


def _a_date(value: object) -> dt.date:
    """A calendar day: a TOML date (``2027-02-08``) or the string ``"2027-02-08"``; a number or
    a date with a time is refused, not read as something else."""
    if isinstance(value, dt.datetime):
        raise ValueError("a day is a date, YYYY-MM-DD, without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")


ShiftTime = Annotated[Window, PlainValidator(_a_window)]
Day = Annotated[dt.date, PlainValidator(_a_date)]


class DatedWindow(Section):
    """A window of a dated change: local times of gate.timezone and what it is for."""

    at: ShiftTime
    kind: WindowKind = "arrival"


class WeeklyWindow(DatedWindow):
    """A window that comes back every week on ``days`` (every day unless said)."""

    days: Annotated[tuple[str, ...], PlainValidator(_days)] = WEEKDAYS


def _weekly_or_any(value: object) -> WeeklyWindow | str:
    """A window as a table ``{at, kind, days}``, ``*`` for any time, or a bare ``HH:MM-HH:MM``:
    the form of configurations written before windows had kinds, an arrival window every day."""
    if isinstance(value, WeeklyWindow):
        return value
    if isinstance(value, str):
        return ANY_TIME if value.strip() == ANY_TIME else WeeklyWindow(at=_a_window(value))
    if isinstance(value, dict):
        return WeeklyWindow.model_validate(value)
    raise ValueError(f'a window is {{at = "HH:MM-HH:MM", kind = ...}}, a string, or {ANY_TIME!r}')


class DatedChange(Section):
    """One day that is not like the others for a group: these windows instead (none: a day off)."""

    date: Day
    windows: tuple[DatedWindow, ...] = Field(default=(), max_length=24)


class ShiftGroup(Section):
    # local times of gate.timezone, parsed here so that no window can fail at the gate
    # (at least one: checked after the windows, so that a bad window is the only error said)
    windows: tuple[Annotated[WeeklyWindow | str, PlainValidator(_weekly_or_any)], ...] = Field(
        max_length=48
    )
    # the gates that serve this group (zoning); none said: every gate
    gates: tuple[GateName, ...] | None = Field(default=None, min_length=1, max_length=64)
    changes: tuple[DatedChange, ...] = Field(default=(), max_length=MAX_DATED_DAYS)
    # this group's own graces, where they differ from [shifts]
    early_grace_min: float | None = Field(default=None, ge=0.0, le=MAX_GRACE_MIN)
    late_grace_min: float | None = Field(default=None, ge=0.0, le=MAX_GRACE_MIN)

    @field_validator("windows")
    @classmethod
    def _any_time_alone(
        cls, value: tuple[WeeklyWindow | str, ...]
    ) -> tuple[WeeklyWindow | str, ...]:
        if not value:
            raise ValueError("needs at least 1 window (or '*' for any time)")
        if ANY_TIME in value and len(value) > 1:
            raise ValueError(f"{ANY_TIME!r} (any time) stands alone, without other windows")
        return value

    @field_validator("changes")
    @classmethod
    def _one_change_a_day(cls, value: tuple[DatedChange, ...]) -> tuple[DatedChange, ...]:
        seen: set[dt.date] = set()
        for change in value:
            if change.date in seen:
                raise ValueError(f"{change.date} is changed twice; give it one list of windows")
            seen.add(change.date)
        return value

    @property
    def any_time(self) -> bool:
        return ANY_TIME in self.windows

    @property
    def weekly(self) -> tuple[WeeklyWindow, ...]:
        """The weekly windows; empty for any time."""
        return tuple(w for w in self.windows if isinstance(w, WeeklyWindow))

    @property
    def time_windows(self) -> tuple[Window, ...]:
        """The windows' times, whatever their kind and days; empty for any time."""
        return tuple(w.at for w in self.weekly)

    def serves(self, gate_id: str) -> bool:
        return self.gates is None or gate_id in self.gates

    def graces_min(self, shifts: ShiftsConfig) -> tuple[float, float]:
        """(early, late) grace in minutes: the group's own, else the [shifts] ones."""
        early = shifts.early_grace_min if self.early_grace_min is None else self.early_grace_min
        late = shifts.late_grace_min if self.late_grace_min is None else self.late_grace_min
        return early, late


class ShiftsConfig(Section):
    groups: dict[GroupName, ShiftGroup] = {}
    # a worker this much before a window opens, or after it closes, is still in time
    early_grace_min: float = Field(default=0.0, ge=0.0, le=MAX_GRACE_MIN)
    late_grace_min: float = Field(default=0.0, ge=0.0, le=MAX_GRACE_MIN)
    # days without windows for every group (a group's dated change for the day still holds)
    holidays: tuple[Day, ...] = Field(default=(), max_length=MAX_DATED_DAYS)


class CameraConfig(Section):
    device: Annotated[int | str, AfterValidator(_plain_device)] = 0  # /dev/video0, or a path
    width: int = Field(default=640, ge=160, le=4096)
    height: int = Field(default=480, ge=120, le=4096)
    decoder: Literal["zxing", "pyzbar"] = "zxing"
    # a code smaller than this (its side, in pixels) is too far away to be the one presented
    min_code_px: int = Field(default=90, ge=0, le=4096)


class ThermometerConfig(Section):
    i2c_bus: int = Field(default=1, ge=0)
    address: int = Field(default=0x5A, ge=0x01, le=0x7F)
    # further MLX90614s on the same bus (for example a second height), each at its own address
    # (`gate-terminal sensor set-address`); the warmest reading is the forehead
    more_addresses: list[Annotated[int, Field(ge=0x08, le=0x77)]] = Field(
        default_factory=list, max_length=3
    )
    # per-sensor offsets written by `gate-terminal sensor calibrate --reference 37.0`
    calibration_path: PlainPath | None = None

    @property
    def addresses(self) -> list[int]:
        return [self.address, *self.more_addresses]

    @model_validator(mode="after")
    def _distinct(self) -> ThermometerConfig:
        if len(set(self.addresses)) != len(self.addresses):
            raise ValueError(f"thermometer addresses must differ, got {self.addresses}")
        return self


class DistanceConfig(Section):
    """The VL53L0X time-of-flight sensor beside the thermometer, on the same I2C bus."""

    address: int = Field(default=0x29, ge=0x01, le=0x7F)


class SecondaryConfig(Section):
    """The secondary check point: where flagged people go, and how security is kept told."""

    # a clinical (oral or axillary) reading at or above this is a confirmed fever
    clinical_fever_c: float = Field(default=37.3, ge=37.0, le=38.0)
    # an open flag is alerted again this often until a guard resolves it
    realert_s: float = Field(default=120.0, ge=10.0, le=3600.0)
    isolation_room: PlainText = Field(
        default="Temporary isolation room", min_length=1, max_length=80
    )
    isolation_location: PlainText = Field(default="beside the gate", min_length=1, max_length=120)


class DisplayConfig(Section):
    """The worker's display: a page on this gate only, for a kiosk browser on its own screen."""

    enabled: bool = False
    # the page says who was refused and where they must go: it is never served to the network
    host: Literal["127.0.0.1", "::1", "localhost"] = "127.0.0.1"
    port: int = Field(default=8088, ge=1024, le=65535)
    language: Literal["zh", "en"] = "zh"
    # an answer leaves the screen when its person has gone, or after this at the latest
    answer_s: float = Field(default=8.0, ge=1.0, le=60.0)


class OutputsConfig(Section):
    relay_pin: BcmPin = 17
    relay_active_high: bool = True
    relay_pulse_s: float = Field(default=0.5, gt=0.0, le=10.0)
    green_lamp_pin: BcmPin = 27
    red_lamp_pin: BcmPin = 22
    lamps_active_high: bool = True
    lamp_s: float = Field(default=2.0, gt=0.0, le=30.0)
    # the buzzer (or beacon) that calls security to the gate when someone is flagged
    buzzer_pin: BcmPin = 23
    buzzer_active_high: bool = True
    buzzer_s: float = Field(default=1.0, gt=0.0, le=30.0)

    @model_validator(mode="after")
    def _distinct_pins(self) -> OutputsConfig:
        pins = [self.relay_pin, self.green_lamp_pin, self.red_lamp_pin, self.buzzer_pin]
        if len(set(pins)) != len(pins):
            raise ValueError(f"relay, lamp and buzzer pins must differ, got {pins}")
        return self


InputPull = Literal["up", "down", "off"]
# the thermometer's I2C bus 1 (SDA, SCL): not for anything else
I2C_PINS = (2, 3)


class InputPin(Section):
    """One contact wired to a GPIO input: its pin, its active level and the pull resistor that
    sets its level when the contact is open ("off": the circuit has its own resistor)."""

    pin: BcmPin
    active_high: bool = False  # a contact to ground with the pull-up: closed reads low
    pull: InputPull = "up"
    # a new level must hold this long to be believed (contacts bounce for a few ms)
    debounce_ms: float = Field(default=20.0, ge=0.0, le=200.0)


class PassageInput(InputPin):
    """The turnstile's passage-complete output: after an admission the relay is held until the
    person has gone through, or until ``window_s``; then it is released."""

    window_s: float = Field(default=8.0, ge=1.0, le=60.0)
    # the contact closed this long with no pass open: stuck (a jammed arm, a shorted wire), a
    # fault until it opens, since no passage can be confirmed meanwhile
    stuck_after_s: float = Field(default=30.0, ge=5.0, le=600.0)


class FireAlarmInput(InputPin):
    """The fire alarm panel's contact. Wired fail-safe: the panel holds a normally closed contact
    closed while all is well; an alarm opens it, and so does a cut wire or a loose terminal, so
    an open circuit must read as the alarm."""

    active_high: bool = True  # open contact + pull-up = high = alarm
    debounce_ms: float = Field(default=50.0, ge=0.0, le=200.0)

    @model_validator(mode="after")
    def _open_circuit_is_alarm(self) -> FireAlarmInput:
        wanted = "up" if self.active_high else "down"
        if self.pull != wanted:
            raise ValueError(
                f"pull must be {wanted!r} with active_high = {str(self.active_high).lower()}: "
                "an open circuit (a cut wire) must read as the alarm"
            )
        return self


class StaffButtonInput(InputPin):
    """A button beside the turnstile that lets one person through. A button cannot type, so the
    reason written into the record for each press is set here."""

    reason: PlainText = Field(min_length=1, max_length=200)

    @field_validator("reason")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the reason recorded for each press must not be blank")
        return value.strip()


class InputsConfig(Section):
    """Contacts the gate reads; each is optional (not wired: not configured)."""

    passage: PassageInput | None = None
    fire_alarm: FireAlarmInput | None = None
    staff_button: StaffButtonInput | None = None

    @property
    def pins(self) -> dict[str, int]:
        wired: dict[str, InputPin | None] = {
            "passage": self.passage,
            "fire_alarm": self.fire_alarm,
            "staff_button": self.staff_button,
        }
        return {name: wire.pin for name, wire in wired.items() if wire is not None}

    @model_validator(mode="after")
    def _distinct_pins(self) -> InputsConfig:
        pins = list(self.pins.values())
        if len(set(pins)) != len(pins):
            raise ValueError(f"input pins must differ, got {self.pins}")
        for name, pin in self.pins.items():
            if pin in I2C_PINS:
                raise ValueError(f"{name}.pin: {pin} is the thermometer's I2C bus (SDA/SCL)")
        return self


class ExitRelayConfig(Section):
    """The exit side's channel of the relay board: the release of the exit turnstile (or of the
    turnstile's way out)."""

    pin: BcmPin
    active_high: bool = True
    pulse_s: float = Field(default=0.5, gt=0.0, le=10.0)


class ExitSideConfig(Section):
    """The way out of a gate that serves both directions (``gate.direction = "both"``): its own
    reader and relay channel, and its own contacts where they are wired. Nobody is screened on
    the way out, so it has no thermometer; the fire alarm is the terminal's ([inputs])."""

    camera: CameraConfig
    relay: ExitRelayConfig
    passage: PassageInput | None = None
    staff_button: StaffButtonInput | None = None

    @property
    def pins(self) -> dict[str, int]:
        """The side's pins by their keys."""
        pins = {"exit_side.relay.pin": self.relay.pin}
        if self.passage is not None:
            pins["exit_side.passage.pin"] = self.passage.pin
        if self.staff_button is not None:
            pins["exit_side.staff_button.pin"] = self.staff_button.pin
        return pins


class TimingConfig(Section):
    code_wait_s: float = Field(default=4.0, gt=0.0, le=60.0)  # presence without a code, then deny
    clear_s: float = Field(default=0.8, ge=0.0, le=2.5)  # code gone this long: approach over
    # after the first code is seen, keep watching at least this long for a second one before
    # deciding: a code the next person pushes in is refused, not taken for this person's
    code_watch_s: float = Field(default=1.0, ge=0.0, le=10.0)


GateId = Annotated[str, Field(pattern=NAME_PATTERN)]


class SimulatorConfig(Section):
    workers: int = Field(default=200, ge=1, le=100_000)
    seed: int = 1
    shift_start: PlainText = "2026-11-23T07:30:00"
    arrival_window_s: float = Field(default=900.0, gt=0)
    fps: float = Field(default=15.0, gt=0, le=120)
    # the random crowd's workers belong to these shift groups in turn, so that the groups'
    # windows decide who is early or late; none: a group made around everyone's arrival
    groups: tuple[GroupName, ...] = Field(default=(), max_length=32)
    # admitted people who change their mind and do not go through (seen with [inputs.passage])
    turn_back_share: float = Field(default=0.02, ge=0.0, le=0.5)
    # a fire drill: the alarm panel sounds this long after the shift starts, for fire_drill_s
    # (needs [inputs.fire_alarm]); None: no drill
    fire_drill_at_s: float | None = Field(default=None, ge=0.0, le=7 * 86400.0)
    fire_drill_s: float = Field(default=120.0, gt=0.0, le=3600.0)
    # the zone's other gates, simulated beside this one (each with this config, its own id and
    # direction) and sharing their passages with it; each one of zone.gates; one that serves
    # both ways is wired as this gate (which then serves both ways too: its [exit_side])
    zone_gates: dict[GateId, Literal["entry", "exit", "both"]] = Field(
        default_factory=dict, max_length=16
    )


class ZoneConfig(Section):
    """The zone the gate's turnstile leads into (an entry gate) or out of (an exit gate).
    Occupancy counts from the gate's confirmed passages: an entry that went through +1, an exit
    -1, a pass not used nothing; without a passage contact an admission counts as passed."""

    name: str | None = Field(default=None, pattern=NAME_PATTERN)  # none: nothing counted
    # an entry into a zone holding this many waits (route ``wait``) until someone leaves
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    # a second entry of a person who never left: refused (deny), or admitted and recorded
    anti_passback: Literal["off", "deny", "record_only"] = "off"
    # every gate of the zone (this one too): each reads the others' passages on the operations
    # link, so that occupancy and anti-passback hold across them
    gates: list[str] = Field(default_factory=list, max_length=64)
    # cut off from the others (the broker unreachable), the gate counts its own passages only
    # and says so; for capacity it then either goes on admitting up to capacity on what it knows
    # (count_own: fail-open, occupancy may be under-counted) or holds every entry with `wait`
    # until the link is back (hold_entries: fail-secure; the zone is never over capacity)
    cut_off: Literal["count_own", "hold_entries"] = "count_own"
    # how long the broker may be unreachable before the gate counts itself cut off
    cut_off_after_s: float = Field(default=30.0, ge=1.0, le=3600.0)

    @field_validator("gates")
    @classmethod
    def _gate_names(cls, gates: list[str]) -> list[str]:
        for index, gate in enumerate(gates):
            if not re.fullmatch(NAME_PATTERN, gate):
                raise ValueError(f"[{index}]: {gate!r} is not a gate id")
        if len(set(gates)) != len(gates):
            raise ValueError("a gate is listed twice")
        return gates

    @model_validator(mode="after")
    def _counted_in_a_zone(self) -> ZoneConfig:
        counted = self.capacity is not None or self.anti_passback != "off" or self.gates
        if self.name is None and counted:
            raise ValueError("zone.name: required for a capacity, anti_passback or gates")
        return self


class Config(Section):
    gate: GateConfig
    record: RecordConfig
    mqtt: MqttConfig = MqttConfig()
    screening: ScreeningConfig = ScreeningConfig()
    healthcode: HealthCodeConfig
    risk: RiskConfig = RiskConfig()
    roster: RosterConfig
    shifts: ShiftsConfig = ShiftsConfig()
    camera: CameraConfig = CameraConfig()
    thermometer: ThermometerConfig = ThermometerConfig()
    distance: DistanceConfig = DistanceConfig()
    secondary: SecondaryConfig = SecondaryConfig()
    display: DisplayConfig = DisplayConfig()
    outputs: OutputsConfig = OutputsConfig()
    inputs: InputsConfig = InputsConfig()
    timing: TimingConfig = TimingConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    commands: CommandsConfig = CommandsConfig()
    vehicles: VehiclesConfig = VehiclesConfig()
    report: ReportConfig = ReportConfig()
    zone: ZoneConfig = ZoneConfig()
    exit_side: ExitSideConfig | None = None  # with gate.direction = "both" only
    source: Path = Path("<memory>")

    @model_validator(mode="after")
    def _no_published_key_on_a_real_gate(self) -> Config:
        if self.gate.hardware != "simulated":
            _refuse_published_keys(
                [
                    (("healthcode", "issuers"), self.healthcode.issuers, "make health codes"),
                    (("vehicles", "permit_issuers"), self.vehicles.permit_issuers, "make permits"),
                    (("commands", "keys"), self.commands.keys, "send commands"),
                ]
            )
        return self

    @model_validator(mode="after")
    def _a_real_gates_broker_link(self) -> Config:
        if self.gate.hardware != "pi":
            return self  # a simulated gate talks to the simulator's own broker on this machine
        if not self.mqtt.tls and not self.mqtt.insecure_plaintext:
            raise ValueError(
                "mqtt.tls: false on a real gate sends person ids and temperatures in clear: set "
                "tls = true (port 8883), or insecure_plaintext = true on a network closed to "
                "everyone else"
            )
        if self.mqtt.credentials_file is not None:
            username = read_credentials(self.mqtt.credentials_file).username
            wanted = self.gate.broker_username
            if username != wanted:
                raise ValueError(
                    f"mqtt.credentials_file: username {username!r} is not {wanted!r} (park/id): "
                    "the broker's ACL gives a gate the topics of the park and id it logs in as"
                )
        return self

    @model_validator(mode="after")
    def _simulated_groups_exist(self) -> Config:
        for index, name in enumerate(self.simulator.groups):
            if name not in self.shifts.groups:
                raise ValueError(f"simulator.groups[{index}]: {name!r} is not in shifts.groups")
        return self

    @model_validator(mode="after")
    def _a_gate_of_its_zone(self) -> Config:
        if self.zone.gates and self.gate.id not in self.zone.gates:
            raise ValueError(f"zone.gates: must list this gate ({self.gate.id!r}) too")
        for gate, direction in self.simulator.zone_gates.items():
            if gate == self.gate.id or gate not in self.zone.gates:
                raise ValueError(f"simulator.zone_gates.{gate}: not another gate of zone.gates")
            if direction == "both" and self.exit_side is None:
                raise ValueError(
                    f'simulator.zone_gates.{gate}: "both" is simulated wired as this gate\'s way '
                    'out: needs [exit_side] (gate.direction = "both")'
                )
        return self

    @model_validator(mode="after")
    def _one_address_per_device(self) -> Config:
        if self.distance.address in self.thermometer.addresses:
            raise ValueError("distance.address and thermometer.address must differ (one I2C bus)")
        return self

    @model_validator(mode="after")
    def _a_drill_needs_an_alarm(self) -> Config:
        if self.simulator.fire_drill_at_s is not None and self.inputs.fire_alarm is None:
            raise ValueError("simulator.fire_drill_at_s: needs a fire alarm ([inputs.fire_alarm])")
        return self

    @model_validator(mode="after")
    def _inputs_apart_from_outputs(self) -> Config:
        out = self.outputs
        outputs = {out.relay_pin, out.green_lamp_pin, out.red_lamp_pin, out.buzzer_pin}
        for name, pin in self.inputs.pins.items():
            if pin in outputs:
                raise ValueError(f"inputs.{name}.pin: {pin} is already an output ([outputs])")
        return self

    @model_validator(mode="after")
    def _vehicles_come_in(self) -> Config:
        if self.vehicles.enabled and self.gate.direction == "exit":
            raise ValueError(
                "vehicles.enabled: a vehicle gate records the vehicles that come in; an exit gate "
                "lets them out (gate.direction = entry or both)"
            )
        return self

    @property
    def pins(self) -> dict[str, int]:
        """Every pin of the entry side and the terminal ([outputs], [inputs]) by its key."""
        out = self.outputs
        pins = {
            "outputs.relay_pin": out.relay_pin,
            "outputs.green_lamp_pin": out.green_lamp_pin,
            "outputs.red_lamp_pin": out.red_lamp_pin,
            "outputs.buzzer_pin": out.buzzer_pin,
        }
        pins.update({f"inputs.{name}.pin": pin for name, pin in self.inputs.pins.items()})
        return pins

    @model_validator(mode="after")
    def _exit_side_for_both_ways(self) -> Config:
        both = self.gate.direction == "both"
        side = self.exit_side
        if both and side is None:
            raise ValueError(
                'exit_side: required with gate.direction = "both" (the way out\'s camera and '
                "relay channel)"
            )
        if side is None:
            return self
        if not both:
            raise ValueError('exit_side: only for gate.direction = "both"')
        taken = {**self.pins, "the thermometer's I2C bus (SDA)": I2C_PINS[0]}
        taken["the thermometer's I2C bus (SCL)"] = I2C_PINS[1]
        for key, pin in side.pins.items():
            for other, used in taken.items():
                if pin == used:
                    raise ValueError(f"{key}: {pin} is {other} already; each pin does one thing")
            taken[key] = pin
        if side.camera.device == self.camera.device:
            raise ValueError(
                f"exit_side.camera.device: {side.camera.device!r} is the entry side's camera "
                "(camera.device); the way out needs its own"
            )
        return self

    def resolved(self, path: Path) -> Path:
        """A path from the config, relative ones taken from the config file's folder."""
        return path if path.is_absolute() else (self.source.parent / path)


def _key_part(part: object) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    text = str(part)
    # a key typed with a control character is shown quoted, so the message stays one line
    return f".{text}" if text.isprintable() and text else f".{text!r}"


def _describe(error: dict) -> str:
    key = "".join(_key_part(part) for part in error["loc"]).lstrip(".")
    key = key or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required, missing"
    return f"{key}: {' '.join(str(error['msg']).split())}"


PLACEHOLDER = "CHANGE-ME"


def _placeholders(data: object, key: str = "") -> list[str]:
    """Keys still holding the example configuration's placeholder values."""
    if isinstance(data, dict):
        return [
            k for name, v in data.items() for k in _placeholders(v, f"{key}.{name}".lstrip("."))
        ]
    if isinstance(data, list):
        return [k for i, v in enumerate(data) for k in _placeholders(v, f"{key}[{i}]")]
    return [key] if isinstance(data, str) and PLACEHOLDER in data.upper() else []


SectionT = TypeVar("SectionT", bound=Section)


def validated(model: type[SectionT], data: dict, source: Path) -> SectionT:
    """``data`` as ``model`` (which has a ``source`` field), or a :class:`ConfigError` that names
    the file and every key at fault. The gate's config and the centre's both come through here."""
    unset = _placeholders(data)
    if unset:
        raise ConfigError(
            f"{source}: {unset[0]}: still the example's placeholder; set the real value"
            + (f" (and {len(unset) - 1} more: {', '.join(unset[1:])})" if len(unset) > 1 else "")
        )
    try:
        return model.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors(include_url=False))  # type: ignore[arg-type]
        raise ConfigError(f"{source}: {problems}") from None


def parse(data: dict, source: Path) -> Config:
    return validated(Config, data, source)


def read_toml(path: Path) -> dict:
    """A config file's TOML; its errors name the file. Only a regular file of a sane size is
    read: a FIFO or a device named by mistake (or on purpose) must not hang or exhaust the gate."""
    try:
        raw = read_regular_file(path, max_bytes=MAX_CONFIG_BYTES, what="config")
    except UnreadableFile as exc:
        raise ConfigError(str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib parses nested arrays and tables by recursion: a few thousand levels end it
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except ValueError:
        # Python refuses to turn an integer of more than 4,300 digits into a number
        raise ConfigError(f"{path}: not valid TOML: a number too long to be a setting") from None
    if "source" in data:
        raise ConfigError(f"{path}: source: unknown key")
    return data


def load(path: Path) -> Config:
    return parse(read_toml(path), path.resolve())
