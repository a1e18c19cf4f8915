"""The operations link's commands from the board: lockdown on or off, open once with a reason, the
risk tier, a roster push from an uploaded file. Each is checked, shown back for confirmation (held
here, bound to the session that prepared it), then sent to each chosen gate; the gates' answers
appear with the commands already sent."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from terminal.centre.errors import CentreError
from terminal.centre.web import auth
from terminal.centre.web.choices import Choices
from terminal.centre.web.context import Visitor, Web, see_other
from terminal.centre.web.guards import action, page
from terminal.centre.web.live import stream_route
from terminal.centre.web.pending import forget_stale, may_confirm
from terminal.centre.web.results import in_words
from terminal.centre.web.roster_upload import (
    DEFAULT_ENCODING,
    ROSTER_ENCODINGS,
    RosterNotDecoded,
    decode_roster,
)
from terminal.common.safetext import printable
from terminal.link.contract import COMMAND_PAYLOADS, MAX_ROSTER_BYTES

BOARD_COMMANDS = ("lockdown", "open_once", "set_risk_tier", "push_roster")
EVERY_GATE = "*"
MAX_PENDING = 200
MAX_REASON_CHARS = 200
RESULTS_SHOWN = 50


class OrderProblem(CentreError, ValueError):
    """What is wrong with a command's form, as a catalogue key."""


@dataclass(frozen=True)
class Pending:
    session: str  # digest of the session that prepared it: only that session may confirm it
    name: str
    targets: tuple[tuple[str, str], ...]  # (park, gate)
    payload: dict[str, Any]
    summary: str
    made_s: float


class Orders:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.pending: dict[str, Pending] = {}
        self.choices = Choices()

    # --- what the form may aim at ---------------------------------------------------------------
    def known_gates(self) -> list[tuple[str, str]]:
        seen = {(g.park, g.gate) for g in self.web.store.gates(self.web.now())}
        park = self.web.config.park
        expected = getattr(self.web.config, "gates", None) or []
        return sorted(seen | {(park, gate) for gate in expected})

    def targets(
        self, form: FormData, gates: list[tuple[str, str]], every: bool
    ) -> list[tuple[str, str]]:
        chosen = str(form.get("target", ""))
        if every and chosen == EVERY_GATE:
            if not gates:
                raise OrderProblem("gate_unknown_target")
            return gates
        found = [(park, gate) for park, gate in gates if gate == chosen]
        if not found:
            raise OrderProblem("gate_unknown_target")
        return found[:1]

    # --- the form -------------------------------------------------------------------------------
    def reason(self, form: FormData) -> str:
        reason = str(form.get("reason", "")).strip()
        if not reason:
            raise OrderProblem("reason_missing")
        if len(reason) > MAX_REASON_CHARS:
            raise OrderProblem("reason_too_long")
        return reason

    async def read(self, form: FormData, gates: list[tuple[str, str]]) -> Pending:
        name = str(form.get("command", ""))
        if name not in BOARD_COMMANDS:
            raise OrderProblem("bad_choice")
        t = self.web.t
        payload: dict[str, Any]
        if name == "lockdown":
            targets = self.targets(form, gates, every=True)
            switch = str(form.get("on", ""))
            if switch not in ("on", "off"):
                raise OrderProblem("bad_choice")
            payload = {"on": switch == "on", "reason": self.reason(form)}
            what = f"{t('do_lockdown_' + switch)} · {payload['reason']}"
        elif name == "open_once":
            targets = self.targets(form, gates, every=False)  # one turnstile, one person
            payload = {"reason": self.reason(form)}
            what = f"{t('cmd_open_once')} · {payload['reason']}"
        elif name == "set_risk_tier":
            targets = self.targets(form, gates, every=True)
            tier = str(form.get("tier", ""))
            if tier not in ("low", "medium", "high"):
                raise OrderProblem("bad_choice")
            payload = {"tier": tier}
            what = f"{t('cmd_set_risk_tier')}: {tier}"
        else:
            targets = self.targets(form, gates, every=True)
            kind = str(form.get("kind", ""))
            if kind not in ("workers", "visitors"):
                raise OrderProblem("bad_choice")
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise OrderProblem("choose_file")
            raw = await upload.read(MAX_ROSTER_BYTES + 1)
            if len(raw) > MAX_ROSTER_BYTES:
                raise OrderProblem("file_too_big")
            if not raw.strip():
                raise OrderProblem("choose_file")
            try:
                text = decode_roster(raw, str(form.get("encoding", DEFAULT_ENCODING)))
            except RosterNotDecoded as exc:
                raise OrderProblem(str(exc)) from None
            # the push carries it in UTF-8: a GB18030 file grows by half in it
            if len(text.encode("utf-8")) > MAX_ROSTER_BYTES:
                raise OrderProblem("file_too_big")
            payload = {"kind": kind, "csv": text}
            lines = len(text.strip().splitlines())
            filename = printable(upload.filename[:80])
            what = (
                f"{t('cmd_push_roster')}: {t('roster_' + kind)} · {filename} · "
                f"{lines} lines, {len(raw) / 1024:.1f} KB"
            )
        try:
            COMMAND_PAYLOADS[name].model_validate(payload)
        except ValidationError:
            raise OrderProblem("bad_choice") from None
        where = ", ".join(gate for _, gate in targets)
        return Pending("", name, tuple(targets), payload, f"{what} → {where}", time.monotonic())

    # --- pages ----------------------------------------------------------------------------------
    async def show(self, request: Request, visitor: Visitor, problem: str | None = None,
                   status_code: int = 200) -> Response:  # fmt: skip
        gates = await self.web.call(self.known_gates)
        session = auth.token_digest(visitor.token)
        return self.web.page(
            "commands.html", visitor, status_code, gates=gates, problem=problem,
            every=EVERY_GATE, chosen=self.choices.of(session), encodings=ROSTER_ENCODINGS,
            **await self.results(),
        )  # fmt: skip

    async def show_page(self, request: Request, visitor: Visitor) -> Response:
        return await self.show(request, visitor)

    async def results(self) -> dict[str, Any]:
        """The commands already sent, newest first, each with what it asked and got in words."""
        results = await self.web.call(self.web.store.command_results, RESULTS_SHOWN)
        words = [in_words(self.web.t, self.web.reason_words, r) for r in results]
        return {"results": list(zip(results, words, strict=True))}

    async def live_part(self, visitor: Visitor) -> str:
        return self.web.render_text("_commands_live.html", visitor=visitor, **await self.results())

    async def prepare(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        gates = await self.web.call(self.known_gates)
        self.choices.remember(auth.token_digest(visitor.token), str(form.get("command")), form)
        try:
            read = await self.read(form, gates)
        except OrderProblem as exc:
            return await self.show(request, visitor, self.web.t(str(exc)), 400)
        forget_stale(self.pending, MAX_PENDING)
        pending_id = secrets.token_urlsafe(16)
        self.pending[pending_id] = Pending(
            auth.token_digest(visitor.token), read.name, read.targets, read.payload,
            read.summary, read.made_s,
        )  # fmt: skip
        return self.web.page("confirm.html", visitor, pending_id=pending_id, summary=read.summary)

    async def confirm(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        pending = self.pending.pop(str(form.get("pending", "")), None)
        if not may_confirm(pending, visitor):
            return await self.show(request, visitor, self.web.t("confirm_expired"), 409)
        command_ids = [  # one gate after another: a gate that cannot be sent it is named
            await self.web.send_or_note(visitor, pending.name, park, gate, pending.payload)
            for park, gate in pending.targets
        ]
        sent = sum(command_id is not None for command_id in command_ids)
        if sent:
            self.web.note(visitor, "sent_commands", count=sent)
        return see_other("/commands")

    async def cancel(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        self.pending.pop(str(form.get("pending", "")), None)
        self.web.note(visitor, "cancelled")
        return see_other("/commands")


def routes(web: Web) -> list[Route]:
    orders = Orders(web)
    return [
        Route("/commands", page(web, orders.show_page)),
        Route("/commands/live", stream_route(web, orders.live_part)),
        Route("/commands/prepare", action(web, "command", orders.prepare), methods=["POST"]),
        Route("/commands/confirm", action(web, "command", orders.confirm), methods=["POST"]),
        Route("/commands/cancel", action(web, "command", orders.cancel), methods=["POST"]),
    ]
