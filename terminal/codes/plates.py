"""Chinese vehicle licence plates, as a guard types them at a vehicle gate.

A plate is the province's one-character abbreviation, the issuing authority's letter, then:

- an ordinary plate (blue, yellow): five letters or digits, the last one may be 挂 (trailer),
  学 (learner), 警 (police), 港 or 澳 (a Hong Kong or Macau car crossing over): 粤B12345, 京A9X77学;
- a new-energy plate (green, GA 36-2018): six, for a small car D (electric) or F (hybrid) first,
  then a letter or digit and four digits (粤BD12345, 沪AF1A234); for a large one five digits and
  D or F last (粤B12345D).

Letters exclude I and O, which read as 1 and 0. The separating dot and spaces people type
(粤B·12345) are dropped and letters upper-cased: a plate is recorded in one spelling only.
"""

from __future__ import annotations

import re

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTER = "A-HJ-NP-Z"  # no I, no O
SUFFIXES = "挂学警港澳"
PLATE_PATTERN = (
    f"[{PROVINCES}][{LETTER}]"
    f"(?:[{LETTER}0-9]{{4}}[{LETTER}0-9{SUFFIXES}]"  # ordinary: 7 characters
    f"|[DF][{LETTER}0-9][0-9]{{4}}"  # new energy, small car: 8
    f"|[0-9]{{5}}[DF])"  # new energy, large vehicle: 8
)
PLATE = re.compile(PLATE_PATTERN)
_TYPED_APART = re.compile(r"[\s·•.\-]")


def normalise_plate(text: str) -> str:
    """The plate as the record keeps it; ValueError with a one-line reason if it is none."""
    # only ASCII letters are upper-cased: str.upper() turns some letters into two ("ß": "SS")
    plate = "".join(c.upper() if "a" <= c <= "z" else c for c in _TYPED_APART.sub("", text))
    if not PLATE.fullmatch(plate):
        raise ValueError(
            "not a Chinese licence plate: a province, a letter, then five letters or digits "
            "(ordinary) or six (new energy), without I or O"
        )
    return plate
