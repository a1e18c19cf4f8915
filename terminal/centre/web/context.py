"""What every page of the centre needs: the store, config and command sender, the signed-in
visitor, the templates (autoescaped: every value from a gate or a form is text, never markup), the
language, the park's clock, and a one-line note carried to the next page."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from terminal.centre.config import CentreConfig
from terminal.centre.errors import CentreError
from terminal.centre.sender import CommandSender
from terminal.centre.store import Store
from terminal.centre.web import auth
from terminal.centre.web.catalogue import TEXTS, Language, named, text
from terminal.centre.web.headers import EVERY_RESPONSE
from terminal.common.clock_sync import SyncStatus
from terminal.common.times import zone_label

T = TypeVar("T")
NOTHING = "\u2013"  # an en dash: no value
HERE = Path(__file__).resolve().parent
# the store's version is read at most this often whatever the number of open pages: a change
# reaches every desk within this and one page render
VERSION_POLL_S = 0.1
MAX_NOTED_SESSIONS = 1000
SECURITY_HEADERS = {**EVERY_RESPONSE, "Cache-Control": "no-store"}  # a page: never kept
# a user looking at the same health data again within this is the one look in the audit log
VIEW_AUDIT_S = 600.0


@dataclass(frozen=True)
class Visitor:
    """The signed-in person, and the session token their forms are bound to."""

    name: str
    role: str
    token: str
    commands: bool = True  # False on a read-only centre: no key to sign commands with

    @property
    def csrf(self) -> str:
        return auth.csrf_token(self.token)

    def may(self, action: auth.Action) -> bool:
        if action in auth.SENDS_COMMANDS and not self.commands:
            return False
        return auth.may(self.role, action)


@dataclass
class Web:
    store: Store
    config: CentreConfig
    sender: CommandSender | None  # None on a read-only centre: no key to sign commands
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    # session digest -> notes for the next page (said once, then gone)
    notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # sessions signed out here: their open live pages end at once (an expiry is noticed by the
    # streams' periodic look at the store)
    signed_out: dict[str, None] = field(default_factory=dict)
    # set before the server stops: open live pages end their streams instead of being cut off
    stopping: threading.Event = field(default_factory=threading.Event)
    # this machine's clock as NTP keeps it: the board says when it is not synchronised
    clock_synchronised: Callable[[], bool] = field(
        default_factory=lambda: SyncStatus().synchronised
    )
    _version: tuple[float, int] = (0.0, -1)
    _version_lock: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        self.lockout = auth.Lockout(
            attempts=self.config.web.login_attempts, lockout_s=self.config.web.lockout_s
        )
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "svg"], default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            t=self.t,
            reason=self.reason_words,
            fault=lambda value: named("fault", value, self.language),
            local_time=self.local_time,
            times_zone=lambda: zone_label(self.tz, self.now().timestamp()),
            duration=self.duration,
            degrees=degrees,
            percent=percent,
            catalogue_keys=frozenset(TEXTS),
        )

    # --- words, times -----------------------------------------------------------------------
    @property
    def language(self) -> Language:
        return self.config.web.language

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def secure_cookies(self) -> bool:
        return bool(self.config.web.behind_tls)

    def t(self, key: str, **values: object) -> str:
        return text(key, self.language, **values)

    def reason_words(self, value: str) -> str:
        """A gate's reason, as staff name it."""
        return named("reason", value, self.language)

    def local_time(self, moment: dt.datetime | None, with_date: bool = False) -> str:
        if moment is None:
            return NOTHING
        if moment.tzinfo is None:  # the store keeps UTC
            moment = moment.replace(tzinfo=dt.UTC)
        local = moment.astimezone(self.tz)
        today = self.now().astimezone(self.tz).date()
        if with_date or local.date() != today:
            return local.strftime("%Y-%m-%d %H:%M:%S")
        return local.strftime("%H:%M:%S")

    def duration(self, since: dt.datetime | None) -> str:
        if since is None:
            return NOTHING
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        seconds = max(0, int((self.now() - since).total_seconds()))
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return self.t("hours_minutes", hours=hours, minutes=minutes)
        if minutes:
            return self.t("minutes_seconds", minutes=minutes, seconds=seconds)
        return self.t("seconds", seconds=seconds)

    def today(self) -> dt.date:
        return self.now().astimezone(self.tz).date()

    # --- the store, off the event loop ------------------------------------------------------
    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await run_in_threadpool(function, *args, **kwargs)

    async def version(self) -> int:
        """The store's version, read once per VERSION_POLL_S for all open pages together."""
        if self._version_lock is None:
            self._version_lock = asyncio.Lock()
        async with self._version_lock:
            read_at, version = self._version
            if time.monotonic() - read_at >= VERSION_POLL_S:
                version = await self.call(self.store.version)
                self._version = (time.monotonic(), version)
            return version

    # --- who is here ------------------------------------------------------------------------
    async def visitor(self, request: Request) -> Visitor | None:
        token = request.cookies.get(auth.SESSION_COOKIE, "")
        if not token or len(token) > 128:
            return None
        user = await self.call(self.store.session, auth.token_digest(token), self.now())
        if user is None:
            return None
        return Visitor(user.name, user.role, token, commands=self.sender is not None)

    def sign_out(self, visitor: Visitor) -> None:
        self.take_notes(visitor)
        self.signed_out[auth.token_digest(visitor.token)] = None
        while len(self.signed_out) > MAX_NOTED_SESSIONS:
            del self.signed_out[next(iter(self.signed_out))]

    def gone(self, visitor: Visitor) -> bool:
        return auth.token_digest(visitor.token) in self.signed_out

    def note(self, visitor: Visitor, key: str, tone: str = "info", **values: object) -> None:
        said = self.notes.setdefault(auth.token_digest(visitor.token), [])
        said.append((tone, self.t(key, **values)))
        del said[:-5]
        while len(self.notes) > MAX_NOTED_SESSIONS:  # sessions that left without reading them
            del self.notes[next(iter(self.notes))]

    def take_notes(self, visitor: Visitor) -> list[tuple[str, str]]:
        return self.notes.pop(auth.token_digest(visitor.token), [])

    async def send(
        self, name: str, park: str, gate: str, payload: dict[str, Any], user: str
    ) -> str:
        """A command to one gate; CentreError (one line, to show) when it cannot go."""
        if self.sender is None:
            raise CentreError("commands: not configured on this centre (no [commands] key)")
        return await self.call(self.sender.send, name, park, gate, payload, user)

    async def send_or_note(
        self, visitor: Visitor, name: str, park: str, gate: str, payload: dict[str, Any]
    ) -> str | None:
        """A command to one gate of several: its id; None when it cannot go, the visitor told
        which gate and why, so that the other gates are still sent it."""
        try:
            return await self.send(name, park, gate, payload, visitor.name)
        except CentreError as exc:  # the sender names what failed: the broker, the key, the gate
            self.note(visitor, "send_failed", "error", detail=f"{gate}: {str(exc)[:300]}")
            return None

    async def audit(self, who: str, action: str, detail: str) -> None:
        await self.call(self.store.audit, who, action, detail)

    async def audit_view(self, who: str, action: str, detail: str) -> None:
        """A look at health data: a page's load (never its live updates), once per user and
        ``detail`` within VIEW_AUDIT_S."""
        await self.call(self.store.audit_view, who, action, detail, VIEW_AUDIT_S, self.now())

    # --- pages ------------------------------------------------------------------------------
    def render_text(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(
            lang="zh-CN" if self.language == "zh" else "en", **values
        )

    def page(
        self,
        template: str,
        visitor: Visitor | None,
        status_code: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        notes = self.take_notes(visitor) if visitor is not None else []
        body = self.render_text(template, visitor=visitor, notes=notes, **values)
        return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def degrees(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.1f} °C"


def percent(share: float | None) -> str:
    return NOTHING if share is None else f"{share * 100:.0f} %"


def with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
