#!/usr/bin/env python3
"""Provision a Raspberry Pi (Raspberry Pi OS Lite, Bookworm, 64-bit) as a gate, from the clone
this script sits in. Idempotent: run it again after an update, or after a failure half-way; a
step that finds its work done changes nothing, and a config an installer has edited is never
overwritten.

    sudo python3 firmware/provision.py              # provision this Pi
    python3 firmware/provision.py --dry-run         # say what it would do, change nothing
    sudo python3 firmware/provision.py --root DIR   # provision an image mounted at DIR

It installs the gate's system packages (never Mosquitto, Chromium, PostgreSQL or test tools),
the ``gate`` user in the groups gpio, i2c and video, a virtual environment holding the gate's
runtime alone (``.[gate,pi]``), ``/etc/gate-terminal/gate.toml`` from the example, the state and
roster folders (empty: the park's roster is imported, never the example's workers), the unit and
its drop-ins (the journal's cap), and the lines of ``firmware/config.txt`` in the boot config.
The service is enabled but NOT started: it starts once ``gate-terminal doctor`` passes on the
edited config. Standard library only: it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent  # the clone
APP_DIR = Path("/opt/gate-terminal")  # where the unit expects the clone and its .venv
USER = "gate"
GROUPS = ("gpio", "i2c", "video")
CONFIG_DIR = Path("/etc/gate-terminal")
STATE_DIR = Path("/var/lib/gate-terminal")
UNIT = "gate-terminal.service"
# the record's daily backup into a share off the SD card: installed, enabled by hand once the
# share is mounted (docs/record.md)
BACKUP_UNITS = ("gate-record-backup.service", "gate-record-backup.timer")
BACKUP_TIMER = BACKUP_UNITS[1]
BOOT_CONFIG = Path("/boot/firmware/config.txt")
BLOCK_BEGIN = "# >>> gate-terminal: firmware/config.txt (provision.py keeps this block)"
BLOCK_END = "# <<< gate-terminal"
# the gate's system packages: the venv, the zbar decoder, i2cdetect, and git for updates
APT_PACKAGES = ("python3-venv", "libzbar0", "i2c-tools", "git")
# a CSI camera: Picamera2 from Raspberry Pi OS's archive (not pip), seen through the system's
# site-packages; the venv's own numpy and OpenCV come first on its path
APT_CSI = ("python3-picamera2",)
# systemd drop-ins shipped under systemd/, installed to /etc/systemd/<folder>/
DROP_IN_FOLDERS = ("journald.conf.d", "system.conf.d")

MESSAGES: dict[str, dict[str, str]] = {
    "changed": {"en": "done", "zh": "已完成"},
    "would": {"en": "would do", "zh": "将执行"},
    "ok": {"en": "already so", "zh": "无需更改"},
    "skip": {"en": "skipped", "zh": "已跳过"},
    "old_python": {
        "en": "gate-terminal needs Python 3.11 or newer (Raspberry Pi OS Bookworm has it)",
        "zh": "gate-terminal 需要 Python 3.11 或更高版本（Raspberry Pi OS Bookworm 自带）",
    },
    "need_root": {
        "en": "run as root (sudo), or with --dry-run to see what it would do",
        "zh": "请以 root 身份运行（sudo），或加 --dry-run 查看将执行的操作",
    },
    "no_source": {
        "en": "{path} is missing: run this script from a clone of gate-terminal",
        "zh": "缺少 {path}：请在 gate-terminal 的克隆目录中运行本脚本",
    },
    "apt_other_root": {
        "en": "system packages are not installed into --root {root}: install {packages} there",
        "zh": "不会向 --root {root} 安装系统软件包：请在该系统中安装 {packages}",
    },
    "venv_other_root": {
        "en": "the virtual environment is made on the Pi itself: run provision.py there",
        "zh": "虚拟环境须在树莓派本机创建：请在树莓派上运行 provision.py",
    },
    "no_boot_config": {
        "en": "{path} not found (not a Raspberry Pi?): append firmware/config.txt by hand",
        "zh": "未找到 {path}（不是树莓派？）：请手动追加 firmware/config.txt 的内容",
    },
    "not_started": {
        "en": "The service is enabled (it starts at boot) but NOT started now: start it once"
        " doctor passes on the edited config.",
        "zh": "服务已设为开机启动，但现在未启动：请在 doctor 对编辑后的配置全部通过后再启动。",
    },
    "next_edit": {
        "en": "1. Edit {config}: every CHANGE-ME (park, gate id, broker, issuer key, zone),"
        " the shift groups; the broker login in {credentials} (mode 0600).",
        "zh": "1. 编辑 {config}：所有 CHANGE-ME（园区、闸机编号、代理服务器、签发方公钥、区域）"
        "及班次；代理服务器的登录信息写入 {credentials}（权限 0600）。",
    },
    "next_roster": {
        "en": "2. Import the park's roster (none is installed): sudo {venv}/bin/"
        "gate-terminal roster import FILE --config {config}",
        "zh": "2. 导入园区名册（未安装任何名册）：sudo {venv}/bin/"
        "gate-terminal roster import FILE --config {config}",
    },
    "next_doctor": {
        "en": "3. Check the gate until every row passes: sudo -u {user} {venv}/bin/gate-terminal"
        " doctor --config {config}",
        "zh": "3. 检查闸机，直到每一项都通过：sudo -u {user} {venv}/bin/gate-terminal"
        " doctor --config {config}",
    },
    "next_start": {
        "en": "4. Then start it: sudo systemctl start {unit}; journalctl -u {unit} -p warning",
        "zh": "4. 然后启动：sudo systemctl start {unit}；journalctl -u {unit} -p warning",
    },
    "next_backup": {
        "en": "5. Back up the record off the SD card: mount the share at {share} (docs/record.md),"
        " then: sudo systemctl enable --now {timer}",
        "zh": "5. 将记录备份到 SD 卡之外：把共享目录挂载到 {share}（见 docs/record.md），"
        "然后执行：sudo systemctl enable --now {timer}",
    },
    "reboot": {
        "en": "The boot config changed: reboot for I2C and the pins' power-on levels.",
        "zh": "启动配置已更改：请重启，使 I2C 和引脚的上电电平生效。",
    },
    "restart_running": {
        "en": "{unit} is running: restart it for the new software (sudo systemctl restart {unit})",
        "zh": "{unit} 正在运行：请重启以使用新软件（sudo systemctl restart {unit}）",
    },
}


class Actions:
    """What provisioning does to a machine (or to a root folder standing in for one), each
    action only when it is not so already, and said: packages, users, folders, files."""

    def __init__(
        self,
        root: Path,
        app_dir: Path,
        dry_run: bool,
        language: str,
        camera: str,
        skip_apt: bool,
        skip_venv: bool,
    ) -> None:
        self.root = root
        self.app_dir = app_dir
        self.dry_run = dry_run
        self.language = language
        self.camera = camera
        self.skip_apt = skip_apt
        self.skip_venv = skip_venv
        self.other_root = root.resolve() != Path("/")
        self.changes = 0
        self.boot_changed = False

    # --- saying and doing ----------------------------------------------------------------------
    def text(self, key: str, **values: object) -> str:
        return say(self.language, key, **values)

    def report(self, outcome: str, what: str) -> None:
        print(f"[{self.text(outcome)}] {what}", flush=True)

    def under_root(self, path: Path) -> Path:
        return self.root / path.relative_to("/")

    def run(self, what: str, command: Sequence[str]) -> None:
        """A change made by a command: said, and run unless dry."""
        self.changes += 1
        if self.dry_run:
            self.report("would", f"{what}: {' '.join(command)}")
            return
        subprocess.run(list(command), check=True)
        self.report("changed", what)

    def change(self, what: str) -> bool:
        """A change made here: said; True when it is to be made (not dry)."""
        self.changes += 1
        self.report("would" if self.dry_run else "changed", what)
        return not self.dry_run

    # --- the system's users, read from the root's own files -------------------------------------
    def _entries(self, name: str) -> dict[str, list[str]]:
        path = self.under_root(Path("/etc") / name)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        return {f[0]: f for f in (line.split(":") for line in lines) if len(f) >= 4}

    def uid(self, user: str) -> int | None:
        entry = self._entries("passwd").get(user)
        return int(entry[2]) if entry else None

    def gid(self, group: str) -> int | None:
        entry = self._entries("group").get(group)
        return int(entry[2]) if entry else None

    def members(self, group: str) -> set[str]:
        entry = self._entries("group").get(group)
        return set(filter(None, entry[3].split(","))) if entry else set()

    def _prefix(self) -> list[str]:
        return ["--prefix", str(self.root)] if self.other_root else []

    # --- the steps -----------------------------------------------------------------------------
    def apt(self) -> None:
        packages = list(APT_PACKAGES) + (list(APT_CSI) if self.camera == "csi" else [])
        if self.skip_apt:
            self.report("skip", "apt-get install " + " ".join(packages))
            return
        if self.other_root:
            self.report(
                "skip", self.text("apt_other_root", root=self.root, packages=" ".join(packages))
            )
            return
        missing = [p for p in packages if not _installed(p)]
        if not missing:
            self.report("ok", "system packages: " + " ".join(packages))
            return
        self.run("apt-get update", ["apt-get", "update", "-qq"])
        self.run(
            "system packages: " + " ".join(missing),
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        )

    def user(self) -> None:
        for group in GROUPS:
            if self.gid(group) is None:
                self.run(f"group {group}", ["groupadd", *self._prefix(), "--system", group])
        if self.uid(USER) is None:
            self.run(
                f"user {USER} in {','.join(GROUPS)}",
                [
                    "useradd",
                    *self._prefix(),
                    "--system",
                    "--user-group",
                    "--no-create-home",
                    "--home-dir",
                    str(STATE_DIR),
                    "--shell",
                    "/usr/sbin/nologin",
                    "--groups",
                    ",".join(GROUPS),
                    USER,
                ],
            )
            return
        missing = [g for g in GROUPS if USER not in self.members(g)]
        if missing:
            self.run(
                f"user {USER} into {','.join(missing)}",
                ["usermod", *self._prefix(), "--append", "--groups", ",".join(missing), USER],
            )
        else:
            self.report("ok", f"user {USER} in {','.join(GROUPS)}")

    def folder(self, path: Path, mode: int, owner: str, group: str) -> None:
        target = self.under_root(path)
        if not target.is_dir():
            if self.change(f"{path}/ ({mode:o} {owner}:{group})"):
                target.mkdir(parents=True, mode=mode)
                self._own(target, mode, owner, group)
            return
        if self._differs(target, mode, owner, group):
            if self.change(f"{path}/ to {mode:o} {owner}:{group}"):
                self._own(target, mode, owner, group)
            return
        self.report("ok", f"{path}/")

    def file(
        self,
        source: Path,
        path: Path,
        mode: int,
        owner: str,
        group: str,
        *,
        keep: bool,
        text: str | None = None,
    ) -> bool:
        """Install ``source`` (or ``text``) at ``path``. ``keep``: an existing file is the
        installer's, never overwritten. Returns whether the file was (or would be) changed."""
        target = self.under_root(path)
        wanted = text if text is not None else source.read_text(encoding="utf-8")
        exists = target.is_file()
        if exists and (keep or target.read_text(encoding="utf-8") == wanted):
            if self._differs(target, mode, owner, group) and self.change(
                f"{path} to {mode:o} {owner}:{group}"
            ):
                self._own(target, mode, owner, group)
            elif not self._differs(target, mode, owner, group):
                self.report("ok", f"{path}")
            return False
        what = f"{path} from {source.relative_to(SOURCE)} ({mode:o} {owner}:{group})"
        if self.change(("replace " if exists else "") + what):
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(target.name + ".new")
            temporary.write_text(wanted, encoding="utf-8")
            self._own(temporary, mode, owner, group)
            temporary.replace(target)
        return True

    def _differs(self, target: Path, mode: int, owner: str, group: str) -> bool:
        status = target.stat()
        if status.st_mode & 0o7777 != mode:
            return True
        uid, gid = self.uid(owner), self.gid(group)
        if os.geteuid() != 0:
            return False  # ownership is made by root alone: not a difference to act on
        return (uid is not None and status.st_uid != uid) or (
            gid is not None and status.st_gid != gid
        )

    def _own(self, target: Path, mode: int, owner: str, group: str) -> None:
        os.chmod(target, mode)
        uid, gid = self.uid(owner), self.gid(group)
        if os.geteuid() == 0 and uid is not None and gid is not None:
            os.chown(target, uid, gid)


class Provisioner(Actions):
    """A gate's provisioning, step by step, over those actions."""

    def folders_and_config(self) -> None:
        self.folder(CONFIG_DIR, 0o750, "root", USER)
        self.file(
            SOURCE / "config" / "gate.example.toml",
            CONFIG_DIR / "gate.toml",
            0o640,
            "root",
            USER,
            keep=True,
        )
        self.file(
            SOURCE / "config" / "mqtt-credentials.example.toml",
            CONFIG_DIR / "mqtt-credentials.toml",
            0o600,
            USER,
            USER,
            keep=True,
        )
        # the service writes here alone (ProtectSystem=strict); the roster folder is left empty:
        # the park's roster is imported (`gate-terminal roster import`), never the example's
        self.folder(STATE_DIR, 0o750, USER, USER)
        # setgid: a roster imported by root (`sudo gate-terminal roster import`) is the gate's
        # group's, which the service reads it as
        self.folder(STATE_DIR / "roster", 0o2750, USER, USER)

    def venv(self) -> None:
        venv = self.app_dir / ".venv"
        target = self.under_root(venv)
        extras = "gate,pi"
        if self.skip_venv:
            self.report("skip", f"{venv} with .[{extras}]")
            return
        if self.other_root:
            self.report("skip", self.text("venv_other_root"))
            return
        python = target / "bin" / "python"
        stamp = target / ".gate-terminal-installed"
        wanted = _source_stamp(extras, self.camera)
        if python.exists() and stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
            self.report("ok", f"{venv}: gate-terminal[{extras}] {wanted.splitlines()[0]}")
            return
        if not python.exists():
            command = [sys.executable, "-m", "venv"]
            if self.camera == "csi":
                command.append("--system-site-packages")
            self.run(f"virtual environment {venv}", [*command, str(target)])
        # the gate's runtime only: no servers, browsers or test tools (pyproject.toml's extras);
        # installed, not editable: the running gate is the release that was installed
        self.run(
            f"gate-terminal[{extras}] into {venv}",
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--upgrade",
                f"{SOURCE}[{extras}]",
            ],
        )
        if not self.dry_run:
            stamp.write_text(wanted, encoding="utf-8")

    def units(self) -> tuple[bool, bool]:
        """Install the units and the drop-ins: (whether any changed, whether journald's did)."""
        changed = False
        for unit in (UNIT, *BACKUP_UNITS):
            text = (SOURCE / "systemd" / unit).read_text(encoding="utf-8")
            if self.app_dir != APP_DIR:
                text = text.replace(str(APP_DIR), str(self.app_dir))
            changed |= self.file(
                SOURCE / "systemd" / unit,
                Path("/etc/systemd/system") / unit,
                0o644,
                "root",
                "root",
                keep=False,
                text=text,
            )
        journald = False
        for folder in DROP_IN_FOLDERS:
            for drop_in in sorted((SOURCE / "systemd" / folder).glob("*.conf")):
                this = self.file(
                    drop_in,
                    Path("/etc/systemd") / folder / drop_in.name,
                    0o644,
                    "root",
                    "root",
                    keep=False,
                )
                changed |= this
                journald |= this and folder == "journald.conf.d"
        return changed, journald

    def boot_config(self) -> None:
        path = self.under_root(BOOT_CONFIG)
        if not path.is_file():
            self.report("skip", self.text("no_boot_config", path=BOOT_CONFIG))
            return
        lines = (SOURCE / "firmware" / "config.txt").read_text(encoding="utf-8").rstrip("\n")
        block = f"{BLOCK_BEGIN}\n{lines}\n{BLOCK_END}\n"
        current = path.read_text(encoding="utf-8")
        if BLOCK_BEGIN in current and BLOCK_END in current:
            head, _, rest = current.partition(BLOCK_BEGIN)
            _, _, tail = rest.partition(BLOCK_END + "\n")
            wanted = head + block + tail
        else:
            wanted = current + ("" if current.endswith("\n") or not current else "\n") + block
        if wanted == current:
            self.report("ok", f"{BOOT_CONFIG}: firmware/config.txt")
            return
        if self.change(f"{BOOT_CONFIG}: firmware/config.txt"):
            path.write_text(wanted, encoding="utf-8")
        self.boot_changed = True

    def enable(self, units_changed: bool, journald_changed: bool) -> None:
        wants = self.under_root(Path("/etc/systemd/system/multi-user.target.wants") / UNIT)
        if not self.other_root and units_changed:
            self.run("systemctl daemon-reload", ["systemctl", "daemon-reload"])
        if not self.other_root and journald_changed:
            # the journal's cap takes effect now, not at the next boot
            self.run("journald's cap", ["systemctl", "restart", "systemd-journald"])
        if wants.is_symlink() or wants.exists():
            self.report("ok", f"{UNIT} enabled")
        else:
            root = [f"--root={self.root}"] if self.other_root else []
            # enabled, never started here: it starts once doctor passes on the edited config
            self.run(f"{UNIT} enabled (not started)", ["systemctl", *root, "enable", UNIT])

    def provision(self) -> None:
        self.apt()
        self.user()
        self.folders_and_config()
        self.venv()
        units_changed, journald_changed = self.units()
        self.boot_config()
        self.enable(units_changed, journald_changed)
        self.next_steps()

    def next_steps(self) -> None:
        venv = self.app_dir / ".venv"
        config = CONFIG_DIR / "gate.toml"
        print()
        if not self.other_root and _active(UNIT) and self.changes:
            print(self.text("restart_running", unit=UNIT))
        else:
            print(self.text("not_started"))
        print(
            self.text("next_edit", config=config, credentials=CONFIG_DIR / "mqtt-credentials.toml")
        )
        print(self.text("next_roster", user=USER, venv=venv, config=config))
        print(self.text("next_doctor", user=USER, venv=venv, config=config))
        print(self.text("next_start", unit=UNIT))
        print(self.text("next_backup", share="/mnt/gate-backup", timer=BACKUP_TIMER))
        if self.boot_changed:
            print(self.text("reboot"))


def say(language: str, key: str, **values: object) -> str:
    return MESSAGES[key][language].format(**values)


def _source_stamp(extras: str, camera: str) -> str:
    """What the venv was made from: the version, the clone's commit and its pyproject.toml."""
    project = (SOURCE / "pyproject.toml").read_text(encoding="utf-8")
    version = next(
        (
            line.split("=", 1)[1].strip().strip('"')
            for line in project.splitlines()
            if line.startswith("version")
        ),
        "unknown",
    )
    commit = "no git"
    if shutil.which("git") and (SOURCE / ".git").exists():
        done = subprocess.run(
            ["git", "-C", str(SOURCE), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
        )
        commit = done.stdout.strip() or commit
    digest = hashlib.sha256(project.encode()).hexdigest()[:16]
    return f"{version} ({commit})\nextras {extras}, camera {camera}, pyproject {digest}\n"


def _installed(package: str) -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return done.returncode == 0 and done.stdout.strip().endswith("installed")


def _active(unit: str) -> bool:
    if shutil.which("systemctl") is None:
        return False
    done = subprocess.run(["systemctl", "is-active", "--quiet", unit], capture_output=True)
    return done.returncode == 0


def default_language() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provision.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change; change nothing"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("/"),
        metavar="DIR",
        help="the system to provision (default /)",
    )
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=APP_DIR,
        metavar="DIR",
        help=f"where the unit runs the gate from, DIR/.venv (default {APP_DIR})",
    )
    parser.add_argument(
        "--camera",
        choices=("usb", "csi"),
        default="usb",
        help="csi: Picamera2 from Raspberry Pi OS's archive, seen by the venv (default usb)",
    )
    parser.add_argument("--language", choices=("en", "zh"), default=None, help="default: from LANG")
    parser.add_argument("--skip-apt", action="store_true", help="leave the system packages alone")
    parser.add_argument(
        "--skip-venv", action="store_true", help="leave the virtual environment alone"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    language = args.language or default_language()
    for needed in ("config/gate.example.toml", f"systemd/{UNIT}", "firmware/config.txt"):
        if not (SOURCE / needed).is_file():
            print(say(language, "no_source", path=SOURCE / needed), file=sys.stderr)
            return 2
    if sys.version_info < (3, 11):  # noqa: UP036 (the system's python3 runs this)
        print(say(language, "old_python"), file=sys.stderr)
        return 2
    if not args.dry_run and os.geteuid() != 0:
        print(say(language, "need_root"), file=sys.stderr)
        return 2
    provisioner = Provisioner(
        args.root,
        args.app_dir,
        args.dry_run,
        language,
        args.camera,
        args.skip_apt,
        args.skip_venv,
    )
    try:
        provisioner.provision()
    except subprocess.CalledProcessError as exc:
        print(
            f"provision.py: {' '.join(map(str, exc.cmd))}: exit {exc.returncode}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
