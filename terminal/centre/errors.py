"""The centre's exception root: every error of its own that reaches a person is one of these,
with a one-line message that says what and where."""


class CentreError(Exception):
    pass
