"""Every word the worker's display shows, in Chinese and English: one place to read and to
translate. A refusal has a headline (what happened, in plain words) and what to do now; the
placeholders ``{room}`` and ``{location}`` are the isolation room from ``[secondary]``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from terminal.rules.policy import Reason

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

# what the worker must do when no answer is on screen (keys differ from every reason's value: the
# page names what it shows by either)
SCREENS: dict[str, dict[Language, tuple[str, str]]] = {
    "show_code": {
        "zh": ("请出示健康码", "将手机上的健康码对准摄像头"),
        "en": ("Show your health code", "Hold your phone's code up to the camera"),
    },
    "come_closer": {
        "zh": ("请靠近一点", "额头靠近测温器"),
        "en": ("Come closer", "Bring your forehead near the thermometer"),
    },
    "hold_still": {
        "zh": ("请保持不动", "正在测量体温"),
        "en": ("Hold still", "Measuring your temperature"),
    },
    "thermometer_failed": {
        "zh": ("测温器故障", "暂时无法测温，请联系工作人员"),
        "en": ("Thermometer fault", "The temperature cannot be taken now. Please see staff"),
    },
    "camera_failed": {
        "zh": ("摄像头故障", "暂时无法读取健康码，请联系工作人员"),
        "en": ("Camera fault", "Codes cannot be read now. Please see staff"),
    },
    "locked_down": {
        "zh": ("闸机已封闭", "园区已下令封闭本闸机，任何人不得通过。请联系工作人员"),
        "en": ("Gate locked down", "The park has closed this gate. Nobody may pass. See staff"),
    },
    "emergency": {
        "zh": ("紧急情况：请自由离开", "火警：闸机已打开，请有序离开"),
        "en": (
            "Emergency: leave freely",
            "Fire alarm: the gate is open. Walk out calmly, do not stop",
        ),
    },
    "vehicle_wait": {
        "zh": ("已通过检查：等待车辆登记", "请稍候，门卫登记车牌或扫描车辆通行证后抬杆"),
        "en": (
            "Admitted: waiting for the vehicle's plate",
            "The barrier lifts once the guard enters the plate or the vehicle permit is shown",
        ),
    },
    # admitted by staff after the secondary check: {person} is the person's id, {until} the end
    # of their passage window (HH:MM:SS)
    "staff_admitted": {
        "zh": ("{person} 请现在通行", "请在 {until} 前通过闸机"),
        "en": ("{person} may pass now", "Go through the gate now, until {until}"),
    },
    "out_of_service": {
        "zh": ("闸机暂停服务", "闸机服务未运行，请联系工作人员"),
        "en": ("Gate out of service", "The gate service is not running. Please see staff"),
    },
}

_SEE_STAFF: dict[Language, str] = {"zh": "请联系工作人员", "en": "Please see staff"}
_SHOW_AGAIN: dict[Language, str] = {
    "zh": "请退后，再出示一次健康码",
    "en": "Step back and show your code again",
}
_ISOLATION: dict[Language, str] = {
    "zh": "请前往{room}（{location}），工作人员马上到",
    "en": "Go to {room} ({location}). Staff are on their way",
}
_SECONDARY: dict[Language, str] = {
    "zh": "请前往闸机旁的复检点，工作人员将为您复测体温",
    "en": "Go to the secondary check point beside the gate; a guard will measure again",
}

# each reason the policy gives: (headline, what to do)
REASONS: dict[Reason, dict[Language, tuple[str, str]]] = {
    Reason.ADMITTED: {"zh": ("请通行", "欢迎"), "en": ("Please pass", "Welcome")},
    Reason.FEVER: {
        "zh": ("体温异常", _ISOLATION["zh"]),
        "en": ("Fever confirmed", _ISOLATION["en"]),
    },
    Reason.SENSOR_FAULT: {
        "zh": ("测温器故障", _SEE_STAFF["zh"]),
        "en": ("The thermometer failed", _SEE_STAFF["en"]),
    },
    Reason.CAMERA_FAULT: {
        "zh": ("摄像头故障", _SEE_STAFF["zh"]),
        "en": ("The camera failed", _SEE_STAFF["en"]),
    },
    Reason.CLOCK_UNSYNCED: {
        "zh": ("闸机时间未校准", _SEE_STAFF["zh"]),
        "en": ("The gate's clock is not set", _SEE_STAFF["en"]),
    },
    Reason.NO_CODE: {
        "zh": ("未看到健康码", _SHOW_AGAIN["zh"]),
        "en": ("No code was shown", _SHOW_AGAIN["en"]),
    },
    Reason.UNREADABLE_CODE: {
        "zh": ("健康码无法识别", "调亮手机屏幕，退后再出示一次"),
        "en": ("Your code could not be read", "Turn up the screen, step back and show it again"),
    },
    Reason.MULTIPLE_CODES: {
        "zh": ("看到多个健康码", "一次只出示一个健康码，请退后再试"),
        "en": ("More than one code was seen", "One code at a time: step back and try again"),
    },
    Reason.CODE_MALFORMED: {
        "zh": ("这不是有效的健康码", "请出示官方健康码，或联系工作人员"),
        "en": ("This is not a health code", "Show your official code, or see staff"),
    },
    Reason.CODE_UNKNOWN_ISSUER: {
        "zh": ("健康码签发方不被认可", _SEE_STAFF["zh"]),
        "en": ("This code's issuer is not accepted here", _SEE_STAFF["en"]),
    },
    Reason.CODE_BAD_SIGNATURE: {
        "zh": ("健康码无效", _SEE_STAFF["zh"]),
        "en": ("This code is not genuine", _SEE_STAFF["en"]),
    },
    Reason.CODE_EXPIRED: {
        "zh": ("健康码已过期", "请刷新健康码后再出示"),
        "en": ("Your code has expired", "Refresh the code on your phone and show it again"),
    },
    Reason.CODE_NOT_YET_VALID: {
        "zh": ("健康码尚未生效", _SEE_STAFF["zh"]),
        "en": ("Your code is not valid yet", _SEE_STAFF["en"]),
    },
    Reason.CODE_REPLAYED: {
        "zh": ("此健康码已被使用", "每人只能使用自己的健康码，请联系工作人员"),
        "en": ("This code was already used", "Each person shows their own code. See staff"),
    },
    Reason.CODE_RED: {
        "zh": ("红码", _ISOLATION["zh"]),
        "en": ("Red health code", _ISOLATION["en"]),
    },
    Reason.CODE_YELLOW: {
        "zh": ("黄码，不能通行", _SEE_STAFF["zh"]),
        "en": ("Yellow health code: no entry", _SEE_STAFF["en"]),
    },
    Reason.CODE_GREEN: {
        "zh": ("当前风险等级下绿码不能直接通行", _SEE_STAFF["zh"]),
        "en": ("A green code alone does not admit today", _SEE_STAFF["en"]),
    },
    Reason.UNREGISTERED: {
        "zh": ("您未在本园区登记", "请到门卫处登记"),
        "en": ("You are not registered here", "Please register at the security desk"),
    },
    Reason.NAT_MISSING: {
        "zh": ("没有核酸检测记录", "请先做核酸检测，或联系工作人员"),
        "en": ("No nucleic-acid test on record", "Take a test first, or see staff"),
    },
    Reason.NAT_EXPIRED: {
        "zh": ("核酸检测已过期", "请重新做核酸检测"),
        "en": ("Your nucleic-acid test is too old", "Please take a new test"),
    },
    Reason.NAT_POSITIVE: {
        "zh": ("核酸检测阳性", _ISOLATION["zh"]),
        "en": ("Positive nucleic-acid test", _ISOLATION["en"]),
    },
    Reason.VISIT_OUTSIDE: {
        "zh": ("不在您的访问时间内", "请联系接待您的人员"),
        "en": ("Not during your visit", "Please call the person you are visiting"),
    },
    Reason.OUTSIDE_SHIFT: {
        "zh": ("不在您的班次时间内", "请在班次开始前再来，或联系工作人员"),
        "en": ("Not during your shift", "Come back nearer your shift, or see staff"),
    },
    # {window}: when the worker may come in (window_text); without one ahead, they see staff
    Reason.SHIFT_EARLY: {
        "zh": ("还没到您的时段", "您的时段是 {window}，请届时再来"),
        "en": ("Too early for your shift", "Your window is {window}. Please come back then"),
    },
    Reason.SHIFT_LATE: {
        "zh": ("您的时段已过", "您的下一个时段是 {window}，或联系工作人员"),
        "en": ("Your window has closed", "Your next window is {window}, or see staff"),
    },
    Reason.SHIFT_NOT_TODAY: {
        "zh": ("今天没有您的班次", "您的下一个时段是 {window}"),
        "en": ("No shift for you today", "Your next window is {window}"),
    },
    Reason.GATE_NOT_SERVING_GROUP: {
        "zh": ("本闸机不服务您的班组", "请走您班组的闸机，或联系工作人员"),
        "en": ("This gate does not serve your group", "Use your group's gate, or see staff"),
    },
    Reason.INTERNAL_ERROR: {
        "zh": ("检查未能完成", "请退后再试一次，或联系工作人员"),
        "en": ("The check could not be completed", "Step back and try again, or see staff"),
    },
    Reason.LOCKDOWN: {
        "zh": ("闸机已封闭", "园区已下令封闭本闸机，请联系工作人员"),
        "en": ("Gate locked down", "The park has closed this gate. See staff"),
    },
    Reason.RECORD_FULL: {
        "zh": ("闸机暂停服务", _SEE_STAFF["zh"]),
        "en": ("Gate out of service", _SEE_STAFF["en"]),
    },
    Reason.SECONDARY_CHECK: {
        "zh": ("需要复检体温", _SECONDARY["zh"]),
        "en": ("Second temperature check", _SECONDARY["en"]),
    },
    # {area}: screening.rest_area; {minutes}: screening.rest_min; {until}: when they may scan
    # again (HH:MM, the gate's time)
    Reason.REST: {
        "zh": (
            "请休息 {minutes} 分钟后再测",
            "请到{area}休息 {minutes} 分钟，{until} 后再出示健康码",
        ),
        "en": (
            "Rest {minutes} minutes, then scan again",
            "Rest in {area} for {minutes} minutes; come back and show your code from {until}",
        ),
    },
    Reason.NOT_MEASURED: {
        "zh": ("未能测到体温", "请退后，再靠近测温器一次"),
        "en": ("Your temperature was not taken", "Step back, then come close to the thermometer"),
    },
    Reason.ZONE_FULL: {
        "zh": ("请稍候，区域已满", "有人离开后，闸机会自动为您放行，无需再出示健康码"),
        "en": (
            "Please wait, the zone is full",
            "Stay here: the gate lets you in as soon as someone leaves",
        ),
    },
    Reason.ANTI_PASSBACK: {
        "zh": ("您已在区域内", "记录显示您进入后未离开，请联系工作人员"),
        "en": ("You are already inside", "You entered and never left. Please see staff"),
    },
    Reason.NOT_INSIDE: {
        "zh": ("记录显示您不在区域内", "您没有进入记录，或已经离开，请联系工作人员"),
        "en": ("You are not inside", "No entry without a later exit on record. Please see staff"),
    },
}

# the words around the answer
CHROME: dict[str, dict[Language, str]] = {
    "title": {"zh": "健康检查闸机", "en": "Health check gate"},
    "connecting": {"zh": "正在连接闸机…", "en": "Connecting to the gate…"},
    # the zone the screen's times are in, named once beside the title
    "times": {"zh": "时间：", "en": "Times: "},
}


def screen(key: str, language: Language) -> tuple[str, str]:
    return SCREENS[key][language]


_WEEKDAY_NAMES: dict[Language, tuple[str, ...]] = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_TOMORROW: dict[Language, str] = {"zh": "明天", "en": "tomorrow"}


def window_text(day: date, hours: str, today: date, language: Language) -> str:
    """A window as the worker reads it: ``07:40-08:00`` today, ``tomorrow 07:40-08:00``, or
    with its date further ahead; ``day`` is the day the window opens."""
    if day == today:
        return hours
    if day == today + timedelta(days=1):
        return f"{_TOMORROW[language]} {hours}"
    weekday = _WEEKDAY_NAMES[language][day.weekday()]
    if language == "zh":
        return f"{day.month}月{day.day}日（{weekday}）{hours}"
    return f"{weekday} {day.day} {day:%b} {hours}"


def minutes_text(minutes: float) -> str:
    """Minutes as a worker reads them: 5, or 2.5."""
    return f"{minutes:g}"


def refusal(
    reason: Reason,
    language: Language,
    room: str,
    location: str,
    window: str | None = None,
    rest: tuple[str, str, str | None] | None = None,
) -> tuple[str, str]:
    """The headline and what to do; ``window`` (window_text) where the reason tells one;
    ``rest``: where, for how many minutes and from when (HH:MM; None when not known) a person
    told to rest may come back."""
    headline, todo = REASONS[reason][language]
    if "{window}" in todo and window is None:
        return headline, _SEE_STAFF[language]  # no window ahead to tell
    area, minutes, until = rest if rest is not None else ("", "", None)
    if "{until}" in todo and until is None:
        return headline.format(minutes=minutes), _SEE_STAFF[language]
    fill = {"room": room, "location": location, "window": window}
    return (
        headline.format(minutes=minutes),
        todo.format(**fill, area=area, minutes=minutes, until=until),
    )
