"""The security desk: open flags and confirmed fevers first, then device faults and gates that
are not online, then the latest checks; live, with an alarm until someone takes each alert. A
guard takes an alert, resolves a secondary check with the clinical reading (the gate's
``resolve_secondary`` command) and records that a person with a fever was escorted. While a gate's
fire alarm sounds, its roll call: who its record showed inside the zone, ticked off one by one as
they reach the muster point (each tick in the audit log, with who made it)."""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from terminal.centre.errors import CentreError
from terminal.centre.store import ISOLATION_KINDS, CheckQuery
from terminal.centre.web import auth
from terminal.centre.web.context import Visitor, Web, see_other
from terminal.centre.web.guards import action, page, refuse
from terminal.centre.web.live import stream_route
from terminal.centre.web.receipts import Receipts, Sent

CLINICAL_RANGE_C = (34.0, 43.0)  # the command's own bounds: no living person reads outside
ACTIVE = ("open", "fever_confirmed")
RECENT_CHECKS = 30
CLOSED_SHOWN = 20
MAX_NOTE_CHARS = 200


def needs_alarm(flag: Any) -> bool:
    """An alert nobody has taken. A fever a guard confirmed is handled: the gate sent the person
    to the isolation room and the desk now awaits the escort, with no alarm."""
    if flag.taken_by is not None or flag.state not in ACTIVE:
        return False
    return not awaiting_escort(flag)


def awaiting_escort(flag: Any) -> bool:
    return bool(flag.state == "fever_confirmed" and flag.guard)


def resolvable(flag: Any) -> bool:
    return bool(flag.kind == "secondary_check" and flag.state == "open")


def escortable(flag: Any) -> bool:
    """A person sent to the isolation room: a confirmed fever, or a flag that routed them there
    from the start (a high reading not re-measured, a code colour, a positive test)."""
    if flag.state == "fever_confirmed":
        return True
    return bool(flag.state == "open" and flag.kind in ISOLATION_KINDS)


def parse_clinical(raw: str) -> tuple[float | None, str | None]:
    """The clinical reading typed by the guard, or the catalogue key of what is wrong with it."""
    cleaned = raw.strip().replace(",", ".").removesuffix("°C").removesuffix("°").strip()
    if not cleaned:
        return None, "reading_missing"
    try:
        value = float(cleaned)
    except ValueError:
        return None, "reading_not_number"
    low, high = CLINICAL_RANGE_C
    if not math.isfinite(value) or not low <= value <= high:
        return None, "reading_out_of_range"
    return round(value, 2), None


class Desk:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.receipts = Receipts()

    @property
    def threshold_c(self) -> float:
        return float(self.web.config.secondary.clinical_fever_c)

    def view(self) -> dict[str, Any]:
        """Everything the desk shows, read from the store (in a worker thread)."""
        store, now = self.web.store, self.web.now()
        flags = store.flags(open_only=False, limit=200)
        active = [f for f in flags if f.state in ACTIVE]
        closed = [f for f in flags if f.state not in ACTIVE][:CLOSED_SHOWN]
        gates = store.gates(now)
        return {
            "active": active,
            "closed": closed,
            "alarms": [f for f in active if needs_alarm(f)],
            "faults": store.faults(active_only=True),
            "gates_down": [g for g in gates if g.state != "online"],
            "checks": store.checks(CheckQuery(), limit=RECENT_CHECKS),
            "musters": store.musters(),
        }

    def seen_by(self, visitor: Visitor) -> dict[str, Any]:
        """The desk as ``visitor`` sees it: everything, and what became of the readings they
        sent (in a worker thread)."""
        session = auth.token_digest(visitor.token)
        receipts = self.receipts.of(session, self.web.store, self.web.t)
        return {**self.view(), "receipts": receipts}

    async def live_part(self, visitor: Visitor) -> str:
        view = await self.web.call(self.seen_by, visitor)
        return self.web.render_text("_desk_live.html", visitor=visitor, **self.helpers(), **view)

    def helpers(self) -> dict[str, Any]:
        return {
            "resolvable": resolvable,
            "escortable": escortable,
            "needs_alarm": needs_alarm,
            "awaiting_escort": awaiting_escort,
        }

    async def find(self, ref: str) -> Any | None:
        """The flag a form or a link names by its ref (park/gate/id: one gate's flag)."""
        return await self.web.call(self.web.store.flag, ref) if ref else None

    # --- pages ----------------------------------------------------------------------------------
    async def show(self, request: Request, visitor: Visitor) -> Response:
        view = await self.web.call(self.seen_by, visitor)
        return self.web.page("desk.html", visitor, **self.helpers(), **view)

    async def resolve_form(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.may("resolve"):
            return await refuse(self.web, visitor, "resolve")
        flag = await self.find(request.query_params.get("flag", "")[:200])
        if flag is None or not resolvable(flag):
            return self.web.page("error.html", visitor, 404, message=self.web.t("flag_closed"))
        return self.resolve_page(visitor, flag, "", None, 200)

    def resolve_page(
        self, visitor: Visitor, flag: Any, typed: str, problem: str | None, status_code: int
    ) -> Response:
        return self.web.page(
            "resolve.html",
            visitor,
            status_code,
            flag=flag,
            typed=typed,
            problem=self.web.t(problem) if problem else None,
            threshold_c=self.threshold_c,
        )

    # --- actions --------------------------------------------------------------------------------
    async def resolve(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        flag = await self.find(str(form.get("flag", ""))[:200])
        if flag is None or not resolvable(flag):
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        typed = str(form.get("clinical_c", ""))[:32]
        clinical_c, problem = parse_clinical(typed)
        if clinical_c is None:
            return self.resolve_page(visitor, flag, typed, problem, 400)
        result = "fever" if clinical_c >= self.threshold_c else "normal"
        payload = {
            "flag_id": flag.flag_id,
            "result": result,
            "clinical_c": clinical_c,
            "guard": visitor.name,
        }
        try:
            command_id = await self.web.send(
                "resolve_secondary", flag.park, flag.gate, payload, visitor.name
            )
        except CentreError as exc:  # the sender names what failed: the broker, the key, the payload
            self.web.note(visitor, "send_failed", "error", detail=str(exc)[:300])
            return see_other("/desk")
        if flag.taken_by is None:  # whoever measured has taken the alert
            await self.web.call(self.web.store.take, flag.ref, visitor.name)
        # the live desk says "waiting for the gate", then the gate's answer as soon as it comes
        sent = Sent(command_id, flag.flag_id, flag.gate, flag.person_id or "?", result, flag.ref)
        self.receipts.sent(auth.token_digest(visitor.token), sent)
        return see_other("/desk")

    async def take(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        flag = await self.find(str(form.get("flag", ""))[:200])
        if flag is None or flag.state not in ACTIVE:
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        if flag.taken_by is None:
            await self.web.call(self.web.store.take, flag.ref, visitor.name)
            await self.web.audit(visitor.name, "take", f"flag {flag.flag_id} at {flag.gate}")
        return see_other("/desk")

    async def escort(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        flag = await self.find(str(form.get("flag", ""))[:200])
        if flag is None or not escortable(flag):
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        note = str(form.get("note", "")).strip()[:MAX_NOTE_CHARS]
        if flag.taken_by is None:
            await self.web.call(self.web.store.take, flag.ref, visitor.name)
        await self.web.call(self.web.store.record_escort, flag.ref, visitor.name, note)
        await self.web.audit(visitor.name, "escort", f"flag {flag.flag_id} at {flag.gate}")
        return see_other("/desk")

    async def account(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        emergency_id = str(form.get("emergency_id", ""))[:64]
        person_id = str(form.get("person_id", ""))[:64]
        ticked = await self.web.call(self.web.store.account, emergency_id, person_id, visitor.name)
        if not ticked:
            return self.web.page("error.html", visitor, 409, message=self.web.t("muster_gone"))
        await self.web.audit(
            visitor.name, "muster", f"{person_id} accounted for (fire alarm {emergency_id})"
        )
        return see_other("/desk")


def routes(web: Web) -> list[Route]:
    desk = Desk(web)
    return [
        Route("/desk", page(web, desk.show)),
        Route("/desk/live", stream_route(web, desk.live_part)),
        Route("/desk/resolve", page(web, desk.resolve_form), methods=["GET"]),
        Route("/desk/resolve", action(web, "resolve", desk.resolve), methods=["POST"]),
        Route("/desk/take", action(web, "take", desk.take), methods=["POST"]),
        Route("/desk/escort", action(web, "escort", desk.escort), methods=["POST"]),
        Route("/desk/account", action(web, "muster", desk.account), methods=["POST"]),
    ]
