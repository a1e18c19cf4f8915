"""The centre's web application: the security desk (``/desk``) and the operations centre's board
(``/board``, ``/records``, ``/commands``), behind a sign-in. Each action is
recorded in the store's audit log with who did it (see ``guards`` for who may do what)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from terminal.centre.config import CentreConfig
from terminal.centre.sender import CommandSender
from terminal.centre.store import Store
from terminal.centre.web import auth, board, desk, orders, persons, printed
from terminal.centre.web.context import HERE, Visitor, Web, see_other
from terminal.centre.web.guards import action, body_fits
from terminal.centre.web.headers import EVERY_RESPONSE
from terminal.centre.web.returnto import safe_next
from terminal.common.safetext import printable
from terminal.common.web_headers import SecurityHeaders

MAX_NAME_CHARS = 64


def login_routes(web: Web) -> list[Route]:
    def login_page(
        request: Request, message: str | None, status_code: int, back_to: str | None = None
    ) -> Response:
        token = auth.new_token()
        back_to = safe_next(back_to if back_to is not None else request.query_params.get("next"))
        response = web.page(
            "login.html", None, status_code, login_csrf=token, message=message, back_to=back_to
        )
        response.set_cookie(
            auth.LOGIN_COOKIE,
            token,
            max_age=3600,
            path="/login",
            httponly=True,
            samesite="strict",
            secure=web.secure_cookies,
        )
        return response

    async def show(request: Request) -> Response:
        expired = request.query_params.get("expired") == "1"
        return login_page(request, web.t("expired") if expired else None, 200)

    async def sign_in(request: Request) -> Response:
        if not body_fits(request):
            return login_page(request, web.t("bad_form"), 413)
        try:
            form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        except (HTTPException, MultiPartException):
            return login_page(request, web.t("bad_form"), 400)
        if not auth.same_token(
            request.cookies.get(auth.LOGIN_COOKIE, ""), str(form.get("csrf", ""))
        ):
            return login_page(request, web.t("bad_form"), 400)
        back_to = safe_next(str(form.get("next", "")))
        # shown escaped: a control or bidi character could forge a line of the audit log; such
        # a name is never a user's (they are checked where they are made), so it signs nobody in
        name = printable(str(form.get("user", "")).strip()[:MAX_NAME_CHARS])
        password = str(form.get("password", ""))[:1024]
        now = web.now()
        locked_s = web.lockout.locked_for_s(name, now.timestamp())
        if locked_s > 0:
            await web.audit(name or "?", "login_locked", "refused while locked")
            minutes = max(1, round(locked_s / 60))
            return login_page(request, web.t("locked_out", minutes=minutes), 429, back_to)
        user = await web.call(web.store.user, name) if name else None
        ok = await web.call(auth.check_password, user.password_hash if user else None, password)
        if not ok or user is None:
            locks = web.lockout.failed(name, now.timestamp())
            await web.audit(name or "?", "login_failed", "locked" if locks else "")
            if locks:
                minutes = max(1, round(web.lockout.lockout_s / 60))
                return login_page(request, web.t("locked_out", minutes=minutes), 429, back_to)
            return login_page(request, web.t("bad_login"), 401, back_to)
        web.lockout.succeeded(name)
        token = auth.new_token()
        hours = float(web.config.web.session_hours)
        expires = now + dt.timedelta(hours=hours)
        await web.call(web.store.create_session, auth.token_digest(token), user.name, expires)
        await web.audit(user.name, "login", user.role)
        response = see_other(back_to)
        response.set_cookie(
            auth.SESSION_COOKIE,
            token,
            max_age=int(hours * 3600),
            path="/",
            httponly=True,
            samesite="strict",
            secure=web.secure_cookies,
        )
        response.delete_cookie(auth.LOGIN_COOKIE, path="/login")
        return response

    async def sign_out(request: Request, visitor: Visitor, form: FormData) -> Response:
        await web.call(web.store.delete_session, auth.token_digest(visitor.token))
        await web.audit(visitor.name, "logout", "")
        web.sign_out(visitor)
        response = see_other("/login")
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    return [
        Route("/login", show, methods=["GET"]),
        Route("/login", sign_in, methods=["POST"]),
        Route("/logout", action(web, None, sign_out), methods=["POST"]),
    ]


class CentreApp(Starlette):
    """Starlette with the security headers outside everything, the error page of a failure
    included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), EVERY_RESPONSE)


def build_app(
    store: Store,
    config: CentreConfig,
    sender: CommandSender | None,
    *,
    clock_synchronised: Callable[[], bool] | None = None,
) -> Starlette:
    """The desk and the board over ``store``; commands go out through ``sender``.
    ``clock_synchronised``: whether this machine's clock is (systemd's NTP status unless given),
    shown on the board when it is not."""
    web = Web(store=store, config=config, sender=sender)
    if clock_synchronised is not None:
        web.clock_synchronised = clock_synchronised

    async def home(request: Request) -> Response:
        return see_other("/desk")

    async def http_error(request: Request, exc: Exception) -> Response:
        """Starlette's own refusals (no such page, a method a page does not take) as a page."""
        if not isinstance(exc, HTTPException):
            return await failure(request, exc)
        message = web.t("not_found") if exc.status_code == 404 else str(exc.detail)
        response = web.page("error.html", None, exc.status_code, message=message)
        response.headers.update(exc.headers or {})
        return response

    async def failure(request: Request, exc: Exception) -> Response:
        """A fault of the centre itself: one line to the visitor; the log has the rest."""
        try:
            return web.page("error.html", None, 500, message=web.t("server_error"))
        except Exception:  # the templates themselves failing: the same line, as plain text
            return PlainTextResponse(web.t("server_error"), status_code=500)

    app = CentreApp(
        exception_handlers={HTTPException: http_error, 500: failure},
        routes=[
            Route("/", home),
            *login_routes(web),
            *desk.routes(web),
            *board.routes(web),
            *orders.routes(web),
            *printed.routes(web),
            *persons.routes(web),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
    )
    app.state.web = web
    app.state.stopping = web.stopping  # the server sets it first when it stops
    return app
