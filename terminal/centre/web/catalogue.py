"""Every word of the security desk and the centre's board, in Chinese and English: one place to
read and to translate. Templates ask for a text by key (``t("take")``); placeholders are filled by
``str.format`` after the lookup, and the template escapes the result."""

from __future__ import annotations

from collections.abc import Iterable

from terminal.common.printed.words import (
    CODE_WORDS,
    LANGUAGES,
    REASON_WORDS,
    VEHICLE_WORDS,
    WENT_TO_WORDS,
    Language,
)

# the languages are the printed record's: one list for the paper and the screens
__all__ = ["LANGUAGES", "TEXTS", "Language", "named", "text", "values_named"]

# key -> (Chinese, English)
TEXTS: dict[str, tuple[str, str]] = {
    # chrome
    "centre": ("园区运营中心", "Operations centre"),
    "desk": ("安保台", "Security desk"),
    "board": ("运营看板", "Centre board"),
    "records": ("检查记录", "Records"),
    "vehicle_records": ("车辆记录", "Vehicle records"),
    "commands": ("指令", "Commands"),
    "audit": ("操作记录", "Audit log"),
    "signed_in_as": ("当前用户：{user}（{role}）", "Signed in as {user} ({role})"),
    "sign_out": ("退出", "Sign out"),
    "role_guard": ("保安", "guard"),
    "role_health_officer": ("防疫专员", "health officer"),
    "role_viewer": ("只读", "viewer"),
    "live_lost": ("与中心的连接中断，正在重连…", "Connection to the centre lost, reconnecting…"),
    "clock_unsynced": (
        "中心服务器时钟未同步（NTP）：显示的时间可能有误，过期数据暂不删除",
        "The centre's clock is not synchronised (NTP): times shown may be wrong, and old data is"
        " not deleted until it is",
    ),
    # login
    "login_title": ("登录", "Sign in"),
    "user_name": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "sign_in": ("登录", "Sign in"),
    "bad_login": ("用户名或密码错误", "Wrong user name or password"),
    "locked_out": (
        "该用户登录失败次数过多，请{minutes}分钟后再试",
        "Too many failed sign-ins for this name. Try again in {minutes} min",
    ),
    "expired": ("登录已过期，请重新登录", "Your session has ended. Please sign in again"),
    # refusals
    "forbidden": ("无权执行此操作", "You may not do this"),
    "forbidden_detail": (
        "您的角色（{role}）不能{action}，此次尝试已记录",
        "Your role ({role}) may not {action}; the attempt was recorded",
    ),
    "action_take": ("接手警报", "take an alert"),
    "action_resolve": ("录入复检体温", "enter a clinical reading"),
    "action_escort": ("登记送隔离", "record an escort"),
    "action_identify": ("登记未识别人员身份", "record who an unidentified person is"),
    "action_dismiss": ("处理未返回人员", "dismiss a person who did not come back"),
    "action_command": ("发送指令", "send commands"),
    "action_muster": ("登记集合点人员", "tick people off at the muster point"),
    "action_person_data": ("导出或删除个人信息", "export or erase a person's data"),
    # a person's own data
    "persons": ("个人信息", "Persons"),
    "person_title": ("个人信息：副本与删除", "A person's own data: their copy, their erasure"),
    "person_id": ("人员编号", "Person id"),
    "person_export": ("导出其全部信息", "Export everything held about them"),
    "person_export_hint": (
        "中心及每台闸机的记录中关于此人的全部内容，汇成一个 JSON 文件",
        "What the centre and every gate's record hold about them, in one JSON file",
    ),
    "person_export_default_reason": ("本人申请查阅复制", "the person asked for a copy"),
    "person_erase": ("删除其信息", "Erase them"),
    "person_erase_hint_pseudonymise": (
        "检查记录须按园区检查规定保存至保存期满：其编号、健康码指纹换为化名，关于其的备注清空；体温、时间、结果与计数保留",
        "The record of every check is kept for the retention period by the park's inspection "
        "rules: their id and code fingerprint are replaced by a pseudonym and notes about them "
        "cleared; temperatures, times, outcomes and counts stay",
    ),
    "person_erase_hint_delete": (
        "园区允许删除：其记录将被删除；尚未发送的消息以化名发送",
        "The park may delete: their rows are deleted; messages not yet sent go out under a "
        "pseudonym",
    ),
    "person_reason": ("依据（法律依据或申请编号）", "Legal basis or request reference"),
    "person_bad_id": ("人员编号格式不正确", "Not a person id"),
    "person_reason_missing": (
        "请填写删除依据（200字以内）",
        "Give the legal basis of the erasure (200 characters at most)",
    ),
    "person_typed_id_differs": (
        "再次输入的编号不一致，未删除任何内容",
        "The id typed again differs: nothing was erased",
    ),
    "person_erase_confirm": (
        "确认删除：请再次输入人员编号",
        "Confirm the erasure: type the person's id again",
    ),
    "person_erase_will": (
        "将在中心及以下闸机执行（{mode}）：{gates}",
        "Done at the centre and at these gates ({mode}): {gates}",
    ),
    "person_erase_go": ("删除", "Erase"),
    "person_erase_held": (
        "中心以编号 {person} 保存的记录（按表计行数，含其健康码指纹）：",
        "The centre holds these rows under {person} (per table, its code's fingerprints too):",
    ),
    "person_erase_nothing_held": (
        "中心没有编号为 {person} 的记录（不区分大小写）：中心不会删除任何内容；"
        "仍可向闸机发送删除指令",
        "The centre holds nothing under {person} (in any case): nothing will be erased at the "
        "centre; the erasure may still be sent to the gates",
    ),
    "person_table": ("表", "Table"),
    "person_rows": ("行数", "Rows"),
    "person_erased_pseudonymised": ("{table}：{count} 处已化名", "{table}: {count} pseudonymised"),
    "person_erased_deleted": ("{table}：{count} 行已删除", "{table}: {count} rows deleted"),
    "person_centre_holds": ("中心记录：{counts}", "the centre holds {counts}"),
    "person_centre_holds_nothing": (
        "中心没有此编号的记录（不区分大小写）",
        "the centre holds nothing under this id (in any case)",
    ),
    "person_pages_unknown": (
        "已收 {received} 页，总页数未知",
        "{received} in, of a number not yet known",
    ),
    "person_requests": ("申请记录", "Requests"),
    "person_kind_export": ("导出", "export"),
    "person_kind_erase": ("删除", "erasure"),
    "person_hash": ("编号散列", "Id hash"),
    "person_request": ("申请 {request}", "Request {request}"),
    "person_centre_outcome": ("中心：{outcome}", "Centre: {outcome}"),
    "person_pages": ("已收页数", "Pages in"),
    "person_download": ("下载 JSON", "Download JSON"),
    "person_not_all_in": (
        "尚有闸机未答复：文件仅含已收到的部分",
        "Not every gate has answered: the file holds what came in",
    ),
    "person_reload": ("刷新", "Refresh"),
    "person_times": ("时间（{zone}）", "Times ({zone})"),
    "bad_form": (
        "表单已失效，请刷新页面后重试",
        "This form is out of date; reload the page and try again",
    ),
    "not_found": ("找不到该项", "Not found"),
    "server_error": (
        "中心出错，操作未完成；请重试，如仍失败请联系管理员",
        "The centre hit a fault and did not finish this; try again, or call the administrator",
    ),
    "back": ("返回", "Back"),
    # the desk
    "alarm_banner": ("{count}条警报无人处理", "{count} alert(s) not taken"),
    "sound_on": ("开启警报声", "Turn the alarm sound on"),
    "flags": ("警报与复检", "Alerts and secondary checks"),
    "no_flags": ("没有待处理的警报", "No open alerts"),
    "person": ("人员", "Person"),
    "gate": ("闸机", "Gate"),
    "kind": ("类型", "Kind"),
    "readings": ("体温", "Readings"),
    "isolation": ("隔离室", "Isolation room"),
    "open_for": ("已等待", "Open for"),
    "realerts": ("重复警报", "Re-alerts"),
    "state": ("状态", "State"),
    "actions": ("操作", "Actions"),
    "taken_by": ("{user}已接手", "taken by {user}"),
    "take": ("接手", "Take"),
    "resolve": ("录入复检体温", "Enter the clinical reading"),
    "escort": ("标记为已送往隔离室", "Mark as escorted to the isolation room"),
    "escorted_by": ("{user}已送至隔离室", "escorted by {user}"),
    "resolved_by": ("{user}复检", "checked by {user}"),
    "screened": ("筛查读数 {value}", "screened {value}"),
    "estimated_core": ("估算核心体温 {value}", "estimated core {value}"),
    "first_reading": ("首测估算核心体温 {value}", "first, estimated core {value}"),
    "threshold_at": ("阈值 {value}", "threshold {value}"),
    "reference_baseline": ("本人平时 {value}（个人基线）", "their usual {value} (own baseline)"),
    "reference_crowd": ("人群平时 {value}（近期人群）", "the crowd's usual {value} (recent crowd)"),
    "reference_table": ("对照表 {value}", "table {value}"),
    "readings_note": (
        "筛查读数：额温枪所测额头温度；估算核心体温：由筛查读数推算；复检：保安所测体温",
        "screened: the forehead as the thermometer saw it; estimated core: worked out from it; "
        "clinical: the guard's reading",
    ),
    "clinical": ("复检 {value}", "clinical {value}"),
    "kind_secondary_check": ("需复检", "secondary check"),
    "kind_fever": ("确认发热", "confirmed fever"),
    "kind_suspected_fever": ("疑似发热", "suspected fever"),
    "kind_health_code": ("健康码异常", "health code"),
    "kind_nat_positive": ("核酸检测阳性", "positive nucleic-acid test"),
    "kind_not_returned": ("休息后未返回", "told to rest, not back"),
    "state_open": ("待处理", "open"),
    "state_admitted": ("已放行", "admitted"),
    "state_refused": ("未放行", "refused"),
    "state_fever_confirmed": ("发热已确认，待送隔离室", "fever confirmed, awaiting escort"),
    "state_escorted": ("已送隔离", "escorted"),
    "state_dismissed": ("已处理", "dismissed"),
    "faults": ("设备故障", "Device faults"),
    "no_faults": ("没有设备故障", "No device faults"),
    "since": ("开始于", "Since"),
    "detail": ("说明", "Detail"),
    "gates_down": ("离线闸机", "Gates offline"),
    "no_gates_down": ("所有闸机在线", "Every gate is online"),
    "last_seen": ("最后联系", "Last seen"),
    "recent_checks": ("最近的检查", "Recent checks"),
    "time": ("时间", "Time"),
    "decision": ("结果", "Decision"),
    "reason": ("原因", "Reason"),
    "temperature": ("估算核心体温", "Estimated core"),
    "screened_header": ("筛查读数", "Screened reading"),
    "code": ("健康码", "Code"),
    "decision_admit": ("通行", "admit"),
    "decision_deny": ("拒绝", "deny"),
    # the resolve form
    "resolve_title": ("录入复检体温", "Clinical reading"),
    "clinical_label": ("复检体温（°C）", "Clinical reading (°C)"),
    "threshold_note": (
        "≥{threshold} °C 为发热：闸机将引导此人前往隔离室；低于此值则按当前规则放行",
        "At or above {threshold} °C is a fever: the gate sends the person to the isolation "
        "room; below, the gate decides by its rules",
    ),
    "send_reading": ("发送到闸机", "Send to the gate"),
    "reading_missing": ("请填写复检体温", "Enter the clinical reading"),
    "reading_not_number": (
        "复检体温应为数字，如36.8",
        "The clinical reading must be a number, e.g. 36.8",
    ),
    "reading_out_of_range": (
        "复检体温应在34至43 °C之间",
        "The clinical reading must be between 34 and 43 °C",
    ),
    "flag_closed": ("此警报已处理", "This alert is already resolved"),
    "sent_reading": (
        "已发送（{result}），等待闸机确认",
        "Sent ({result}); waiting for the gate to confirm",
    ),
    "reading_confirmed": (
        "闸机{gate}已确认：{person}，{state}",
        "Gate {gate} confirmed: {person}, {state}",
    ),
    "reading_not_taken": ("闸机{gate}未执行：{detail}", "Gate {gate} did not act on it: {detail}"),
    "result_normal": ("正常", "normal"),
    "result_fever": ("发热", "fever"),
    "send_failed": ("发送失败：{detail}", "Could not send: {detail}"),
    # the board
    "gates": ("闸机状态", "Gates"),
    "no_gates": ("尚未收到任何闸机的消息", "No gate has reported yet"),
    "lockdown": ("封闭", "Lockdown"),
    "tier": ("风险等级", "Risk tier"),
    "backlog": ("积压", "Backlog"),
    "checks_today": ("今日检查", "Checks today"),
    "report_today": ("今日日报", "Today's report"),
    "gate_online": ("在线", "online"),
    "gate_offline": ("离线", "offline"),
    "gate_lost": ("失联", "lost"),
    "gate_silent": ("无响应", "silent"),
    "gate_unknown": ("未知", "unknown"),
    "report_sent": ("已报", "sent"),
    "report_late": ("逾期", "late"),
    "report_due": ("未到时间", "due"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "flow": ("今日各闸机每小时通行量", "Today's flow per gate and hour"),
    "flow_plot": ("每小时检查次数", "Checks per hour"),
    "total": ("合计", "Total"),
    "hour": ("时", "Hour"),
    "denials": ("今日拒绝原因", "Denials today by reason"),
    "no_denials": ("今日无拒绝", "No denials today"),
    "count": ("次数", "Count"),
    "outcomes": ("警报及处理结果", "Flags and fevers, and how they ended"),
    # how each kind of flag ended, as a health officer says it (the board's summary line)
    "ending": ("{kind}，{state}：{count}", "{kind}, {state}: {count}"),
    "ending_kind_secondary_check": ("送复检", "sent to the secondary check"),
    "ending_kind_fever": ("确认发热", "confirmed fever"),
    "ending_kind_suspected_fever": ("疑似发热", "suspected fever"),
    "ending_kind_health_code": ("健康码异常", "health code not accepted"),
    "ending_kind_nat_positive": ("核酸检测阳性", "positive nucleic-acid test"),
    "ending_kind_not_returned": ("休息后未返回", "told to rest and not back"),
    "ending_state_open": ("仍待处理", "still open"),
    "ending_state_admitted": ("复检后放行", "let through after the check"),
    "ending_state_refused": ("复检后未放行", "not let through after the check"),
    "ending_state_fever_confirmed": ("发热已确认，待送隔离室", "fever confirmed, awaiting escort"),
    "ending_state_escorted": ("已送往隔离室", "escorted to the isolation room"),
    "ending_state_dismissed": ("已处理并备注", "dismissed with a note"),
    "vehicles": ("车辆登记", "Vehicles entered at the gates"),
    "no_vehicles": ("暂无车辆登记", "No vehicles entered"),
    "plate": ("车牌", "Plate"),
    "driver": ("司机", "Driver"),
    "purpose": ("事由", "Purpose"),
    # what became of a vehicle, as staff name it (shared with the printed record)
    **{f"vehicle_{outcome}": words for outcome, words in VEHICLE_WORDS.items()},
    "zero_report": ("零报告", "Zero-report board"),
    "zero_report_note": (
        "每个闸机每天须发送日报（即使全部为零）",
        "Every gate sends a daily report, even when every count is zero",
    ),
    # the gates' reasons, as staff name them (shared with the printed record)
    **{f"reason_{reason}": words for reason, words in REASON_WORDS.items()},
    # a health code's colour as read, and a person no code named: as the printed record says
    **{f"code_colour_{code}": words for code, words in CODE_WORDS.items()},
    "unidentified": ("未识别", "unidentified"),
    "fault_internal_error": ("程序错误", "internal error"),
    "fault_record_full": ("记录已满", "record full"),
    "fault_record_unwritable": ("记录无法写入", "record not writable"),
    "fault_backlog_over_limit": ("待发消息积压", "backlog over its limit"),
    "fault_camera_fault": ("摄像头故障", "camera fault"),
    "fault_passage_contact_stuck": ("通行检测触点卡死（常闭）", "passage contact stuck closed"),
    "fault_thermometer": ("测温器故障", "thermometer fault"),
    "fault_emergency": ("火警：闸机放行", "fire alarm: turnstile free"),
    "hours_minutes": ("{hours}小时{minutes:02d}分", "{hours} h {minutes:02d} min"),
    "minutes_seconds": ("{minutes}分{seconds:02d}秒", "{minutes} min {seconds:02d} s"),
    "seconds": ("{seconds}秒", "{seconds} s"),
    "report_checks": ("日报检查数", "Checks reported"),
    "report_denials": ("日报拒绝", "Denials reported"),
    # records
    "search": ("查询", "Search"),
    "date_from": ("开始日期", "From"),
    "date_to": ("结束日期", "To"),
    "any": ("全部", "any"),
    "export_csv": ("导出CSV", "Export CSV"),
    # the printed record: a sheet per day and gate for an inspector
    "printed": ("检查记录打印", "Printed record"),
    "printed_intro": (
        "供检查人员签字的记录：每个闸机每天一页，含复检临床体温、车辆、当日合计及签字栏",
        "The record for inspectors: a sheet per gate and day with the clinical readings, the "
        "vehicles, the day's totals and lines to sign",
    ),
    "all_gates": ("全部闸机", "all gates"),
    "format": ("格式", "Format"),
    "language": ("语言", "Language"),
    "download": ("下载", "Download"),
    "no_records": ("没有符合条件的记录", "No record matches"),
    "shown_first": (
        "仅显示前{limit}条；完整记录请导出",
        "Showing the first {limit}; export for all",
    ),
    "bad_query": ("查询条件有误：{detail}", "The search is not valid: {detail}"),
    "unknown_reason": (
        "reason：没有“{typed}”这个原因；可查询的原因：{words}",
        "reason: no reason is called “{typed}”; the reasons are: {words}",
    ),
    "unknown_decision": (
        "decision：没有“{typed}”这个结果；可查询的结果：{words}",
        "decision: no decision is called “{typed}”; the decisions are: {words}",
    ),
    "reasons_searched": ("查询的原因：{words}", "Reasons searched: {words}"),
    "query_not_a_date": (
        "{field}：不是日期（年-月-日，如 2026-11-23）：“{typed}”",
        "{field}: not a date (YYYY-MM-DD): “{typed}”",
    ),
    "query_no_such_day": ("{field}：没有这一天：“{typed}”", "{field}: no such day: “{typed}”"),
    "query_dates_reversed": ("{to}早于{since}", "{to}: before {since}"),
    "query_too_long": ("{field}：超过{limit}个字符", "{field}: longer than {limit} characters"),
    "query_flagged": (
        "{field}：只能选择全部检查或发热与警报",
        "{field}: every check, or fevers and flags",
    ),
    "list_separator": ("、", ", "),  # between the words of a list in a line
    "show": ("显示", "Show"),
    "show_all": ("全部检查", "every check"),
    "show_flagged": ("发热与警报", "fevers and flags"),
    "flag_header": ("警报", "Flag"),
    "clinical_header": ("复检体温", "Clinical reading"),
    "checked_by_header": ("复检人", "Checked by"),
    "outcome_header": ("处理结果", "Outcome"),
    "went_to_header": ("去向", "Went to"),
    # where a person a flag stopped went (records.went_to): as the printed record says it
    **{f"went_{where}": words for where, words in WENT_TO_WORDS.items()},
    "route_through": ("通过闸机", "through the turnstile"),
    "route_aside": ("离开闸机", "stepped aside"),
    "route_isolation_room": ("隔离室", "isolation room"),
    "route_secondary_check": ("复检点", "secondary check point"),
    "route_wait": ("在闸机等候", "waiting at the gate"),
    "route_rest": ("休息区", "rest area"),
    # every page names the zone of its times once
    "times_zone": ("时间：{zone}", "Times: {zone}"),
    "audit_action_any": ("全部操作", "every action"),
    "filter": ("筛选", "Filter"),
    "replayed": ("补发", "late"),
    # commands
    "command": ("指令", "Command"),
    "target": ("闸机", "Gate"),
    "every_gate": ("所有闸机", "every gate"),
    "cmd_lockdown": ("封闭/解除封闭", "Lockdown on or off"),
    "cmd_open_once": ("放行一次", "Open once"),
    "cmd_set_risk_tier": ("设置风险等级", "Set the risk tier"),
    "cmd_push_roster": ("下发人员名单", "Push a roster"),
    "cmd_resolve_secondary": ("复检结果", "Secondary check result"),
    "lockdown_on": ("封闭", "on"),
    "lockdown_off": ("解除封闭", "off"),
    "do_lockdown_on": ("封闭闸机", "Lock the gate down"),
    "do_lockdown_off": ("解除闸机封闭", "Lift the lockdown"),
    "why": ("原因", "Reason"),
    "roster_kind": ("名单类型", "Roster"),
    "roster_workers": ("员工", "workers"),
    "roster_visitors": ("访客", "visitors"),
    "roster_file": ("CSV文件", "CSV file"),
    "next": ("下一步", "Next"),
    "confirm_title": ("请确认", "Please confirm"),
    "confirm_send": ("确认发送", "Confirm and send"),
    "cancel": ("取消", "Cancel"),
    "cancelled": ("已取消", "Cancelled"),
    "sent_commands": ("已发送{count}条指令", "{count} command(s) sent"),
    "confirm_expired": ("确认已过期，请重新填写", "This confirmation has expired; start again"),
    "results": ("指令结果", "Command results"),
    "no_results": ("尚未发送指令", "No command sent yet"),
    "issued_by": ("发送人", "Sent by"),
    "issued_at": ("发送时间", "Sent at"),
    "what": ("内容", "What"),
    "outcome": ("结果", "Outcome"),
    "outcome_sent": ("已发送", "sent"),
    "outcome_done": ("已执行", "done"),
    "outcome_refused": ("被拒绝", "refused"),
    "outcome_failed": ("失败", "failed"),
    "outcome_expired": ("已过期", "expired"),
    "outcome_not_sent": ("未发送", "not sent"),
    "tier_low": ("低", "low"),
    "tier_medium": ("中", "medium"),
    "tier_high": ("高", "high"),
    "asked_tier": ("风险等级设为{tier}", "Risk tier to {tier}"),
    "asked_roster": ("{kind}名单，{rows}行", "{kind} roster, {rows} rows"),
    "asked_reading": (
        "复检{value} °C：{result}（{guard}）",
        "Clinical reading {value} °C: {result} (by {guard})",
    ),
    "did_lockdown_on": (
        "闸机已封闭：仅可由工作人员放行一次",
        "Gate locked down: nobody passes but by a staff open-once",
    ),
    "did_lockdown_off": ("闸机已解除封闭", "Lockdown lifted"),
    "did_open_once": ("闸机已放行一次", "Turnstile opened once"),
    "did_tier": ("风险等级：{before} → {after}", "Risk tier: {before} → {after}"),
    "did_roster": ("已安装{count}名{kind}", "{count} {kind} installed"),
    "did_resolve_admitted": ("复检正常，已放行", "Normal reading: let through"),
    "did_resolve_refused": (
        "复检正常，但未放行：{reason}",
        "Normal reading, not let through: {reason}",
    ),
    "did_resolve_fever": (
        "确认发热：已引导至隔离室",
        "Fever confirmed: sent to the isolation room",
    ),
    "next_window": ("下次可通行时间 {window}", "next window {window}"),
    "reason_missing": ("请填写原因", "Give a reason"),
    "reason_too_long": ("原因不能超过200字", "The reason must be 200 characters at most"),
    "gate_unknown_target": ("没有这个闸机", "No such gate"),
    "choose_file": ("请选择名单文件", "Choose the roster file"),
    "file_too_big": ("文件过大（上限4 MB）", "The file is too big (4 MB at most)"),
    "roster_encoding": ("文件编码", "Encoding"),
    "roster_not_utf8": (
        "文件不是UTF-8编码：请在“文件编码”中选择它的编码，或在表格软件中另存为“CSV UTF-8”",
        "The file is not UTF-8: choose its encoding, or save it from the spreadsheet as CSV UTF-8",
    ),
    "roster_is_utf8": (
        "这个文件是UTF-8编码：请在“文件编码”中选择UTF-8",
        "This file is UTF-8: choose UTF-8 as its encoding",
    ),
    "roster_not_in_encoding": (
        "文件不是所选的编码：请选择它的编码，或在表格软件中另存为“CSV UTF-8”",
        "The file is not in the chosen encoding: choose its own, or save it as CSV UTF-8",
    ),
    "bad_choice": ("选项无效", "Not a valid choice"),
    "user": ("用户", "User"),
    "action": ("操作", "Action"),
    # the queue, lockdown, escalation, identity, not returned (the desk)
    "queue_count": ("队列中{count}人，按到达顺序", "{count} in the queue, in the order they came"),
    "queue_position": ("序号", "#"),
    "queue_wait": (
        "{gate}：{count}人等候 · 预计等候约{minutes}分钟（估计：按本闸机最近{n}次复检用时）",
        "{gate}: {count} waiting · expected wait about {minutes} min (an estimate from the last "
        "{n} flags resolved here)",
    ),
    "queue_wait_default": (
        "{gate}：{count}人等候 · 预计等候约{minutes}分钟（估计：本闸机近期无复检记录，取默认值）",
        "{gate}: {count} waiting · expected wait about {minutes} min (an estimate: none resolved "
        "here lately, a default)",
    ),
    "lockdown_banner": (
        "闸机{gate}已封闭：不放行任何人",
        "Gate {gate} is locked down: nobody is let in",
    ),
    "escalation_banner": (
        "{count}条警报{seconds}秒内无人处理，已上报给您",
        "{count} alert(s) not taken within {seconds} s, raised to you",
    ),
    "escalated_to": ("已上报{role}", "raised to the {role}"),
    "identity_label": ("身份", "Who this is"),
    "identify": ("登记身份", "Record identity"),
    "identified_as": ("{user}登记身份：{identity}", "identified as {identity} by {user}"),
    "identity_missing": ("请填写身份", "Give who this person is"),
    "identity_too_long": ("身份不能超过64字", "The identity must be 64 characters at most"),
    "identity_not_plain": ("身份含有不允许的字符", "The identity holds a character not allowed"),
    "not_returned": ("休息后未返回的人员", "Told to rest, not back"),
    "no_not_returned": ("没有未返回的人员", "Nobody told to rest is missing"),
    "told_at": ("告知休息时间", "Told to rest at"),
    "dismiss": ("处理", "Dismiss"),
    "dismiss_note": ("备注", "Note"),
    "note_missing": ("请填写备注", "Write a note"),
    "dismissed_by": ("{user}已处理：{note}", "dismissed by {user}: {note}"),
    # the screening on the board
    "screening_load": ("今日复检负荷/预算", "Guard load today / budget"),
    "screening_load_value": (
        "{sent}/{screened}（{load}），预算{budget}",
        "{sent} of {screened} ({load}), budget {budget}",
    ),
    "resting_now": ("正在休息", "Resting now"),
    "not_returned_today": ("今日未返回", "Not returned today"),
    "estimated_catch": (
        "此负荷下可检出发热比例（估计，来自闸机模型）",
        "Fevers its rule catches at this load (an estimate from the gate's model)",
    ),
    "over_budget": ("超出预算", "over budget"),
    # zones (the board)
    "zones": ("区域", "Zones"),
    "no_zones": ("没有闸机报告区域", "No gate reports a zone"),
    "zone": ("区域", "Zone"),
    "zone_inside": ("区内人数", "Inside now"),
    "zone_capacity": ("容量", "Capacity"),
    "zone_gates": ("闸机", "Gates"),
    "zone_full": ("已满", "full"),
    "zone_disagree": ("各闸机人数不一致", "the gates count differently"),
    "zone_assumption": ("区域联动", "Zone link"),
    "zone_waits": ("今日满员等候", "Waits for room today"),
    "zone_passback": ("今日防回传拒绝", "Anti-passback refusals today"),
    "zone_not_inside": ("今日未在区内拒绝", "Exits refused (not inside) today"),
    "zone_gate_count": ("{gate}：{inside}/{capacity}", "{gate}: {inside}/{capacity}"),
    "no_capacity": ("不限", "no limit"),
    # the roll call (the desk)
    "muster": ("火警点名", "Fire alarm roll call"),
    "muster_heading": (
        "闸机{gate}（区域{zone}）{time}火警：当时区内人员",
        "Gate {gate} (zone {zone}) fire alarm at {time}: who was inside",
    ),
    "muster_unaccounted": ("未到集合点：{count}人", "Not yet accounted for: {count}"),
    "muster_unnamed": (
        "另有{count}人经人工放行进入，无身份记录，无法点名",
        "{count} more came in by a staff override: no identity, they cannot be called",
    ),
    "muster_limits": (
        "名单为火警时该闸机记录所示在区内人员；火警放行期间进入者不在名单内；与其他闸机失联时只含本闸机的通行",
        "The list is who the gate's record showed inside when the alarm sounded; people who came "
        "in during the alarm's free passage are not on it; a gate cut off from its zone's other "
        "gates knew only its own passages",
    ),
    "muster_nobody": ("火警时记录显示区内无人", "The record showed nobody inside"),
    "muster_since": ("进入时间", "Inside since"),
    "muster_by_gate": ("进入闸机", "Came in by"),
    "muster_account": ("已到", "Accounted for"),
    "muster_accounted_by": ("{user}确认已到", "accounted for by {user}"),
    "muster_gone": ("该人员不在此次点名名单中或已确认", "Not on this roll call, or ticked already"),
    # the printed record: a gate the park does not have; a PDF this centre's machine cannot make
    "printed_unknown_gate": ("没有名为“{gate}”的闸机", "There is no gate called “{gate}”"),
    "printed_no_chinese_font": (
        "本中心无法打印中文 PDF：请安装 fonts-noto-cjk，或选择英文",
        "This centre cannot print Chinese PDFs: install fonts-noto-cjk, or choose English",
    ),
    "printed_no_browser": (
        "本中心无法打印 PDF：请安装 chromium，或选择 HTML 格式",
        "This centre cannot print PDFs: install chromium, or choose the HTML format",
    ),
    "printed_pdf_failed": (
        "本中心未能打印此 PDF，请稍后再试或选择 HTML 格式",
        "This centre could not print the PDF: try again later, or choose the HTML format",
    ),
}


def _plain(typed: str) -> str:
    """As words are compared: case, surrounding and repeated spaces, underscores ignored."""
    return " ".join(typed.replace("_", " ").casefold().split())


def values_named(kind: str, typed: str, values: Iterable[str]) -> tuple[str, ...]:
    """The ``values`` of ``kind`` ("reason", "decision") a typed word names, as a person reads
    them on a page: the value itself or its words in either language, without regard to case or
    surrounding space. A whole word names its values; else a part of a word names every value
    it is a part of (``secondary`` names the secondary check, ``code`` every reason about the
    code). None: nothing is called that."""
    wanted = _plain(typed)
    if not wanted:
        return ()
    spelled = {value: {_plain(value), *(_plain(named(kind, value, lang)) for lang in LANGUAGES)}
               for value in values}  # fmt: skip
    whole = tuple(value for value, words in spelled.items() if wanted in words)
    if whole:
        return whole
    return tuple(value for value, words in spelled.items() if any(wanted in w for w in words))


def named(kind: str, value: str, language: Language) -> str:
    """A gate's reason or fault in words; one this centre does not know yet, as the gate named
    it (``kind`` is "reason" or "fault")."""
    key = f"{kind}_{value}"
    return text(key, language) if key in TEXTS else value


def text(key: str, language: Language, **values: object) -> str:
    chinese, english = TEXTS[key]
    chosen = chinese if language == "zh" else english
    return chosen.format(**values) if values else chosen
