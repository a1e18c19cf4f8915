"""Identifiers that travel in health codes, MQTT topics and the record."""

import re

# letters, digits, '.', '_' and '-', starting with a letter or digit: fits a QR code, a CSV cell
# and a log line without quoting, and never contains a code's field separator
PERSON_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
PERSON_ID = re.compile(PERSON_ID_PATTERN)
# the rule in words, for whoever types an id: the pattern itself helps nobody at an office desk
PERSON_ID_RULE = (
    "1 to 64 letters (A-Z, a-z, no accents or Chinese characters), digits, '.', '_' or '-', "
    "starting with a letter or digit"
)
