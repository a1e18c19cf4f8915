"""A person's own data, on the centre's persons page (``/persons``): a health officer enters a
person's id, the centre asks every gate for what its record holds about them (``export_person``)
and offers one JSON file of everything once the answers are in; or, after a confirmation that
takes the id typed again and a legal basis, erases them at the centre and at every gate
(``erase_person``). Every step is in the audit log under a salted hash of the id, never the id."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from terminal.centre.erasure import CentreErasure
from terminal.centre.persons import HeldPerson, RequestKind, new_pseudonym
from terminal.centre.web import auth
from terminal.centre.web.context import SECURITY_HEADERS, Visitor, Web, see_other
from terminal.centre.web.guards import action, page, refuse
from terminal.centre.web.pending import forget_stale, may_confirm
from terminal.common.mentions import Mentions, ascii_lower
from terminal.common.safetext import unsafe_character
from terminal.common.times import zone_label
from terminal.link.contract import PERSON

NEEDS: auth.Action = "person_data"
MAX_PENDING = 100
MAX_REASON_CHARS = 200
SHORT_HASH = 12  # what a page shows of a request's hash: enough to tell requests apart


@dataclass(frozen=True)
class PendingErasure:
    session: str  # digest of the session that prepared it: only that session may confirm it
    typed: str  # as the officer typed it: typed again (in any case) to confirm
    person_id: str  # the centre's spelling of it; held here, in memory, for the confirmation only
    reason: str
    made_s: float


class PersonsPage:
    def __init__(self, web: Web) -> None:
        self.web = web
        self.pending: dict[str, PendingErasure] = {}

    def gates(self) -> list[tuple[str, str]]:
        """Every gate the centre knows: those heard from, and the config's list."""
        seen = {(g.park, g.gate) for g in self.web.store.gates(self.web.now())}
        return sorted(seen | {(self.web.config.park, gate) for gate in self.web.config.gates})

    # --- pages ----------------------------------------------------------------------------------
    async def show(self, request: Request, visitor: Visitor, problem: str | None = None,
                   status_code: int = 200) -> Response:  # fmt: skip
        if not visitor.may(NEEDS):
            return await refuse(self.web, visitor, NEEDS)
        requests = await self.web.call(self.web.store.persons.requests)
        return self.web.page(
            "persons.html", visitor, status_code, requests=requests, problem=problem,
            mode=self.web.config.privacy.erasure, short=SHORT_HASH,
        )  # fmt: skip

    async def show_page(self, request: Request, visitor: Visitor) -> Response:
        return await self.show(request, visitor)

    async def show_request(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.may(NEEDS):
            return await refuse(self.web, visitor, NEEDS)
        request_id = str(request.path_params["request_id"])
        found = await self.web.call(self.web.store.persons.request, request_id)
        if found is None:
            return self.web.page("error.html", visitor, 404, message=self.web.t("not_found"))
        answers = await self.web.call(self.web.store.persons.answers, request_id)
        return self.web.page(
            "person_request.html", visitor, found=found, answers=answers, short=SHORT_HASH,
            zone=zone_label(self.web.tz),
        )  # fmt: skip

    async def download(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.may(NEEDS):
            return await refuse(self.web, visitor, NEEDS)
        request_id = str(request.path_params["request_id"])
        exported = await self.web.call(self.web.store.persons.export, request_id, self.web.tz)
        if exported is None:
            return self.web.page("error.html", visitor, 404, message=self.web.t("not_found"))
        await self.web.audit(visitor.name, "person_download", f"request {request_id}")
        body = json.dumps(exported, ensure_ascii=False, indent=2).encode("utf-8")
        name = f"person-{request_id}.json"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    # --- the forms ------------------------------------------------------------------------------
    def _person(self, form: FormData, field: str = "person_id") -> str | None:
        person_id = str(form.get(field, "")).strip()
        return person_id if re.match(PERSON, person_id) else None

    def _reason(self, form: FormData) -> str | None:
        reason = " ".join(str(form.get("reason", "")).split())
        # kept in the requests and the audit, and shown on pages: plain text only
        plain = unsafe_character(reason) is None
        return reason if plain and 0 < len(reason) <= MAX_REASON_CHARS else None

    async def export(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        person_id = self._person(form)
        if person_id is None:
            return await self.show(request, visitor, self.web.t("person_bad_id"), 400)
        reason = self._reason(form) or self.web.t("person_export_default_reason")
        held = await self.web.call(self.web.store.persons.held, person_id)
        stored = held.stored_id  # the gates' record holds the roster's spelling
        request_id = await self._ask_every_gate(
            "export", stored, visitor, reason, "export_person", {"person_id": stored},
            centre=self._held_words(held),
        )  # fmt: skip
        return see_other(f"/persons/{request_id}")

    def _erased_words(self, counts: CentreErasure) -> str:
        """What the erasure did at the centre, per table, in the centre's language."""
        parts = [
            self.web.t("person_erased_pseudonymised", table=table, count=count)
            for table, count in sorted(counts.pseudonymised.items())
        ] + [
            self.web.t("person_erased_deleted", table=table, count=count)
            for table, count in sorted(counts.deleted.items())
        ]
        if not parts:
            return self.web.t("person_centre_holds_nothing")
        return self.web.t("list_separator").join(parts)

    def _held_words(self, held: HeldPerson) -> str:
        """How many rows per table the centre holds about them, or that it holds none."""
        if not held.rows:
            return self.web.t("person_centre_holds_nothing")
        separator = self.web.t("list_separator")
        counts = separator.join(f"{table}: {count}" for table, count in held.rows.items())
        return self.web.t("person_centre_holds", counts=counts)

    async def prepare_erasure(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        person_id, reason = self._person(form), self._reason(form)
        if person_id is None:
            return await self.show(request, visitor, self.web.t("person_bad_id"), 400)
        if reason is None:
            return await self.show(request, visitor, self.web.t("person_reason_missing"), 400)
        forget_stale(self.pending, MAX_PENDING)
        pending_id = secrets.token_urlsafe(16)
        held = await self.web.call(self.web.store.persons.held, person_id)
        self.pending[pending_id] = PendingErasure(
            auth.token_digest(visitor.token), person_id, held.stored_id, reason, time.monotonic()
        )
        gates = await self.web.call(self.gates)
        return self.web.page(
            "person_erase.html", visitor, pending_id=pending_id, reason=reason,
            mode=self.web.config.privacy.erasure, gates=[gate for _, gate in gates], held=held,
        )  # fmt: skip

    async def confirm_erasure(self, request: Request, visitor: Visitor, form: FormData) -> Response:
        pending = self.pending.get(str(form.get("pending", "")))
        if not may_confirm(pending, visitor):
            return await self.show(request, visitor, self.web.t("confirm_expired"), 409)
        typed_again = ascii_lower(str(form.get("typed_id", "")).strip())
        if typed_again != ascii_lower(pending.typed):
            return await self.show(request, visitor, self.web.t("person_typed_id_differs"), 409)
        del self.pending[str(form.get("pending", ""))]
        pseudonym, mode = new_pseudonym(), self.web.config.privacy.erasure
        # the reason is kept: whatever of the id it holds is not
        reason = Mentions([pending.person_id], ignore_case=True).replaced(pending.reason, pseudonym)
        counts = await self.web.call(
            self.web.store.persons.erase, pending.person_id, pseudonym, mode
        )
        payload = {"person_id": pending.person_id, "pseudonym": pseudonym, "mode": mode}
        request_id = await self._ask_every_gate(
            "erase", pending.person_id, visitor, reason, "erase_person", payload,
            pseudonym=pseudonym, centre=self._erased_words(counts),
        )  # fmt: skip
        return see_other(f"/persons/{request_id}")

    async def _ask_every_gate(
        self,
        kind: RequestKind,
        person_id: str,
        visitor: Visitor,
        reason: str,
        command: str,
        payload: dict[str, str],
        pseudonym: str | None = None,
        centre: str | None = None,
    ) -> str:
        """Open the request, audit it, and send ``command`` to every gate known."""
        persons = self.web.store.persons
        mode = self.web.config.privacy.erasure if kind == "erase" else None
        request_id = await self.web.call(
            persons.open_request, kind, person_id, visitor.name, self.web.now().timestamp(),
            reason, pseudonym=pseudonym, mode=mode,
        )  # fmt: skip
        if centre is not None:
            await self.web.call(persons.set_centre_outcome, request_id, centre)
        person_hash = await self.web.call(persons.person_hash, person_id)
        gates = await self.web.call(self.gates)
        said = f"request {request_id}: person {person_hash}; {reason}"
        if mode is not None:
            said += f"; mode {mode}"
        if centre is not None:  # tables and counts, never the person
            said += f"; centre: {centre}"
        await self.web.audit(visitor.name, f"person_{kind}", f"{said}; {len(gates)} gates"[:500])
        for park, gate in gates:
            command_id = await self.web.send_or_note(visitor, command, park, gate, payload)
            await self.web.call(persons.add_gate, request_id, park, gate, command_id)
        return request_id


def routes(web: Web) -> list[Route]:
    persons = PersonsPage(web)
    return [
        Route("/persons", page(web, persons.show_page)),
        Route("/persons/export", action(web, NEEDS, persons.export), methods=["POST"]),
        Route("/persons/erase", action(web, NEEDS, persons.prepare_erasure), methods=["POST"]),
        Route(
            "/persons/erase/confirm", action(web, NEEDS, persons.confirm_erasure), methods=["POST"]
        ),
        Route("/persons/{request_id:str}", page(web, persons.show_request)),
        Route("/persons/{request_id:str}/download", page(web, persons.download)),
    ]
