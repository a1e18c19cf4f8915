"""The security desk: a gate locked down says so first; open flags and confirmed fevers as a queue
in the order they came, with each gate's expected wait (an estimate) and why the screening sent
each person on; people told to rest who never came back; then device faults and gates that are
not online, then the latest checks; live, with an alarm until someone takes each alert. A flag
nobody took within ``secondary.escalate_after_s`` is raised again to ``secondary.escalate_to``,
with a banner and a sound of its own on that role's desk (in the audit log; the lane goes on). A
guard takes an alert, resolves a secondary check with the clinical reading (the gate's
``resolve_secondary`` command), records that a person with a fever was escorted, records who an
unidentified person sent to the isolation room is, and dismisses a person who never came back
from a rest with a note. While a gate's fire alarm sounds, its roll call: who its record showed
inside the zone, ticked off one by one as they reach the muster point (each tick in the audit
log, with who made it)."""

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
from terminal.common.safetext import unsafe_character

CLINICAL_RANGE_C = (34.0, 43.0)  # the command's own bounds: no living person reads outside
ACTIVE = ("open", "fever_confirmed")
RECENT_CHECKS = 30
CLOSED_SHOWN = 20
MAX_NOTE_CHARS = 200
MAX_IDENTITY_CHARS = 64  # a name, a badge or an ID card number: one short line


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


def identifiable(flag: Any) -> bool:
    """A person sent to the isolation room whom no code named: the guard may say who they are."""
    if flag.person_id is not None or flag.kind == "not_returned":
        return False
    isolated = flag.kind in ISOLATION_KINDS or flag.route == "isolation_room"
    return bool(isolated or flag.state in ("fever_confirmed", "escorted"))


def dismissable(flag: Any) -> bool:
    """A person told to rest who never came back, not yet seen to."""
    return bool(flag.kind == "not_returned" and flag.state == "open")


def escalated(flag: Any) -> bool:
    """Raised again to the second role, and still nobody's."""
    return bool(flag.escalated_at is not None and flag.taken_by is None and flag.state == "open")


def parse_identity(raw: str) -> tuple[str | None, str | None]:
    """The identity typed by the guard, or the catalogue key of what is wrong with it: one line
    of plain text (no control or formatting character), at most MAX_IDENTITY_CHARS."""
    cleaned = raw.strip()
    if not cleaned:
        return None, "identity_missing"
    if len(cleaned) > MAX_IDENTITY_CHARS:
        return None, "identity_too_long"
    if unsafe_character(cleaned) is not None:
        return None, "identity_not_plain"
    return cleaned, None


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
        """Everything the desk shows, read from the store (in a worker thread). Flags nobody
        took in time are raised to the second role first: any open desk does it, once."""
        store, now, secondary = self.web.store, self.web.now(), self.web.config.secondary
        store.escalate_due(now, secondary.escalate_after_s, secondary.escalate_to)
        flags = [f for f in store.flags(open_only=False, limit=200) if f.kind != "not_returned"]
        active = [f for f in flags if f.state in ACTIVE]
        closed = [f for f in flags if f.state not in ACTIVE][:CLOSED_SHOWN]
        gates = store.gates(now)
        return {
            "active": active,
            "closed": closed,
            "alarms": [f for f in active if needs_alarm(f)],
            "escalations": [f for f in active if escalated(f)],
            "escalate_to": secondary.escalate_to,
            "escalate_after_s": secondary.escalate_after_s,
            "waits": store.flag_waits(now),
            "not_returned": store.not_returned(open_only=True),
            "lockdowns": [g for g in gates if g.lockdown],
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
            "identifiable": identifiable,
            "escalated": escalated,
            "max_identity": MAX_IDENTITY_CHARS,
        }

    async def find(self, ref: str) -> Any | None:
        """The flag a form or a link names by its ref (park/gate/id: one gate's flag)."""
        return await self.web.call(self.web.store.flag, ref) if ref else None

    # --- pages ----------------------------------------------------------------------------------
    async def show(self, request: Request, visitor: Visitor) -> Response:
        view = await self.web.call(self.seen_by, visitor)
        # the page's load; its live updates are the same look
        await self.web.audit_view(visitor.name, "view_desk", "")
        return self.web.page("desk.html", visitor, **self.helpers(), **view)

    async def resolve_form(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.may("resolve"):
            return await refuse(self.web, visitor, "resolve")
        flag = await self.find(request.query_params.get("flag", "")[:200])
        if flag is None or not resolvable(flag):
            return self.web.page("error.html", visitor, 404, message=self.web.t("flag_closed"))
        await self.web.audit_view(visitor.name, "view_flag", f"flag {flag.flag_id} at {flag.gate}")
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

    # --- a flag's one line: who an unidentified person is, why a missing one is dismissed ---
    def note_page(
        self, visitor: Visitor, flag: Any, which: str, typed: str, problem: str | None, code: int
    ) -> Response:
        """The form of ``which`` ("identify" or "dismiss") for one flag, with what was typed
        and what is wrong with it."""
        identify = which == "identify"
        return self.web.page(
            "flag_note.html",
            visitor,
            code,
            f=flag,
            title=self.web.t("identify" if identify else "dismiss"),
            label=self.web.t("identity_label" if identify else "dismiss_note"),
            action=f"/desk/{which}",
            field="identity" if identify else "note",
            max_chars=MAX_IDENTITY_CHARS if identify else MAX_NOTE_CHARS,
            typed=typed,
            problem=self.web.t(problem) if problem else None,
        )

    async def note_form(self, request: Request, visitor: Visitor) -> Response:
        which = request.url.path.rsplit("/", 1)[-1]
        allowed = identifiable if which == "identify" else dismissable
        if not visitor.may("identify" if which == "identify" else "dismiss"):
            return await refuse(self.web, visitor, "identify" if which == "identify" else "dismiss")
        flag = await self.find(request.query_params.get("flag", "")[:200])
        if flag is None or not allowed(flag):
            return self.web.page("error.html", visitor, 404, message=self.web.t("flag_closed"))
        await self.web.audit_view(visitor.name, "view_flag", f"flag {flag.flag_id} at {flag.gate}")
        return self.note_page(visitor, flag, which, flag.identity or "", None, 200)

    async def identify(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        """Who an unidentified person sent to the isolation room is, as the guard was told."""
        flag = await self.find(str(form.get("flag", ""))[:200])
        if flag is None or not identifiable(flag):
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        typed = str(form.get("identity", ""))[: MAX_IDENTITY_CHARS * 4]
        identity, problem = parse_identity(typed)
        if identity is None:
            return self.note_page(visitor, flag, "identify", typed, problem, 400)
        if not await self.web.call(self.web.store.identify, flag.ref, visitor.name, identity):
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        await self.web.audit(
            visitor.name, "identify", f"flag {flag.flag_id} at {flag.gate}: {identity}"
        )
        return see_other("/desk")

    async def dismiss(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        """A person told to rest who never came back, seen to: dismissed with a note."""
        flag = await self.find(str(form.get("flag", ""))[:200])
        if flag is None or not dismissable(flag):
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        typed = str(form.get("note", ""))[: MAX_NOTE_CHARS * 4]
        note = typed.strip()[:MAX_NOTE_CHARS]
        if not note or unsafe_character(note) is not None:
            return self.note_page(visitor, flag, "dismiss", typed, "note_missing", 400)
        if not await self.web.call(self.web.store.dismiss, flag.ref, visitor.name, note):
            return self.web.page("error.html", visitor, 409, message=self.web.t("flag_closed"))
        await self.web.audit(
            visitor.name, "dismiss", f"not returned: flag {flag.flag_id} at {flag.gate}"
        )
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
        Route("/desk/identify", page(web, desk.note_form), methods=["GET"]),
        Route("/desk/identify", action(web, "identify", desk.identify), methods=["POST"]),
        Route("/desk/dismiss", page(web, desk.note_form), methods=["GET"]),
        Route("/desk/dismiss", action(web, "dismiss", desk.dismiss), methods=["POST"]),
    ]
