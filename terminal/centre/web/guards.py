"""The guards every page and form goes through: a page needs a session; a POST also needs the
session's CSRF token and a role that allows what it does (refused with 403, and the attempt
recorded, otherwise)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from terminal.centre.web import auth
from terminal.centre.web.context import Visitor, Web, see_other, with_headers
from terminal.centre.web.returnto import login_path
from terminal.link.contract import MAX_ROSTER_BYTES

Page = Callable[[Request, Visitor], Awaitable[Response]]
Action = Callable[[Request, Visitor, FormData], Awaitable[Response]]
# the largest roster a push carries (as a file it may be smaller: GB18030), and the form around it
MAX_UPLOAD_BYTES = MAX_ROSTER_BYTES + 1024 * 1024


def page(web: Web, handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for anyone signed in; the others are sent to the sign-in."""

    async def endpoint(request: Request) -> Response:
        visitor = await web.visitor(request)
        if visitor is None:
            return to_login(request)
        return with_headers(await handler(request, visitor))

    return endpoint


def action(
    web: Web, needs: auth.Action | None, handler: Action
) -> Callable[[Request], Awaitable[Response]]:
    """A form's POST: signed in, the session's CSRF token, and a role that allows ``needs``."""

    async def endpoint(request: Request) -> Response:
        visitor = await web.visitor(request)
        if visitor is None:
            return to_login(request)
        if not body_fits(request):
            return web.page("error.html", visitor, 413, message=web.t("file_too_big"))
        try:
            form = await request.form(max_files=1, max_fields=40, max_part_size=MAX_UPLOAD_BYTES)
        except (HTTPException, MultiPartException):  # a malformed body, or too many fields
            return web.page("error.html", visitor, 400, message=web.t("bad_form"))
        if not auth.csrf_ok(visitor.token, str(form.get("csrf", ""))):
            await web.audit(visitor.name, "refused", f"{request.url.path}: no valid CSRF token")
            return web.page("error.html", visitor, 400, message=web.t("bad_form"))
        if needs is not None and not visitor.may(needs):
            return await refuse(web, visitor, needs)
        return with_headers(await handler(request, visitor, form))

    return endpoint


def body_fits(request: Request) -> bool:
    """A body announced bigger than any form of the centre is refused before it is read (a
    reverse proxy's own limit stops one that does not announce its size)."""
    try:
        return int(request.headers.get("content-length", "0")) <= MAX_UPLOAD_BYTES
    except ValueError:
        return False


async def refuse(web: Web, visitor: Visitor, needs: auth.Action) -> Response:
    """403, and the attempt in the audit log."""
    await web.audit(visitor.name, "refused", f"{needs}: not allowed for {visitor.role}")
    message = web.t(
        "forbidden_detail", role=web.t(f"role_{visitor.role}"), action=web.t(f"action_{needs}")
    )
    return web.page("error.html", visitor, 403, message=message)


def to_login(request: Request) -> Response:
    """The sign-in, which then returns to the page asked for (a form's POST cannot be replayed:
    its page is the one to go back to, so none is given)."""
    asked = None
    if request.method == "GET":
        query = request.url.query
        asked = request.url.path + (f"?{query}" if query else "")
    ended = bool(request.cookies.get(auth.SESSION_COOKIE))  # a session that ended: say so
    response = see_other(login_path(asked, expired=ended))
    if ended:
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response
