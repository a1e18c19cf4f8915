"""The people who walk up to a gate in the tests, and a crowd of them."""

from __future__ import annotations

import zlib

from simulator.crowd import SimPerson

# a screening that judges each forehead on its own, by the published table (never the crowd, which
# a handful of test people never fill), and sends a raised one to the guard rather than to rest:
# the tests using it are about the gate, not the screening
TABLE_ONLY = {"rest": False, "reference_people": 200, "reference_min_people": 200}


def person(
    pid: str, arrival_s: float, code: str = "green", core_c: float = 36.6, **extra: object
) -> SimPerson:
    # what the thermometer sees once they stand where the gate asks: a forehead plainly normal
    # or plainly feverish at 19 °C, so these tests are about the gate, not the estimator
    # (each a little different, as foreheads are: a sensor reading the same for everyone is stuck)
    own = (zlib.crc32(pid.encode()) % 9 - 4) * 0.04
    extra.setdefault("object_c", round(33.8 + own + 0.9 * (core_c - 36.6), 2))
    return SimPerson(pid, arrival_s, core_c, 19.0, code, **extra)  # type: ignore[arg-type]


CROWD = [
    person("A-green", 0),
    person("B-fever", 2, core_c=38.4),
    person("C-yellow", 4, "yellow"),
    person("D-red", 6, "red"),
    person("E-unreadable", 8, "unreadable"),
    person("F-nocode", 10, "none"),
    person("G-visitor", 12, registered=False),
    person("H-darkmode", 14, dark_mode=True),
    person("I-badsensor", 16, sensor_fault="bad_pec"),
    person("J-late", 18, in_shift=False),
    person("K-green", 20),
    person("L-forged", 22, "forged"),
    person("M-tampered", 24, "tampered"),
    person("N-expired", 26, "expired"),
    person("O-future", 28, "not_yet_valid"),
    person("P-foreign", 30, "unknown_issuer"),
    person("Q-screenshot", 32, "replayed"),  # K's code, passed back over the turnstile
    person("R-printed", 34, "payload:HC1|P0|green|1|é"),
]
