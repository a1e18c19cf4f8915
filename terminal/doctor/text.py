"""What doctor says, in English and in Chinese, as the worker's display and the installer speak.

Each message is a key and its parameters (:class:`Said`); the table is put into words only when
it is printed, in the language asked for. Parameters are numbers, pins, addresses, paths and the
errors of the system (in English, as the system gives them): never a reading of a person, a code's
text or a password."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["zh", "en"]

CHECK_NAMES: dict[str, str] = {
    "config": "配置",
    "i2c": "I2C 总线",
    "thermometer": "测温传感器",
    "distance": "测距传感器",
    "camera": "摄像头",
    "relay": "继电器",
    "inputs": "输入触点",
    "broker": "消息代理",
    "clock": "时钟",
    "disk": "磁盘",
    "record": "记录",
}

STATUS = {
    "pass": ("pass", "通过"),
    "fail": ("FAIL", "失败"),
    "skip": ("not checked", "未检查"),
}

# key: (English, Chinese)
MESSAGES: dict[str, tuple[str, str]] = {
    "heading": ("gate-terminal doctor: {config}", "gate-terminal 自检：{config}"),
    "columns": ("check|result|detail", "检查项|结果|说明"),
    "fix": ("fix: ", "处理："),
    "all_passed": ("All {n} checks passed.", "全部 {n} 项检查通过。"),
    "some_failed": (
        "{failed} of {n} checks failed: fix them and run doctor again before starting the gate.",
        "{n} 项检查中有 {failed} 项失败：请逐项处理后再次运行自检，然后再启动闸机服务。",
    ),
    "some_skipped": (
        "{passed} of {n} checks passed; {skipped} not checked (above: why).",
        "{n} 项检查中 {passed} 项通过，{skipped} 项未检查（原因见上）。",
    ),
    "gate_running": (
        "the gate is running and holds its devices: to check them, systemctl stop gate-terminal"
        " and run doctor again",
        "闸机服务正在运行并占用设备：如需检查，先 systemctl stop gate-terminal 再运行自检",
    ),
    "no_config": ("the config does not load", "配置无法读取"),
    "no_bus": ("the I2C bus does not open", "I2C 总线无法打开"),
    "no_devices": ("the gate's devices do not open: {error}", "闸机设备无法打开：{error}"),
    # config
    "config.ok": ("{gate}: loads; roster: {roster}", "{gate}：配置可读；名单：{roster}"),
    "config.bad": ("{error}", "{error}"),
    "config.fix": (
        "edit the file: set each key the message names (the example's CHANGE-ME values too)",
        "编辑配置文件：按提示填好每一项（包括示例中的 CHANGE-ME）",
    ),
    "config.roster_fix": (
        "install the roster: gate-terminal roster import FILE --config {config}",
        "导入名单：gate-terminal roster import 文件 --config {config}",
    ),
    # i2c
    "i2c.ok": ("/dev/i2c-{bus} opens", "/dev/i2c-{bus} 可以打开"),
    "i2c.bad": ("/dev/i2c-{bus} does not open: {error}", "/dev/i2c-{bus} 无法打开：{error}"),
    "i2c.fix": (
        "enable I2C (dtparam=i2c_arm=on in /boot/firmware/config.txt, or raspi-config, Interface"
        " Options, I2C) and reboot; the gate's user must be in the i2c group",
        "启用 I2C（在 /boot/firmware/config.txt 中设置 dtparam=i2c_arm=on，或用 raspi-config 的"
        " Interface Options → I2C），然后重启；运行闸机的用户须在 i2c 组中",
    ),
    # thermometer
    "thermometer.ok": (
        "{address}: object {object_c} °C, ambient {ambient_c} °C, {n} reads, PEC good",
        "{address}：目标 {object_c} °C，环境 {ambient_c} °C，读取 {n} 次，PEC 校验全部正确",
    ),
    "thermometer.nack": ("{address}: no answer ({error})", "{address}：无应答（{error}）"),
    "thermometer.nack_fix": (
        "check the wiring (SDA to pin 3, SCL to pin 5, 3.3 V, GND) and the address"
        " (i2cdetect -y {bus}; thermometer.address, more_addresses)",
        "检查接线（SDA 接 3 号针，SCL 接 5 号针，3.3 V，GND）和地址"
        "（i2cdetect -y {bus}；thermometer.address、more_addresses）",
    ),
    "thermometer.pec": (
        "{address}: corrupted words (PEC mismatch) in {bad} of {n} reads",
        "{address}：读取 {n} 次中有 {bad} 次数据损坏（PEC 校验不符）",
    ),
    "thermometer.pec_fix": (
        "shorten or shield the I2C wires, check the pull-ups (4.7 kΩ to 3.3 V) and the ground;"
        " a slower bus helps (dtparam=i2c_arm_baudrate=50000)",
        "缩短或屏蔽 I2C 线，检查上拉电阻（4.7 kΩ 接 3.3 V）和地线；降低总线速率也有帮助"
        "（dtparam=i2c_arm_baudrate=50000）",
    ),
    "thermometer.flag": (
        "{address}: the sensor reports no valid measurement (its error flag)",
        "{address}：传感器报告没有有效测量值（错误标志位）",
    ),
    "thermometer.flag_fix": (
        "switch the sensor's power off and on; if it stays, replace the sensor",
        "断电后重新上电；如仍如此，请更换传感器",
    ),
    "thermometer.range": (
        "{address}: reads {value} °C ({what}), outside {low} to {high} °C",
        "{address}：读数 {value} °C（{what}），超出 {low} 至 {high} °C",
    ),
    "thermometer.range_fix": (
        "check the emissivity (gate-terminal sensor set-emissivity) and the calibration; a sensor"
        " in the sun or beside a heater reads wrong",
        "检查发射率（gate-terminal sensor set-emissivity）和校准；"
        "阳光直射或靠近取暖器的传感器读数不准",
    ),
    "thermometer.stuck": (
        "{address}: the same reading {n} times in {seconds} s: it does not move",
        "{address}：{seconds} 秒内 {n} 次读数完全相同：读数不变化",
    ),
    "thermometer.stuck_fix": (
        "switch the sensor's power off and on; a stuck sensor judges nobody right: replace it",
        "断电后重新上电；读数不变的传感器无法正确判断任何人，请更换",
    ),
    "object": ("object", "目标"),
    "ambient": ("ambient", "环境"),
    # distance
    "distance.ok": ("{address}: {cm} cm", "{address}：{cm} 厘米"),
    "distance.empty": (
        "{address}: answers; nothing in range (a hand in front shows a distance)",
        "{address}：有应答；量程内无物体（在前方伸手可看到距离）",
    ),
    "distance.bad": ("{address}: {error}", "{address}：{error}"),
    "distance.fix": (
        "check the VL53L0X's wiring (the thermometer's bus, VIN, GND, XSHUT not held low) and"
        " distance.address (i2cdetect -y {bus})",
        "检查 VL53L0X 接线（与测温传感器同一总线，VIN、GND，XSHUT 不可接低）和 distance.address"
        "（i2cdetect -y {bus}）",
    ),
    # camera
    "camera.code": (
        "a frame of {width}×{height}; a QR code read",
        "取到 {width}×{height} 的画面；读出一个二维码",
    ),
    "camera.frame": (
        "a frame of {width}×{height}; no code in view (hold one up to check the decoding)",
        "取到 {width}×{height} 的画面；画面中没有二维码（举起一个二维码可检查解码）",
    ),
    "camera.unreadable": (
        "a frame of {width}×{height}; a QR code seen but not read (closer, steadier)",
        "取到 {width}×{height} 的画面；看到二维码但未能读出（请靠近、拿稳）",
    ),
    "camera.bad": ("no frame: {error}", "取不到画面：{error}"),
    "camera.no_frames": ("no frame in {n} reads", "读取 {n} 次均无画面"),
    "camera.fix": (
        "check the cable and camera.device ({device}); list cameras with ls /dev/v4l/by-id/;"
        " the gate's user must be in the video group",
        "检查排线或 USB 线以及 camera.device（{device}）；用 ls /dev/v4l/by-id/ 列出摄像头；"
        "运行闸机的用户须在 video 组中",
    ),
    # relay
    "relay.idle": (
        "pin {pins} set up and held inactive; not actuated (--actuate clicks it once)",
        "引脚 {pins} 已设置并保持断开；未动作（加 --actuate 可让它吸合一次）",
    ),
    "relay.clicked": (
        "pin {pins} pulsed {seconds} s: the turnstile was released once",
        "引脚 {pins} 吸合 {seconds} 秒：闸机已放行一次",
    ),
    "relay.readback": (
        "pin {pin} reads {level} while driven {wanted}",
        "引脚 {pin} 输出 {wanted} 时读回 {level}",
    ),
    "relay.readback_fix": (
        "another program holds the pin, or the pin is not the one wired (outputs.relay_pin, BCM"
        " numbering)",
        "引脚被其他程序占用，或配置的引脚不是实际接线的引脚（outputs.relay_pin，BCM 编号）",
    ),
    "gpio.fix": (
        "install the gate's GPIO library (pip install 'gate-terminal[pi]'); the gate's user must"
        " be in the gpio group",
        "安装闸机的 GPIO 库（pip install 'gate-terminal[pi]'）；运行闸机的用户须在 gpio 组中",
    ),
    # inputs
    "inputs.none": ("none wired (no [inputs] section)", "未接任何输入（配置中无 [inputs]）"),
    "inputs.ok": ("{levels}", "{levels}"),
    "inputs.active": ("active", "动作"),
    "inputs.rest": ("at rest", "静止"),
    "inputs.level": ("{name} (pin {pin}): {state}", "{name}（引脚 {pin}）：{state}"),
    "inputs.alarm": (
        "fire_alarm (pin {pin}) reads the alarm: the turnstile would be held free",
        "fire_alarm（引脚 {pin}）读到火警：闸机会一直放开",
    ),
    "inputs.alarm_fix": (
        "check the panel's contact and its wire (a cut wire reads as the alarm), and"
        " inputs.fire_alarm's active_high and pull",
        "检查消防联动触点及其线路（断线等同火警），以及 inputs.fire_alarm 的 active_high 和 pull",
    ),
    "inputs.stuck": (
        "{name} (pin {pin}) is active at rest",
        "{name}（引脚 {pin}）在静止时处于动作状态",
    ),
    "inputs.stuck_fix": (
        "check the contact and the [{section}] keys active_high and pull",
        "检查触点以及 [{section}] 的 active_high 和 pull",
    ),
    "inputs.floating": (
        "{name} (pin {pin}) changes between reads: the pin floats",
        "{name}（引脚 {pin}）多次读数不一致：引脚悬空",
    ),
    "inputs.floating_fix": (
        'set pull = "up" or "down" in [{section}], or wire the circuit\'s own resistor',
        '在 [{section}] 中设置 pull = "up" 或 "down"，或在电路中接上拉/下拉电阻',
    ),
    # broker
    "broker.ok": (
        "{host}:{port}: {tls}login as {user}; the ACL lets it write its own topics and refuses"
        " another gate's (MQTT 5 reason codes)",
        "{host}:{port}：{tls}以 {user} 登录成功；ACL 允许写本闸机的主题，拒绝写其他闸机的主题"
        "（MQTT 5 原因码）",
    ),
    "broker.tls": ("TLS, ", "TLS 加密，"),
    "broker.running": (
        "{host}:{port}: {tls}reached; the gate is running, so its login and ACL were not tried (a"
        " second login as {user} would take the gate's connection): to check them, systemctl stop"
        " gate-terminal, run doctor, and start it again",
        "{host}:{port}：{tls}可以连通；闸机服务正在运行，未尝试登录和 ACL（以 {user} 再次登录会挤掉"
        "闸机的连接）：如需检查，先 systemctl stop gate-terminal，运行自检，再启动服务",
    ),
    "broker.connect": ("{host}:{port}: {detail}", "{host}:{port}：{detail}"),
    "broker.fix.unknown_host": (
        "check mqtt.host and the gate's DNS",
        "检查 mqtt.host 和本机的 DNS 设置",
    ),
    "broker.fix.tls_failure": (
        "check mqtt.ca_file (the park's CA), the broker's certificate (its name must be mqtt.host)"
        " and the gate's clock",
        "检查 mqtt.ca_file（园区 CA）、代理的证书（证书名称须与 mqtt.host 一致）以及本机时钟",
    ),
    "broker.fix.refused": (
        "check mqtt.port (8883 for TLS), that Mosquitto runs, and the firewall",
        "检查 mqtt.port（TLS 为 8883）、Mosquitto 是否在运行以及防火墙",
    ),
    "broker.fix.unreachable": (
        "check the network between the gate and mqtt.host, and the firewall",
        "检查闸机与 mqtt.host 之间的网络以及防火墙",
    ),
    "broker.login": (
        "{host}:{port}: login refused: {reason}",
        "{host}:{port}：登录被拒绝：{reason}",
    ),
    "broker.login_fix": (
        "check the username ({user}) and password in mqtt.credentials_file against the broker's"
        " password file (mosquitto_passwd)",
        "核对 mqtt.credentials_file 中的用户名（{user}）和密码与代理的密码文件（mosquitto_passwd）",
    ),
    "broker.no_v5": (
        "{host}:{port}: the broker does not take MQTT 5 ({reason}): the ACL cannot be checked",
        "{host}:{port}：代理不支持 MQTT 5（{reason}）：无法检查 ACL",
    ),
    "broker.no_v5_fix": ("run Mosquitto 2 or newer", "请使用 Mosquitto 2 或更新版本"),
    "broker.own_refused": (
        "publish on {topic} refused: {reason}",
        "在 {topic} 上发布被拒绝：{reason}",
    ),
    "broker.own_fix": (
        "the broker's ACL must give {user} its topics gate/v1/{user}/...: the pattern lines of"
        " config/mosquitto/acl",
        "代理的 ACL 须允许 {user} 写 gate/v1/{user}/... 主题：参见 config/mosquitto/acl 中的"
        " pattern 行",
    ),
    "broker.other_taken": (
        "publish on another gate's topic {topic} accepted: the ACL does not keep the gate to its"
        " own topics",
        "在其他闸机的主题 {topic} 上发布被接受：ACL 没有把闸机限制在自己的主题内",
    ),
    "broker.other_fix": (
        "give gates the pattern lines of config/mosquitto/acl, and no wider topic lines",
        "闸机只应有 config/mosquitto/acl 中的 pattern 行，不要更宽的 topic 行",
    ),
    "broker.silent": (
        "{host}:{port}: no answer within {seconds} s ({what})",
        "{host}:{port}：{seconds} 秒内无回应（{what}）",
    ),
    # clock
    "clock.ok": (
        "synchronised; {zone}, local time {local}",
        "已同步；时区 {zone}，本地时间 {local}",
    ),
    "clock.unsynced": (
        "not synchronised; {zone}, local time {local} (not to be trusted)",
        "未同步；时区 {zone}，本地时间 {local}（不可信）",
    ),
    "clock.fix": (
        "timedatectl set-ntp true, and let the gate reach its NTP server (timedatectl"
        " timesync-status); until then it admits nobody (gate.require_synced_clock)",
        "执行 timedatectl set-ntp true，并确保闸机能连到 NTP 服务器（timedatectl"
        " timesync-status）；同步前闸机不放行任何人（gate.require_synced_clock）",
    ),
    "clock.zone": ("time zone {zone} is not known here", "本机不认识时区 {zone}"),
    "clock.zone_fix": (
        "install the time zone data (apt install tzdata) or correct gate.timezone",
        "安装时区数据（apt install tzdata）或修改 gate.timezone",
    ),
    # disk
    "disk.ok": ("{free} MB free at {folder}", "{folder} 剩余 {free} MB"),
    "disk.low": (
        "{free} MB free at {folder}, under the {need} MB the record needs",
        "{folder} 仅剩 {free} MB，低于记录所需的 {need} MB",
    ),
    "disk.fix": (
        "free space (journalctl --vacuum-size=32M, old files) or use a larger card; with the disk"
        " full the gate keeps the turnstile shut",
        "清理空间（journalctl --vacuum-size=32M、旧文件）或换更大的存储卡；磁盘写满时闸机保持关闭",
    ),
    "disk.bad": ("{folder}: {error}", "{folder}：{error}"),
    # record
    "record.none": (
        "no record yet at {path}: the gate makes it at its first start",
        "{path} 尚无记录：闸机首次启动时创建",
    ),
    "record.ok": (
        "{path}: integrity ok, schema {version}",
        "{path}：完整性正常，结构版本 {version}",
    ),
    "record.bad": ("{path}: {problem}", "{path}：{problem}"),
    "record.fix": (
        "stop the gate, keep a copy of the file, then restore the last backup or move the file"
        " aside so the gate starts a new one (docs/record.md)",
        "停止闸机服务，保留该文件的副本，然后恢复最近的备份，或将其移开让闸机新建记录"
        "（docs/record.md）",
    ),
    "record.newer": (
        "{path}: schema {version}, newer than this software's {known}",
        "{path}：结构版本 {version}，比本软件的 {known} 新",
    ),
    "record.newer_fix": (
        "run the newer software, or restore the backup made before the upgrade (docs/record.md)",
        "运行较新的软件，或恢复升级前的备份（docs/record.md）",
    ),
}


@dataclass(frozen=True)
class Said:
    """A message not yet put into words: its key and parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def say(key: str, **params: Any) -> Said:
    return Said(key, params)


def words(said: Said, language: Language) -> str:
    english, chinese = MESSAGES[said.key]
    params = {name: _in_words(value, language) for name, value in said.params.items()}
    return (chinese if language == "zh" else english).format(**params)


def _in_words(value: Any, language: Language) -> Any:
    if isinstance(value, Said):
        return words(value, language)
    if isinstance(value, list):
        return ("；" if language == "zh" else "; ").join(_in_words(v, language) for v in value)
    return value


def default_language() -> Language:
    """Before the config is read (or when it cannot be): the installer's locale."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def padded(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))
