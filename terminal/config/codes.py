"""The keys the gate believes: health-code issuers, vehicle-permit issuers, command keys, and
what each health-code colour means under each risk tier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
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
from terminal.config.base import (
    PlainText,
    Section,
)
from terminal.config.screening import ReplayConfig


def _a_public_key(value: str) -> str:
    """An Ed25519 public key (a private key is refused, with why)."""
    try:
        parse_public_key(value)
    except KeyProblem as exc:
        raise ValueError(str(exc)) from None
    return value


# the one-line public key that `keygen` prints (or the .pub file's PEM)
PublicKeyText = Annotated[str, Field(max_length=4096), AfterValidator(_a_public_key)]


def refuse_published_keys(
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
