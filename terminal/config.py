"""The terminal's configuration: one TOML file, validated at start-up.

Every error names the file and the key (``config/gate.toml: relay.pin: ...``) so the installer
knows what to fix. Unknown keys are errors too: a misspelt key would otherwise be silently ignored
and its default used.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

BcmPin = Annotated[int, Field(ge=2, le=27)]
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # MQTT topic level: no '/', '+' or '#'


class ConfigError(ValueError):
    pass


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GateConfig(Section):
    park: str = Field(pattern=NAME_PATTERN)
    id: str = Field(pattern=NAME_PATTERN)
    timezone: str = "Asia/Shanghai"
    hardware: Literal["pi", "simulated"] = "pi"
    # without a trusted clock, code ages and shift windows cannot be checked: nobody is admitted
    require_synced_clock: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. 'Asia/Shanghai')") from None
        return value


class RecordConfig(Section):
    path: Path
    retention_days: int = Field(default=30, ge=1, le=3650)


class MqttConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    # person ids and temperatures cross the park's network: encrypt them (port 8883 by custom)
    tls: bool = False
    ca_file: Path | None = None  # the broker's certificate authority; None: the system's
    cert_file: Path | None = None  # this terminal's client certificate, where the broker asks
    key_file: Path | None = None

    @field_validator("ca_file", "cert_file", "key_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _tls_files(self) -> MqttConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        if not self.tls and (self.ca_file or self.cert_file):
            raise ValueError("ca_file, cert_file and key_file need tls = true")
        return self


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


class HealthCodeConfig(Section):
    key: str = Field(min_length=16, repr=False)
    max_age_h: float = Field(default=24.0, gt=0, le=24 * 14)


class RosterConfig(Section):
    path: Path


class CameraConfig(Section):
    device: int | str = 0
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
    calibration_path: Path | None = None

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
    isolation_room: str = Field(default="Temporary isolation room", min_length=1, max_length=80)
    isolation_location: str = Field(default="beside the gate", min_length=1, max_length=120)


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


class TimingConfig(Section):
    code_wait_s: float = Field(default=4.0, gt=0.0, le=60.0)  # presence without a code, then deny
    clear_s: float = Field(default=0.8, ge=0.0, le=2.5)  # code gone this long: approach over
    # after the first code is seen, keep watching at least this long for a second one before
    # deciding: a code the next person pushes in is refused, not taken for this person's
    code_watch_s: float = Field(default=1.0, ge=0.0, le=10.0)


class SimulatorConfig(Section):
    workers: int = Field(default=200, ge=1, le=100_000)
    seed: int = 1
    shift_start: str = "2026-11-23T07:30:00"
    arrival_window_s: float = Field(default=900.0, gt=0)
    fps: float = Field(default=15.0, gt=0, le=120)


class Config(Section):
    gate: GateConfig
    record: RecordConfig
    mqtt: MqttConfig = MqttConfig()
    screening: ScreeningConfig = ScreeningConfig()
    healthcode: HealthCodeConfig
    roster: RosterConfig
    camera: CameraConfig = CameraConfig()
    thermometer: ThermometerConfig = ThermometerConfig()
    distance: DistanceConfig = DistanceConfig()
    secondary: SecondaryConfig = SecondaryConfig()
    outputs: OutputsConfig = OutputsConfig()
    timing: TimingConfig = TimingConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    source: Path = Path("<memory>")

    @model_validator(mode="after")
    def _one_address_per_device(self) -> Config:
        if self.distance.address in self.thermometer.addresses:
            raise ValueError("distance.address and thermometer.address must differ (one I2C bus)")
        return self

    def resolved(self, path: Path) -> Path:
        """A path from the config, relative ones taken from the config file's folder."""
        return path if path.is_absolute() else (self.source.parent / path)


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required, missing"
    return f"{key}: {error['msg']}"


def parse(data: dict, source: Path) -> Config:
    try:
        return Config.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors(include_url=False))  # type: ignore[arg-type]
        raise ConfigError(f"{source}: {problems}") from None


def load(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if "source" in data:
        raise ConfigError(f"{path}: source: unknown key")
    return parse(data, path.resolve())
