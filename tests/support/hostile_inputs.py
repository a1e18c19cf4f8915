"""Hostile inputs against the gate's and the centre's entry points, counted per class.

    python -m tests.support.hostile_inputs --attempts 2000 --seed 1

Each class starts from a well-formed input (a signed code, a config, a roster, a signed command,
a gate's message, a staff form) and mutates it as an attacker or a careless hand would: bytes
flipped, fields cut or repeated, control and bidirectional characters, huge numbers, deep
nesting, devices and FIFOs as paths. An input is *refused* when the entry point says no in its
own terms (one line naming what and where); it *escapes* when anything else happens: another
exception, a message of several lines, a forged code or command taken, a control character let
into a name, a page answering 5xx. The table printed at the end is what the gate promises:
zero escapes. ``tests/test_hostile_inputs.py`` runs every class a few dozen times.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.cookiejar
import json
import random
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]  # tests/support/ is two below the checkout

# what an attacker reaches for: controls, terminal escapes, bidirectional and zero-width marks,
# full-width look-alikes, huge and odd numbers, paths to devices, markup and formulas
HOSTILE_TOKENS = [
    "\x00", "\n", "\r\n", "\x1b[2J", "\x1b]0;pwned\x07", "\u202e", "\u2066", "\u200b", "\ufeff",
    "\u2028", "\ud7ff", "\U0001f600", "\uff1d1+1", "=cmd|'/c calc'!A1", "@SUM(1)", "+1", "-1",
    "9" * 5000, "1e999", "-0", "NaN", "Infinity", "0x10", "1_000", "[" * 3000, "{" * 3000,
    "/dev/zero", "/dev/urandom", "../../../../etc/shadow", "<script>alert(1)</script>",
    "' OR 1=1 --", "%00", "%2e%2e%2f", "\\", "|", "||", ",", ";", '"', "'", "", " ", "\t",
    "A" * 70000, "张三" * 200, "Ω≈ç√", "é", "\xff\xfe",
]  # fmt: skip


@dataclasses.dataclass
class Tally:
    name: str
    attempts: int = 0
    refused: int = 0
    accepted: int = 0
    escapes: list[str] = dataclasses.field(default_factory=list)

    def escaped(self, what: str) -> None:
        self.escapes.append(what)


def mutate_text(text: str, rng: random.Random) -> str:
    """One to three edits of ``text``: a span cut, repeated or replaced, a token let in."""
    for _ in range(rng.randint(1, 3)):
        if not text:
            text = rng.choice(HOSTILE_TOKENS)
            continue
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randint(0, 12))
        action = rng.randrange(6)
        if action == 0:
            text = text[:start] + text[end:]
        elif action == 1:
            text = text[:end] + text[start:end] * rng.randint(2, 50) + text[end:]
        elif action == 2:
            text = text[:start] + rng.choice(HOSTILE_TOKENS) + text[end:]
        elif action == 3:
            text = text[:start] + chr(rng.randrange(0x20, 0x30000)) + text[start + 1 :]
        elif action == 4:
            text = text[:start]
        else:
            char = text[start]
            flipped = chr(ord(char) ^ (1 << rng.randrange(7)))
            text = text[:start] + flipped + text[start + 1 :]
    return text


def one_line_naming(message: str, where: str) -> bool:
    return "\n" not in message and "\r" not in message and where in message


def _load_or_refuse(
    tally: Tally, path: Path, load: Callable[[Path], Any], refusal: type[Exception]
) -> Any | None:
    """What ``load`` makes of the file at ``path`` (deleted after), or None when it was refused in
    one line naming the file; anything else is counted as an escape."""
    try:
        return load(path)
    except refusal as exc:
        if one_line_naming(str(exc), str(path)):
            tally.refused += 1
        else:
            tally.escaped(f"refusal not one line naming the file: {str(exc)[:120]!r}")
    except Exception as exc:
        tally.escaped(f"{type(exc).__name__}: {str(exc)[:100]!r}")
    finally:
        path.unlink(missing_ok=True)
    return None


# --- codes and permits --------------------------------------------------------------------------
def codes(tally: Tally, rng: random.Random, attempts: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from terminal.codes.healthcode import (
        CodeRejected,
        SignedCodeRules,
        SignedCodeVerifier,
        issue,
    )
    from terminal.codes.permits import PermitRefused, PermitVerifier, issue_permit

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    now = 1_795_000_000.0
    codes_verifier = SignedCodeVerifier(
        {"park": key.public_key()}, SignedCodeRules(max_age_s=86400 * 7, clock_skew_s=300)
    )
    permits_verifier = PermitVerifier({"park": key.public_key()})
    for attempt in range(attempts):
        tally.attempts += 1
        if attempt % 2 == 0:
            genuine = issue(key, "park", f"W{attempt:04d}", "green", now - 60, now + 86400)
            verify: Callable[[str], object] = lambda p: codes_verifier.verify(p, now)  # noqa: E731
            refusal: type[Exception] = CodeRejected
        else:
            genuine = issue_permit(
                key, "park", plate="沪A12345", purpose="delivery", valid_until_s=now + 3600
            )
            verify = lambda p: permits_verifier.verify(p, now)  # noqa: E731
            refusal = PermitRefused
        payload = mutate_text(genuine, rng)
        try:
            verify(payload)
        except refusal:
            tally.refused += 1
            continue
        except Exception as exc:
            tally.escaped(f"{type(exc).__name__} on {payload[:60]!r}")
            continue
        if payload != genuine:
            tally.escaped(f"a changed payload verified: {payload[:80]!r}")
        else:
            tally.accepted += 1


# --- configs ------------------------------------------------------------------------------------
CONFIG_VALUES = [
    '"\\u001b[2J"', '"line\\nforged"', '"\\u202eevil"', "9" * 5000, "-1", "1e999", "nan", "inf",
    '"/dev/zero"', '"/dev/urandom"', "[" * 5000 + "]" * 5000, "{}", "[]", "true", '""',
    '"' + "x" * 100000 + '"', "1979-05-27T07:32:00Z", '"CHANGE-ME"', "0", "65536", '"centre"',
]  # fmt: skip


def configs(tally: Tally, rng: random.Random, attempts: int, folder: Path) -> None:
    from terminal.common.safetext import unsafe_character
    from terminal.config import ConfigError, load
    from tests.conftest import example_gate_config_text

    bases = [(REPO / "config" / "simulator.toml").read_text(encoding="utf-8")]
    bases.append(example_gate_config_text())
    for name in ("workers.example.csv", "visitors.example.csv"):  # the configs name them
        (folder / name).write_bytes((REPO / "config" / name).read_bytes())
    for attempt in range(attempts):
        tally.attempts += 1
        lines = rng.choice(bases).splitlines()
        assignments = [i for i, line in enumerate(lines) if re.match(r"^\s*\w+\s*=", line)]
        for _ in range(rng.randint(1, 3)):
            index = rng.choice(assignments)
            key = lines[index].split("=", 1)[0]
            if rng.random() < 0.7:
                lines[index] = f"{key}= {rng.choice(CONFIG_VALUES)}"
            else:
                lines[index] = mutate_text(lines[index], rng)
        path = folder / f"gate-{attempt}.toml"
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        config = _load_or_refuse(tally, path, load, ConfigError)
        if config is None:
            continue
        texts = [t for t in _strings(config.model_dump(warnings=False)) if unsafe_character(t)]
        if texts:
            tally.escaped(f"a config text holds a control character: {texts[0][:60]!r}")
        else:
            tally.accepted += 1


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


# --- rosters ------------------------------------------------------------------------------------
def rosters(tally: Tally, rng: random.Random, attempts: int, folder: Path) -> None:
    from terminal.common.csvfile import CsvFileError
    from terminal.common.safetext import unsafe_character
    from terminal.config import load
    from terminal.rules.roster import read_people_file

    config = load(REPO / "config" / "simulator.toml")  # its shift groups are the example's
    base = (REPO / "config" / "workers.example.csv").read_text(encoding="utf-8")
    for attempt in range(attempts):
        tally.attempts += 1
        path = folder / f"workers-{attempt}.csv"
        text = _mutated_roster(base, rng)
        if rng.random() < 0.3:
            path.write_bytes(text.encode(rng.choice(["latin-1", "gb18030", "utf-16"]), "replace"))
        else:
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        people = _load_or_refuse(tally, path, lambda p: read_people_file(p, config), CsvFileError)
        if people is None:
            continue
        texts = [t for t in _strings(_people_texts(people)) if unsafe_character(t)]
        if texts:
            tally.escaped(f"a roster text holds a control character: {texts[0][:60]!r}")
        else:
            tally.accepted += 1


def _mutated_roster(base: str, rng: random.Random) -> str:
    """Half the time one cell replaced by something hostile (a row that may well load), half the
    time the file's text mutated anywhere."""
    if rng.random() < 0.5:
        return mutate_text(base, rng)
    rows = [line.split(",") for line in base.splitlines()]
    row = rng.randrange(1, len(rows))
    column = rng.randrange(len(rows[row]))
    rows[row][column] = mutate_text(rows[row][column], rng).replace(",", "")
    return "\n".join(",".join(cells) for cells in rows) + "\n"


def _people_texts(people: Any) -> list[str]:
    return [v for person in people.people for v in vars(person).values() if isinstance(v, str)]


# --- MQTT messages: commands to a gate, peers' passages, gates' events at the centre -----------
def json_mutation(document: Any, rng: random.Random) -> Any:
    """``document`` with one value somewhere replaced by something hostile."""
    hostile: list[Any] = [
        10**4000, -(10**4000), 1e308, float("nan"), "", "\x1b[2J", "\u202e" * 3, None, True,
        [], {}, [[[[[[[[[[]]]]]]]]]], "x" * 100000, -1, 0, 2**63, "1979-05-27T07:32:00Z",
        {"$ne": None}, "../../etc", "p1/+/#",
    ]  # fmt: skip
    if isinstance(document, dict) and document:
        key = rng.choice(list(document))
        if rng.random() < 0.5:
            return {**document, key: json_mutation(document[key], rng)}
        return {**document, key: rng.choice(hostile)}
    if isinstance(document, list) and document:
        index = rng.randrange(len(document))
        return [*document[:index], json_mutation(document[index], rng), *document[index + 1 :]]
    return rng.choice(hostile)


def hostile_bytes(document: Any, rng: random.Random) -> bytes:
    choice = rng.random()
    if choice < 0.45:
        try:
            return json.dumps(json_mutation(document, rng), ensure_ascii=False).encode(
                "utf-8", "surrogatepass"
            )
        except (ValueError, TypeError):
            return b"{}"
    text = json.dumps(document, ensure_ascii=False)
    if choice < 0.85:
        return mutate_text(text, rng).encode("utf-8", "surrogatepass")
    if choice < 0.92:
        depth = rng.choice([1000, 100_000])
        return b"[" * depth + b"]" * depth
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))


def commands(tally: Tally, rng: random.Random, attempts: int, folder: Path) -> None:
    from terminal.common.safetext import unsafe_character
    from tests.support.commands import Station, command_config
    from tests.support.people import person

    station = Station(command_config(folder), [person("A", 0)], folder)
    payloads: dict[str, dict[str, Any]] = {
        "lockdown": {"on": True, "reason": "drill"},
        "open_once": {"reason": "delivery"},
        "set_risk_tier": {"tier": "high"},
    }
    for _ in range(attempts):
        tally.attempts += 1
        name = rng.choice(list(payloads))
        if rng.random() < 0.3:  # the centre's own key over hostile content: the handlers' turn
            hostile = json_mutation(payloads[name], rng)
            genuine = station.command(name, hostile, command_id=uuid.uuid4().hex)
            raw = json.dumps(genuine).encode()
        else:
            genuine = station.command(name, payloads[name], command_id=uuid.uuid4().hex)
            raw = hostile_bytes(genuine, rng)
        try:
            result = station.desk.take(name, raw)
        except Exception as exc:
            tally.escaped(f"{type(exc).__name__} escaped the command desk")
            continue
        if result.outcome == "failed":
            tally.escaped(f"{name}: {result.detail}")
        elif result.outcome == "refused":
            tally.refused += 1
        elif _same_json(raw, genuine):
            texts = [t for t in _strings(genuine["payload"]) if unsafe_character(t)]
            if texts:
                tally.escaped(f"{name} carried out with a control character: {texts[0][:40]!r}")
            else:
                tally.accepted += 1
        else:
            tally.escaped(f"a changed {name} command was carried out: {raw[:100]!r}")
        station.state.lockdown = False


def _same_json(raw: bytes, document: Any) -> bool:
    try:
        return bool(json.loads(raw) == document)
    except (ValueError, RecursionError):
        return False


def zone_messages(tally: Tally, rng: random.Random, attempts: int, folder: Path) -> None:
    from terminal.link.zonelink import ZoneLink
    from terminal.record.store import Record
    from terminal.state import GateState
    from tests.support.zone_peers import peer_passages, zone_gate

    own = zone_gate(folder, "hall-in")
    record = Record(own.resolved(own.record.path))
    link = ZoneLink(own, record, GateState(risk_tier="low"), lambda: None)
    topic, genuine = peer_passages(1)[0]
    document = json.loads(genuine)
    for _ in range(attempts):
        tally.attempts += 1
        raw = hostile_bytes(document, rng)
        before = record.occupancy("hall")
        try:
            changed = link.apply(topic, raw, time.time())
        except Exception as exc:
            tally.escaped(f"{type(exc).__name__} escaped the zone link")
            continue
        if changed and not _same_json(raw, document) and record.occupancy("hall") > before + 1:
            tally.escaped("one changed passage counted more than one person")
        tally.accepted += int(changed)
        tally.refused += int(not changed)


def centre_messages(tally: Tally, rng: random.Random, attempts: int, folder: Path) -> None:
    import datetime as dt

    from terminal.centre.store import open_store
    from tests.support.centre_messages import FakeGate, at

    store = open_store(f"sqlite:///{folder}/centre.sqlite", None, None)
    gate = FakeGate("north-1")
    when = at("2026-06-01T08:00:00+08:00")
    flag_row, flagged = gate.flagged(when)
    flag_id = flag_row.event_id
    samples = [
        gate.check(when),
        *flagged,
        gate.resolved(flag_id, when, "admitted"),
        gate.fever(flag_id, when),
        gate.sensor("sensor_fault", when),
        gate.fault("camera_fault", when),
        gate.daily_report("2026-06-01", when),
        gate.status("online", when),
        gate.metrics(when),
    ]
    try:
        for _ in range(attempts):
            tally.attempts += 1
            topic, genuine = rng.choice(samples)
            raw = hostile_bytes(json.loads(genuine), rng)
            try:
                changed = store.ingest(topic, raw, dt.datetime.now(dt.UTC))
            except Exception as exc:
                tally.escaped(f"{type(exc).__name__} escaped the centre's store on {topic}")
                continue
            tally.accepted += int(changed)
            tally.refused += int(not changed)
    finally:
        store.close()


# --- the centre's forms -------------------------------------------------------------------------
FORMS = {
    "/desk/resolve": ["flag_id", "clinical_c", "outcome", "route", "note"],
    "/desk/take": ["flag_id"],
    "/desk/escort": ["flag_id", "note"],
    "/desk/account": ["emergency_id", "person_id"],
    "/commands/prepare": ["target", "command", "reason", "on", "tier", "kind"],
    "/commands/confirm": ["pending"],
    "/commands/cancel": ["pending"],
    "/login": ["user", "password"],
}


def centre_forms(tally: Tally, rng: random.Random, attempts: int, folder: Path) -> None:
    from simulator.broker import PrivateBroker
    from terminal.centre.running import add_user
    from tests.support.centre_fixture import centre_config, running_centre

    broker = PrivateBroker().start()
    try:
        config = centre_config(folder, broker.port)
        with running_centre(config, web=True) as centre:
            add_user(centre.store, "officer", "health_officer", "a long enough password 1")
            browser = _signed_in(centre.web_url, "officer", "a long enough password 1")
            for _ in range(attempts):
                tally.attempts += 1
                route = rng.choice(list(FORMS))
                fields = {
                    name: mutate_text(rng.choice(["", "1", "36.8", "north-1", "on"]), rng)
                    for name in FORMS[route]
                    if rng.random() < 0.8
                }
                status = browser.post(route, fields)
                if status >= 500:
                    tally.escaped(f"{route} answered {status}")
                elif status >= 400:
                    tally.refused += 1
                else:
                    tally.accepted += 1
            if browser.get("/desk") != 200:
                tally.escaped("the desk stopped answering")
    finally:
        broker.stop()


class _Browser:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def get(self, path: str) -> int:
        return self._send(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str]) -> int:
        body = urllib.parse.urlencode(
            {"csrf": self.csrf, **fields}, encoding="utf-8", errors="surrogatepass"
        ).encode("ascii")
        return self._send(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _send(self, request: urllib.request.Request) -> int:
        try:
            with self.opener.open(request, timeout=20) as response:
                page = response.read().decode("utf-8", "replace")
                found = re.search(r'name="csrf" value="([^"]+)"', page)
                if found:
                    self.csrf = found.group(1)
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


def _signed_in(base: str, user: str, password: str) -> _Browser:
    browser = _Browser(base)
    browser.get("/login")
    browser.post("/login", {"user": user, "password": password})
    browser.get("/desk")  # the desk's page carries the session's CSRF token
    return browser


# --- the run ------------------------------------------------------------------------------------
CLASSES: dict[str, Callable[..., None]] = {
    "codes and permits": codes,
    "configs": configs,
    "rosters": rosters,
    "MQTT: commands to a gate": commands,
    "MQTT: peers' passages": zone_messages,
    "MQTT: gates' messages at the centre": centre_messages,
    "centre forms": centre_forms,
}


@contextmanager
def _quiet() -> Iterator[None]:
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def run(attempts: int, seed: int, only: list[str] | None = None) -> list[Tally]:
    tallies = []
    for index, (name, attack) in enumerate(CLASSES.items()):
        if only and not any(word in name for word in only):
            continue
        tally = Tally(name)
        rng = random.Random(seed * 1000 + index)
        with tempfile.TemporaryDirectory() as folder, _quiet():
            if attack is codes:
                attack(tally, rng, attempts)
            else:
                attack(tally, rng, attempts, Path(folder))
        tallies.append(tally)
    return tallies


def table(tallies: list[Tally]) -> str:
    rows = ["| class | attempts | refused | taken as genuine | escapes |", "|---|---|---|---|---|"]
    rows += [
        f"| {t.name} | {t.attempts} | {t.refused} | {t.accepted} | {len(t.escapes)} |"
        for t in tallies
    ]
    for t in tallies:
        rows += [f"- {t.name}: {what}" for what in t.escapes[:5]]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=500, help="per class (default 500)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="classes whose name holds one of these words")
    args = parser.parse_args(argv)
    tallies = run(args.attempts, args.seed, args.only)
    print(table(tallies))
    return 1 if any(t.escapes for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
