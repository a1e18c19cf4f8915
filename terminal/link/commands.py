"""Commands from the operations centre: one framework for every command.

A command arrives on ``gate/v1/{park}/{gate}/cmd/{name}`` (paho's thread puts it on a queue; the
gate's loop takes it from there). Before any handler runs, the desk checks, once for all: the JSON
is a :class:`~terminal.link.contract.SignedCommand` for this park, gate and name; its Ed25519
signature is by a key the gate is configured with; it has not expired, is not issued in the
future, and was not made to live longer than ``commands.max_lifetime_s``; its ``command_id``
(the nonce) was never taken before; its payload is valid for the handler's model. Then the
handler runs, and the command (with who sent it and its outcome) and its result message are
written to the record in one transaction; the result goes to ``.../cmd/{name}/result``.

Any module registers a handler: ``registry.register(name, PayloadModel, handler)``, where
``handler(command, context) -> str`` returns what it did, or raises :class:`CommandRefused` with a
one-line reason.
"""

from __future__ import annotations

import binascii
import logging
import queue
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from terminal.codes.healthcode import b64url_bytes, parse_public_key
from terminal.common import strictjson
from terminal.common.errors import GateError
from terminal.config import CommandsConfig, Config
from terminal.link import contract
from terminal.link.command_signing import (
    sign_command as sign_command,  # re-exported: the centre signs
)
from terminal.link.roster_push import RosterPushError, install_roster_text
from terminal.link.topics import Messages, new_event_id
from terminal.record.store import CommandRow, Record
from terminal.state import GateState

log = logging.getLogger(__name__)


class CommandRefused(GateError):
    """A handler's refusal: its message is the one line the centre reads in the result."""


@dataclass(frozen=True)
class Command:
    command_id: str
    name: str
    issued_by: str
    issued_at_s: float
    expires_at_s: float
    payload: BaseModel


@dataclass
class CommandContext:
    """What handlers may act on. ``open_once(reason, by, command_id)`` records the override and
    releases the turnstile once, returning the override's event id; ``reload_roster`` makes the
    gate read the installed roster; ``changed`` sends the status at once."""

    config: Config
    state: GateState
    record: Record
    messages: Messages
    now: Callable[[], float]
    open_once: Callable[[str, str, str], str]
    reload_roster: Callable[[], None]
    changed: Callable[[], None]
    # without a synchronised clock a command's expiry means nothing: only a lockdown is taken
    clock_synced: Callable[[], bool] = lambda: True


Handler = Callable[[Command, CommandContext], str]


class CommandRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, tuple[type[BaseModel], Handler]] = {}

    def register(self, name: str, model: type[BaseModel], handler: Handler) -> None:
        if name not in contract.COMMAND_PAYLOADS:
            raise ValueError(f"command {name!r} is not in the contract (terminal/link/contract.py)")
        if contract.COMMAND_PAYLOADS[name] is not model:
            raise ValueError(f"command {name!r}: the contract's payload model differs")
        self._handlers[name] = (model, handler)

    def get(self, name: str) -> tuple[type[BaseModel], Handler] | None:
        return self._handlers.get(name)

    def names(self) -> list[str]:
        return sorted(self._handlers)


def _signature_bytes(text: str) -> bytes:
    try:
        raw = b64url_bytes(text)  # its one spelling: no padding, spaces or spare bits
    except (binascii.Error, ValueError):
        raise CommandRefused("signature: not base64url") from None
    if len(raw) != 64:
        raise CommandRefused("signature: not an Ed25519 signature")
    return raw


# --- the desk: verification in front of every handler ------------------------------------------
class CommandDesk:
    def __init__(
        self,
        registry: CommandRegistry,
        rules: CommandsConfig,
        context: CommandContext,
    ) -> None:
        self.registry = registry
        self.rules = rules
        self.context = context
        self._keys: dict[str, Ed25519PublicKey] = {
            k.key_id: parse_public_key(k.public_key) for k in rules.keys
        }
        topics = context.messages.topics
        self._park, self._gate = topics.park, topics.gate

    def run_pending(self, inbox: queue.Queue[tuple[str, bytes]]) -> int:
        """Take every command waiting on the queue; on the gate's thread."""
        taken = 0
        while True:
            try:
                name, raw = inbox.get_nowait()
            except queue.Empty:
                return taken
            self.take(name, raw)
            taken += 1

    def take(self, topic_name: str, raw: bytes) -> contract.CommandResultData:
        now = self.context.now()
        claimed: dict[str, Any] = {}
        verified = False
        command: Command | None = None
        try:
            claimed, signed = self._parse(topic_name, raw)
            command = self._verify(topic_name, claimed, signed, now)
            verified = True
            model, handler = self._handler(topic_name)
            command = self._with_payload(command, model, signed.payload)
            self._clock_allows(command)
            detail = handler(command, self.context)
            outcome = "done"
        except CommandRefused as exc:
            outcome, detail = "refused", str(exc)
        except Exception as exc:  # a handler's bug must not stop the gate
            log.error("command %s failed: %s", topic_name, type(exc).__name__)
            outcome, detail = "failed", f"internal error: {type(exc).__name__}"
        result = contract.CommandResultData(
            command_id=str(claimed.get("command_id", ""))[:64],
            name=topic_name,
            outcome=outcome,  # type: ignore[arg-type]
            detail=detail[:300],
            issued_by=command.issued_by if command else None,
        )
        try:
            self._record(result, verified, claimed, command, now)
        except Exception as exc:  # a full disk: the command ran or was refused, unrecorded
            log.error(
                "command %s: its result cannot be recorded: %s", topic_name, type(exc).__name__
            )
        level = logging.INFO if outcome == "done" else logging.WARNING
        sender = result.issued_by or f"{str(claimed.get('issued_by'))[:64]!r} (unverified)"
        log.log(level, "command %s from %s: %s: %s", topic_name, sender, outcome, detail)
        return result

    def _parse(self, topic_name: str, raw: bytes) -> tuple[dict[str, Any], contract.SignedCommand]:
        try:
            claimed = strictjson.loads(raw)
        except strictjson.JsonRefused as exc:
            raise CommandRefused(f"not a JSON command: {exc}") from None
        if not isinstance(claimed, dict):
            raise CommandRefused("not a JSON object")
        try:
            signed = contract.SignedCommand.model_validate(claimed)
        except ValidationError as exc:
            raise CommandRefused(contract.first_problem(exc)) from None
        return claimed, signed

    def _verify(
        self, topic_name: str, claimed: dict[str, Any], signed: contract.SignedCommand, now: float
    ) -> Command:
        key = self._keys.get(signed.key_id)
        if key is None:
            raise CommandRefused(f"key_id {signed.key_id!r}: not a key this gate trusts")
        try:
            key.verify(_signature_bytes(signed.signature), contract.canonical_json(claimed))
        except InvalidSignature:
            raise CommandRefused("signature: does not verify (forged or altered)") from None
        if (signed.park, signed.gate, signed.name) != (self._park, self._gate, topic_name):
            raise CommandRefused(
                f"addressed to {signed.park}/{signed.gate} cmd/{signed.name}, "
                f"not {self._park}/{self._gate} cmd/{topic_name}"
            )
        issued, expires = signed.issued_at.timestamp(), signed.expires_at.timestamp()
        if expires <= now:
            raise CommandRefused(f"expired {now - expires:.0f} s ago")
        if issued > now + self.rules.clock_skew_s:
            raise CommandRefused("issued in the future (check the clocks)")
        if expires - issued > self.rules.max_lifetime_s:
            raise CommandRefused(
                f"lives {expires - issued:.0f} s, more than the {self.rules.max_lifetime_s:.0f} s "
                "allowed"
            )
        if self.context.record.command_seen(signed.command_id):
            raise CommandRefused(f"command_id {signed.command_id}: already taken (a replay)")
        return Command(
            signed.command_id, signed.name, signed.issued_by, issued, expires, contract.Model()
        )

    def _handler(self, name: str) -> tuple[type[BaseModel], Handler]:
        found = self.registry.get(name)
        if found is None:
            raise CommandRefused(f"{name}: not a command this gate runs")
        return found

    def _clock_allows(self, command: Command) -> None:
        """A clock that may be wrong could take a stale 'open' for a fresh one. A lockdown only
        makes the gate stricter: that one is taken all the same."""
        stricter = isinstance(command.payload, contract.LockdownPayload) and command.payload.on
        unsure = self.context.config.gate.require_synced_clock and not self.context.clock_synced()
        if unsure and not stricter:
            raise CommandRefused("the gate's clock is not synchronised: expiry cannot be checked")

    @staticmethod
    def _with_payload(command: Command, model: type[BaseModel], payload: Any) -> Command:
        try:
            parsed = model.model_validate(payload)
        except ValidationError as exc:
            raise CommandRefused(contract.first_problem(exc, "payload.")) from None
        return Command(
            command.command_id,
            command.name,
            command.issued_by,
            command.issued_at_s,
            command.expires_at_s,
            parsed,
        )

    def _record(
        self,
        result: contract.CommandResultData,
        verified: bool,
        claimed: dict[str, Any],
        command: Command | None,
        now: float,
    ) -> None:
        row = CommandRow(
            command_id=result.command_id,
            name=result.name,
            # an unverified command's sender is only what it claims: kept, marked unverified
            issued_by=str(claimed.get("issued_by", ""))[:64] or None,
            key_id=str(claimed.get("key_id", ""))[:16] or None,
            verified=verified,
            outcome=result.outcome,
            detail=result.detail,
            received_s=now,
            expires_s=command.expires_at_s if command else None,
        )
        message = self.context.messages.command_result(now, result.name, result)
        self.context.record.add_command(new_event_id(), message, row)


# --- the standard commands ---------------------------------------------------------------------
def _lockdown(command: Command, context: CommandContext) -> str:
    payload = command.payload
    assert isinstance(payload, contract.LockdownPayload)
    state = context.state
    state.lockdown, state.lockdown_reason = payload.on, payload.reason
    state.save(context.record)
    context.changed()
    if payload.on:
        log.warning("LOCKDOWN by %s: nobody is admitted", command.issued_by)
        return "lockdown on: nobody is admitted except by a staff open-once"
    log.warning("lockdown lifted by %s", command.issued_by)
    return "lockdown off"


def _open_once(command: Command, context: CommandContext) -> str:
    payload = command.payload
    assert isinstance(payload, contract.OpenOncePayload)
    if context.state.shut:
        raise CommandRefused("the record cannot be written: the gate stays shut")
    # recorded (who, why, the passage it opens) before the relay moves, as every admission is
    event_id = context.open_once(payload.reason, command.issued_by, command.command_id)
    log.warning("turnstile opened once by command from %s", command.issued_by)
    return f"opened once (event {event_id})"


def _resolve_secondary(command: Command, context: CommandContext) -> str:
    """Where no secondary desk registered its own handler (terminal/gate/secondary.py)."""
    payload = command.payload
    assert isinstance(payload, contract.ResolveSecondaryPayload)
    raise CommandRefused("flag_id: no open secondary check with this id")


def _push_roster(command: Command, context: CommandContext) -> str:
    payload = command.payload
    assert isinstance(payload, contract.PushRosterPayload)
    try:
        summary = install_roster_text(context.config, payload.kind, payload.csv)
    except RosterPushError as exc:
        raise CommandRefused(str(exc)) from None
    context.reload_roster()
    return summary


def _set_risk_tier(command: Command, context: CommandContext) -> str:
    payload = command.payload
    assert isinstance(payload, contract.SetRiskTierPayload)
    before = context.state.risk_tier
    context.state.risk_tier = payload.tier
    context.state.save(context.record)
    context.changed()
    log.warning("risk tier %s -> %s by %s", before, payload.tier, command.issued_by)
    return f"risk tier {before} -> {payload.tier}"


def _vehicle_entry(command: Command, context: CommandContext) -> str:
    """Where the gate's vehicle desk did not register its own handler (terminal/gate/vehicles.py):
    without it no admission is held for a vehicle, so none is let in."""
    if not context.config.vehicles.enabled:
        raise CommandRefused("not a vehicle gate: [vehicles] enabled is false in its config")
    raise CommandRefused("this gate's vehicle desk is not running: no vehicle is let in")


def standard_registry() -> CommandRegistry:
    registry = CommandRegistry()
    registry.register("lockdown", contract.LockdownPayload, _lockdown)
    registry.register("open_once", contract.OpenOncePayload, _open_once)
    # the gate's secondary desk registers its own handler in its place
    registry.register("resolve_secondary", contract.ResolveSecondaryPayload, _resolve_secondary)
    registry.register("push_roster", contract.PushRosterPayload, _push_roster)
    registry.register("set_risk_tier", contract.SetRiskTierPayload, _set_risk_tier)
    # a vehicle gate's desk registers its own handler in its place
    registry.register("vehicle_entry", contract.VehicleEntryPayload, _vehicle_entry)
    # a person's own data (imported here: its handlers are built on this module's desk)
    from terminal.link import person_commands

    person_commands.register(registry)
    return registry
