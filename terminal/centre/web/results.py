"""The commands' results in words: what each command asked and what the gate answered, as the
store keeps them (one line each, in the gate's own terms: ``on=True, reason=drill``, ``flag …:
admitted (admitted)``), said in the page's language. A line of a shape this centre does not
know (a newer gate, the command line's own commands) is shown as it came."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Words = Callable[..., str]  # the catalogue's t(key, **values)
Named = Callable[[str], str]  # a gate's reason in words

TIERS = ("low", "medium", "high")
_LOCKDOWN = re.compile(r"on=(True|False), reason=(.*)", re.DOTALL)
_OPEN_ONCE = re.compile(r"reason=(.*)", re.DOTALL)
_TIER = re.compile(r"tier=(low|medium|high)")
_ROSTER = re.compile(r"(workers|visitors) roster, (\d+) rows")
_RESOLVE = re.compile(
    r"clinical_c=(\d+(?:\.\d+)?), flag_id=\S+, guard=(.*), result=(fever|normal)", re.DOTALL
)
_LOCKED = re.compile(r"lockdown on\b.*", re.DOTALL)
_OPENED = re.compile(r"opened once \(event \S+\)")
_TIER_CHANGED = re.compile(r"risk tier (low|medium|high) -> (low|medium|high)")
_INSTALLED = re.compile(r"installed (\d+) (workers|visitors) at .*", re.DOTALL)
_RESOLVED = re.compile(r"flag \S+: (admitted|refused|fever) \(([a-z_]+)(?:; next window (.+))?\)")


def tier_words(t: Words, tier: str) -> str:
    return t(f"tier_{tier}") if tier in TIERS else tier


def asked(t: Words, name: str, summary: str) -> str:
    """What the command asked, from the store's summary of its payload."""
    if not summary:
        return "\u2013"
    if name == "lockdown" and (match := _LOCKDOWN.fullmatch(summary)):
        switch = "on" if match[1] == "True" else "off"
        return f"{t('do_lockdown_' + switch)} · {match[2]}"
    if name == "open_once" and (match := _OPEN_ONCE.fullmatch(summary)):
        return f"{t('cmd_open_once')} · {match[1]}"
    if name == "set_risk_tier" and (match := _TIER.fullmatch(summary)):
        return t("asked_tier", tier=tier_words(t, match[1]))
    if name == "push_roster" and (match := _ROSTER.fullmatch(summary)):
        return t("asked_roster", kind=t("roster_" + match[1]), rows=int(match[2]))
    if name == "resolve_secondary" and (match := _RESOLVE.fullmatch(summary)):
        return t("asked_reading", value=f"{float(match[1]):.1f}", result=t("result_" + match[3]),
                 guard=match[2])  # fmt: skip
    return summary


def answered(t: Words, reason: Named, outcome: str, detail: str) -> str:
    """What the gate said it did; a refusal or a failure in the gate's own words (they name
    the field or file at fault)."""
    if outcome != "done":
        return detail
    if _LOCKED.fullmatch(detail):
        return t("did_lockdown_on")
    if detail == "lockdown off":
        return t("did_lockdown_off")
    if _OPENED.fullmatch(detail):
        return t("did_open_once")
    if match := _TIER_CHANGED.fullmatch(detail):
        return t("did_tier", before=tier_words(t, match[1]), after=tier_words(t, match[2]))
    if match := _INSTALLED.fullmatch(detail):
        return t("did_roster", count=int(match[1]), kind=t("roster_" + match[2]))
    if match := _RESOLVED.fullmatch(detail):
        said = t("did_resolve_" + match[1], reason=reason(match[2]))
        return f"{said} · {t('next_window', window=match[3])}" if match[3] else said
    return detail


def in_words(t: Words, reason: Named, result: Any) -> dict[str, str]:
    """One row of the results table: what was asked and what the gate answered, in words."""
    return {
        "asked": asked(t, result.name, result.payload_summary),
        "answered": answered(t, reason, result.outcome, result.detail or ""),
    }
