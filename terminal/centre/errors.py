"""The centre's exception root: every error of its own that reaches a person is one of these,
with a one-line message that says what and where.

It is a :class:`GateError` of its own kind: the centre is a separate service with its own voice
(``gate-terminal centre: ...``), so its command catches ``CentreError`` itself, while anything
that catches every error of the house on purpose still catches the centre's too."""

from terminal.common.errors import GateError


class CentreError(GateError):
    pass
