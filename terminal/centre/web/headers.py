"""The security headers of every answer the centre's web application sends, whatever made it:
a page, a redirect, a static file, the streams, Starlette's own 404 and 405, and the error page
of a failure (the middleware sits outside the one that turns an exception into a 500)."""

from __future__ import annotations

# no script or style but the centre's own files, and no page of another site may frame it
EVERY_RESPONSE = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
