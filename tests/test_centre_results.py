"""The commands' results in words, in both languages, from what the store keeps: the summary of
each command's payload (as the store writes it) and the gate's answer (as the gate writes it)."""

from __future__ import annotations

from types import SimpleNamespace

from terminal.centre.store import command_summary
from terminal.centre.web.catalogue import Language, named, text
from terminal.centre.web.results import in_words


def said(language: Language, name: str, payload: dict[str, object], outcome: str,
         detail: str) -> dict[str, str]:  # fmt: skip
    result = SimpleNamespace(
        name=name, payload_summary=command_summary(name, payload), outcome=outcome, detail=detail
    )

    def t(key: str, **values: object) -> str:
        return text(key, language, **values)

    return in_words(t, lambda value: named("reason", value, language), result)


def test_each_command_and_its_answer_in_english() -> None:
    cases = [
        ("lockdown", {"on": True, "reason": "drill, north gate=1"}, "done",
         "lockdown on: nobody is admitted except by a staff open-once",
         "Lock the gate down · drill, north gate=1",
         "Gate locked down: nobody passes but by a staff open-once"),
        ("lockdown", {"on": False, "reason": "over"}, "done", "lockdown off",
         "Lift the lockdown · over", "Lockdown lifted"),
        ("open_once", {"reason": "ambulance"}, "done", "opened once (event 0a1b)",
         "Open once · ambulance", "Turnstile opened once"),
        ("set_risk_tier", {"tier": "medium"}, "done", "risk tier low -> medium",
         "Risk tier to medium", "Risk tier: low → medium"),
        ("push_roster", {"kind": "visitors", "csv": "person_id\nV1\nV2\nV3\n"}, "done",
         "installed 3 visitors at /var/lib/gate/visitors.csv", "visitors roster, 3 rows",
         "3 visitors installed"),
        ("resolve_secondary",
         {"flag_id": "f1", "result": "normal", "clinical_c": 36.8, "guard": "anna"}, "done",
         "flag f1: admitted (admitted)", "Clinical reading 36.8 °C: normal (by anna)",
         "Normal reading: let through"),
        ("resolve_secondary",
         {"flag_id": "f2", "result": "normal", "clinical_c": 36.5, "guard": "anna"}, "done",
         "flag f2: refused (code_yellow)", "Clinical reading 36.5 °C: normal (by anna)",
         "Normal reading, not let through: yellow code"),
        ("resolve_secondary",
         {"flag_id": "f3", "result": "fever", "clinical_c": 38.6, "guard": "anna"}, "done",
         "flag f3: fever (fever)", "Clinical reading 38.6 °C: fever (by anna)",
         "Fever confirmed: sent to the isolation room"),
        # a refusal keeps the gate's own words: they name the field or file at fault
        ("push_roster", {"kind": "workers", "csv": "a,b\n1,2\n"}, "refused",
         "roster: missing person_id", "workers roster, 1 rows", "roster: missing person_id"),
    ]  # fmt: skip
    for name, payload, outcome, detail, asked, answered in cases:
        assert said("en", name, payload, outcome, detail) == {
            "asked": asked, "answered": answered
        }, (name, detail)  # fmt: skip


def test_each_command_and_its_answer_in_chinese() -> None:
    lockdown = said("zh", "lockdown", {"on": True, "reason": "演练"}, "done",
                    "lockdown on: nobody is admitted except by a staff open-once")  # fmt: skip
    assert lockdown["asked"] == "封闭闸机 · 演练"
    assert lockdown["answered"] == "闸机已封闭：仅可由工作人员放行一次"  # noqa: RUF001
    fever = said("zh", "resolve_secondary",
                 {"flag_id": "f3", "result": "fever", "clinical_c": 38.6, "guard": "anna"},
                 "done", "flag f3: fever (fever)")  # fmt: skip
    assert fever["answered"] == "确认发热：已引导至隔离室"  # noqa: RUF001
    tier = said("zh", "set_risk_tier", {"tier": "high"}, "done", "risk tier medium -> high")
    assert tier == {"asked": "风险等级设为高", "answered": "风险等级：中 → 高"}  # noqa: RUF001


def test_a_line_of_a_shape_the_centre_does_not_know_is_shown_as_it_came() -> None:
    result = SimpleNamespace(name="vehicle_entry", payload_summary="plate=粤B1", outcome="done",
                             detail="admitted plate 粤B1")  # fmt: skip
    shown = in_words(lambda key, **values: text(key, "en", **values), str, result)
    assert shown == {"asked": "plate=粤B1", "answered": "admitted plate 粤B1"}
