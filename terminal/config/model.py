"""The whole config: every section, and the checks that need more than one of them."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    model_validator,
)

from terminal.config.backup import BackupConfig
from terminal.config.base import (
    Section,
)
from terminal.config.codes import (
    CommandsConfig,
    HealthCodeConfig,
    RiskConfig,
    VehiclesConfig,
    refuse_published_keys,
)
from terminal.config.gate import (
    CameraConfig,
    DisplayConfig,
    DistanceConfig,
    GateConfig,
    RecordConfig,
    ReportConfig,
    SecondaryConfig,
    SimulatorConfig,
    ThermometerConfig,
    TimingConfig,
)
from terminal.config.mqtt import MqttConfig, read_credentials
from terminal.config.screening import ScreeningConfig
from terminal.config.shifts import RosterConfig, ShiftsConfig
from terminal.config.zone import I2C_PINS, ExitSideConfig, InputsConfig, OutputsConfig, ZoneConfig


class Config(Section):
    gate: GateConfig
    record: RecordConfig
    backup: BackupConfig = BackupConfig()
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
            refuse_published_keys(
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
        if (side.camera.kind, side.camera.device) == (self.camera.kind, self.camera.device):
            raise ValueError(
                f"exit_side.camera.device: {side.camera.device!r} is the entry side's camera "
                "(camera.device); the way out needs its own"
            )
        return self

    def resolved(self, path: Path) -> Path:
        """A path from the config, relative ones taken from the config file's folder."""
        return path if path.is_absolute() else (self.source.parent / path)
