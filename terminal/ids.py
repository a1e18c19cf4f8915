"""Identifiers that travel in health codes, MQTT topics and the record."""

import re

# letters, digits, '.', '_' and '-', starting with a letter or digit: fits a QR code, a CSV cell
# and a log line without quoting, and never contains a code's field separator
PERSON_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
PERSON_ID = re.compile(PERSON_ID_PATTERN)
