"""The gate itself and its hardware: its id and place, the record, the camera, the thermometer,
the distance sensor, the secondary check, the display, the timing, the simulator's world."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from terminal.config.base import (
    NAME_PATTERN,
    RESERVED_GATE_IDS,
    GateId,
    PlainPath,
    PlainText,
    Section,
    TimeZoneName,
    _plain_device,
)
from terminal.config.shifts import GroupName


class GateConfig(Section):
    park: str = Field(pattern=NAME_PATTERN)
    id: str = Field(pattern=NAME_PATTERN)
    timezone: TimeZoneName = "Asia/Shanghai"
    hardware: Literal["pi", "simulated"] = "pi"
    # without a trusted clock, code ages and shift windows cannot be checked: nobody is admitted
    require_synced_clock: bool = True
    # at boot, wait at most this long (from power-on) for the clock to be synchronised, then start
    # in the unsynced mode: a Pi has no clock of its own and may boot offline
    clock_wait_s: float = Field(default=90.0, ge=0.0, le=900.0)
    # which way the gate lets people through: into its zone (screened), out of it (identified),
    # or both, with a second reader and relay channel for the way out ([exit_side])
    direction: Literal["entry", "exit", "both"] = "entry"
    # the service's log lines from this level on (journalctl -p shows them by priority); never a
    # reading, a code or a key at any level
    log_level: Literal["debug", "info", "warning", "error"] = "info"

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


class ReportConfig(Section):
    # the local time of day the daily zero-report is sent (for the day then ending)
    daily_at: str = Field(default="23:55", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class CameraConfig(Section):
    # "usb": OpenCV through V4L2, ``device`` a path (/dev/v4l/by-id/...) or /dev/videoN's N;
    # "csi": the ribbon-cable camera through Picamera2, ``device`` its number (1: a Pi 5's CAM1)
    kind: Literal["usb", "csi"] = "usb"
    device: Annotated[int | str, AfterValidator(_plain_device)] = 0  # /dev/video0, or a path
    width: int = Field(default=640, ge=160, le=4096)
    height: int = Field(default=480, ge=120, le=4096)
    # "multipass": zxing-cpp and more tries on a code it saw but could not decode; "zxing" one
    # pass; "pyzbar" zbar (docs/decoding.md)
    decoder: Literal["multipass", "zxing", "pyzbar"] = "multipass"
    # a code smaller than this (its side, in pixels) is too far away to be the one presented
    min_code_px: int = Field(default=90, ge=0, le=4096)

    @field_validator("device")
    @classmethod
    def _device_of_its_kind(cls, device: int | str, info: ValidationInfo) -> int | str:
        if info.data.get("kind") == "csi" and not isinstance(device, int):
            raise ValueError(
                f'a CSI camera (kind = "csi") is named by its number (0, or 1 for a Pi 5\'s '
                f"second connector), not {device!r}"
            )
        if isinstance(device, str) and not device.startswith("/dev/"):
            raise ValueError(
                f"{device!r} is not a device path; name a USB camera by its path under "
                "/dev/v4l/by-id/ (ls /dev/v4l/by-id/ lists them) or its /dev/videoN number"
            )
        if isinstance(device, int) and device < 0:
            raise ValueError(f"{device} is not a camera number")
        return device


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


class TimingConfig(Section):
    code_wait_s: float = Field(default=4.0, gt=0.0, le=60.0)  # presence without a code, then deny
    clear_s: float = Field(default=0.8, ge=0.0, le=2.5)  # code gone this long: approach over
    # after the first code is seen, keep watching at least this long for a second one before
    # deciding: a code the next person pushes in is refused, not taken for this person's
    code_watch_s: float = Field(default=1.0, ge=0.0, le=10.0)


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
