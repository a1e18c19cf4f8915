"""Where the sign-in returns to: the page that asked for it, carried as ``next``. Only a path of
this centre is followed, so a link that sends a guard to the sign-in cannot send them on to
another site once they have typed their password (an open redirect)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

HOME = "/desk"
MAX_NEXT_CHARS = 512
NOT_RETURNED_TO = ("/login", "/logout")  # the sign-in itself: it would only ask again


def safe_next(raw: str | None) -> str:
    """``raw`` when it is a path of this centre (``/board``, ``/records?gate=g1``); the desk
    otherwise: another site (``//evil``, ``https://evil``), a backslash a browser reads as a
    slash, any space or control character a browser would drop before it reads the rest."""
    if not raw or len(raw) > MAX_NEXT_CHARS:
        return HOME
    if not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return HOME
    if any(not char.isprintable() or char.isspace() for char in raw):
        return HOME
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.fragment:
        return HOME
    if parts.path.rstrip("/") in NOT_RETURNED_TO:
        return HOME
    return raw


def login_path(back_to: str | None, expired: bool = False) -> str:
    """The sign-in, asked to come back to ``back_to`` (when it is a page worth returning to)."""
    query = ["expired=1"] if expired else []
    target = safe_next(back_to)
    if target != HOME:
        query.append("next=" + quote(target, safe=""))
    return "/login" + ("?" + "&".join(query) if query else "")
