"""Every word of the printed record, in Chinese and English: one place to read and to
translate. The gates' reasons are named here as the centre's desk and board show them to staff
(their catalogue takes them from here), so an inspector reads on paper what staff read on screen.
Placeholders are filled by ``str.format`` after the lookup; the page escapes the result."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

# a gate's reason (the policy's value) -> (Chinese, English), as staff name it
REASON_WORDS: dict[str, tuple[str, str]] = {
    "admitted": ("放行", "admitted"),
    "fever": ("发热", "fever"),
    "sensor_fault": ("测温器故障", "thermometer fault"),
    "camera_fault": ("摄像头故障", "camera fault"),
    "clock_unsynced": ("闸机时间未校准", "gate clock not set"),
    "no_code": ("未出示健康码", "no code shown"),
    "unreadable_code": ("健康码无法识别", "code unreadable"),
    "multiple_codes": ("多个健康码", "several codes at once"),
    "code_malformed": ("非健康码", "not a health code"),
    "code_unknown_issuer": ("签发方不被认可", "issuer not accepted"),
    "code_bad_signature": ("健康码签名无效", "code not genuine"),
    "code_expired": ("健康码过期", "code expired"),
    "code_not_yet_valid": ("健康码尚未生效", "code not yet valid"),
    "code_replayed": ("健康码重复使用", "code used again"),
    "code_red": ("红码", "red code"),
    "code_yellow": ("黄码", "yellow code"),
    "code_green": ("当前等级下绿码不足", "green code not enough at this tier"),
    "unregistered": ("未登记", "not registered"),
    "nat_missing": ("无核酸检测记录", "no nucleic-acid test on record"),
    "nat_expired": ("核酸检测已过期", "nucleic-acid test out of date"),
    "nat_positive": ("核酸检测阳性", "positive nucleic-acid test"),
    "visit_outside": ("不在访问时间", "outside the visit"),
    "outside_shift": ("不在班次时间", "outside the shift"),
    "shift_early": ("未到班次时间", "before the shift window"),
    "shift_late": ("已过班次时间", "after the shift window"),
    "shift_not_today": ("今日无班次", "no shift today"),
    "gate_not_serving_group": ("本闸机不服务该班组", "gate not for this group"),
    "internal_error": ("检查出错", "check failed"),
    "lockdown": ("闸机封闭", "lockdown"),
    "record_full": ("记录已满", "record full"),
    "secondary_check": ("需复检", "secondary check"),
    "rest": ("请休息后复测", "told to rest and scan again"),
    "not_measured": ("未测到体温", "not measured"),
    "zone_full": ("区域已满，等候", "zone full: waiting"),
    "anti_passback": ("已在区域内（未离开）", "inside already (never left)"),
    "not_inside": ("不在区域内（出口）", "exit of someone not inside"),
}

# what became of a vehicle at a vehicle gate (its reason), as staff name it: the whole outcome
VEHICLE_WORDS: dict[str, tuple[str, str]] = {
    "admitted": ("放行（司机已通过检查）", "admitted (the driver passed the check)"),
    "driver_denied": ("拒绝：司机未通过检查", "refused: the driver was refused"),
    "driver_not_screened": ("拒绝：司机未经检查", "refused: the driver was not checked"),
    "admission_not_held": (
        "拒绝：司机的放行已失效或已用过",
        "refused: the driver's admission lapsed or let a vehicle in already",
    ),
    "lockdown": ("拒绝：闸机已封闭", "refused: the gate is locked down"),
    "no_vehicle": ("失效：等待时间内无车辆登记", "lapsed: no vehicle came in time"),
    "no_driver_waiting": (
        "拒绝：无已通过检查的司机",
        "refused: no screened driver waiting",
    ),
    "permit_other_driver": (
        "拒绝：通行证属于其他司机",
        "refused: the permit names another driver",
    ),
    "permit_malformed": ("拒绝：通行证无法识别", "refused: the permit cannot be read"),
    "permit_unknown_issuer": (
        "拒绝：通行证签发方不明",
        "refused: the permit's issuer is unknown",
    ),
    "permit_bad_signature": (
        "拒绝：通行证签名无效（伪造或篡改）",
        "refused: the permit is forged or altered",
    ),
    "permit_expired": ("拒绝：通行证已过期", "refused: the permit has expired"),
}

# a health code's colour as the gate read it
CODE_WORDS: dict[str, tuple[str, str]] = {
    "green": ("绿码", "green"),
    "yellow": ("黄码", "yellow"),
    "red": ("红码", "red"),
    "none": ("未出示", "none shown"),
    "unreadable": ("无法识别", "unreadable"),
    "invalid": ("无效", "not valid"),
}

# where the gate sent the person (the policy's route)
ROUTE_WORDS: dict[str, tuple[str, str]] = {
    "through": ("通过闸机", "through the gate"),
    "aside": ("退后离开", "stepped aside"),
    "isolation_room": ("隔离室", "isolation room"),
    "secondary_check": ("复检点", "secondary check"),
    "wait": ("原地等候", "wait at the gate"),
    "rest": ("休息后复测", "rest, then scan again"),
}

# where a person went, as :func:`terminal.common.printed.went.went_to` tells it
WENT_TO_WORDS: dict[str, tuple[str, str]] = {
    "through": ("已通过闸机", "through the gate"),
    "turned_back": ("放行后未通过（折返）", "turned back (did not pass in time)"),
    "not_yet_through": ("放行，尚未通过", "admitted, not yet through"),
    "released": ("放行（闸机未感知通过）", "released (passage not sensed)"),
    "isolation_room": ("隔离室", "isolation room"),
    "aside": ("退后离开", "stepped aside"),
    "secondary_check": ("复检点", "secondary check"),
    "wait": ("原地等候", "wait at the gate"),
    "rest": ("休息后复测", "rest, then scan again"),
}

# the screening's word for a check (terminal.screening): what the reading meant for this person
SCREENING_WORDS: dict[str, tuple[str, str]] = {
    "pass": ("正常", "pass"),
    "rest": ("休息后复测", "rest"),
    "rest_pass": ("休息后正常", "rested, pass"),
    "rest_guard": ("休息后送复检", "rested, to the guard"),
    "guard": ("送复检", "to the guard"),
    "fault": ("测温故障", "fault"),
    "not_measured": ("未测到", "not measured"),
}

# which way a check led through the gate
DIRECTION_WORDS: dict[str, tuple[str, str]] = {
    "entry": ("进", "in"),
    "exit": ("出", "out"),
}

# how a secondary check ended
OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    "fever_confirmed": ("确认发热", "fever confirmed"),
    "admitted": ("复检后放行", "admitted by staff"),
    "refused": ("复检后拒绝", "refused after the check"),
    "open": ("未处理", "not resolved"),
}

# the page number in the sheet's bottom margin (Chromium prints CSS page-margin boxes); a
# browser that does not print them leaves the margin empty, the running header still names
# the gate and the day on every sheet
PAGE_NUMBER: dict[Language, str] = {
    "zh": '"第 " counter(page) " 页，共 " counter(pages) " 页"',
    "en": '"page " counter(page) " of " counter(pages)',
}

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("检查记录", "Inspection record"),
    "heading": ("闸机 {gate} · {day}", "Gate {gate} · {day}"),
    # a full-width colon in Chinese, as every other label of the page
    "title_line": ("{title}：{heading}", "{title}: {heading}"),
    "printed": (
        "打印于 {at}，来源：{source}，操作人：{by}",
        "Printed {at} from {source} by {by}",
    ),
    "source_gate": ("闸机记录 {path}", "the gate's record {path}"),
    "source_centre": ("中心数据库", "the centre's store"),
    "direction": ("方向", "In/out"),
    "direction_not_kept": ("方向（进/出）：中心不保存", "In/out: not kept at the centre"),
    "screening": ("筛查结论", "Screening"),
    "screening_note": (
        "筛查将每人读数与其本人平时体温（无记录时与当时人群）比较：同一读数对不同人员结论可能不同。",
        "The screening judges each reading against the person's own usual (or, without one, "
        "the crowd's at the time): the same reading can mean pass for one person and rest for "
        "another.",
    ),
    "park": ("园区：{park}", "Park: {park}"),
    "zone": ("时间均为 {zone}", "Times are {zone}"),
    "checks": ("人员检查", "Checks of people"),
    "flags": ("复检（临床体温）", "Secondary checks (clinical readings)"),
    "vehicles": ("车辆", "Vehicles"),
    "totals": ("当日合计", "The day's totals"),
    "nothing": ("无记录", "Nothing recorded"),
    "time": ("时间", "Time"),
    "person": ("人员", "Person"),
    "unidentified": ("未识别", "unidentified"),
    "code": ("健康码", "Code"),
    "screened": ("额温读数 °C", "Forehead (screened) °C"),
    "core": ("估计核心体温 °C", "Est. core °C"),
    "outcome": ("结果", "Outcome"),
    "admit": ("放行", "admitted"),
    "deny": ("拒绝：{reason}", "refused: {reason}"),
    "clinical": ("临床体温 °C", "Clinical °C"),
    "checked_by": ("复检人", "Checked by"),
    "checked_at": ("复检时间", "Checked at"),
    "went_to": ("去向", "Went to"),
    "plate": ("车牌", "Plate"),
    "driver": ("司机", "Driver"),
    "purpose": ("事由", "Purpose"),
    "by": ("登记人", "Entered by"),
    "total_checks": ("检查次数", "Checks"),
    "total_screened": ("测温人次", "Screened"),
    "total_admitted": ("闸机放行", "Admitted at the gate"),
    "total_staff_admitted": ("复检后放行", "Admitted by staff after a secondary check"),
    "total_refused": ("拒绝", "Refused, by reason"),
    "total_sent_to_guard": ("送复检", "Sent to the secondary check"),
    "total_rested": ("休息后复测", "Told to rest and scan again"),
    "total_waited": ("区域已满等候", "Told to wait: the zone was full"),
    "total_fevers": ("确认发热", "Fevers confirmed"),
    "total_isolation": ("送隔离室", "To the isolation room"),
    "total_isolation_gate": ("由闸机直接送", "from the gate"),
    "total_isolation_check": ("复检后送", "after a secondary check"),
    "total_turned_back": ("放行后未通过（折返）", "Admitted but turned back"),
    "total_vehicles": ("车辆", "Vehicles"),
    "total_vehicles_admitted": ("车辆放行", "Vehicles admitted"),
    "signatures": ("签字", "Signatures"),
    "sign_inspector": ("检查人员", "Inspector"),
    "sign_officer": ("安保负责人", "Security officer"),
    "sign_date": ("日期", "Date"),
}


def word(table: dict[str, tuple[str, str]], value: str | None, language: Language) -> str:
    """``value`` in words; a value this software does not know yet, as the gate named it."""
    if value is None:
        return ""
    if value not in table:
        return value
    chinese, english = table[value]
    return chinese if language == "zh" else english


def text(key: str, language: Language, **values: object) -> str:
    chinese, english = TEXTS[key]
    chosen = chinese if language == "zh" else english
    return chosen.format(**values) if values else chosen
