"""The README's setup on a Raspberry Pi, as an installer follows it: the keys it says to change
are the example config's placeholders, and its sensor commands run as written."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from terminal.cli.main import build_parser
from terminal.config import _placeholders, read_toml

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _setup_step_4() -> str:
    start = README.index("4. Edit `/etc/gate-terminal/gate.toml`")
    return README[start : README.index("\n\n", start)]


def test_step_4_names_exactly_the_example_configs_placeholders() -> None:
    placeholders = _placeholders(read_toml(REPO / "config" / "gate.example.toml"))
    # healthcode.issuers[0].key_id: the key of each issuer, as the README names it
    wanted = {re.sub(r"\[\d+\]", "", key) for key in placeholders}
    step = _setup_step_4()
    listed = step[step.index("every `CHANGE-ME`") : step.index("the gate refuses to start")]
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", listed))
    assert named == wanted


def _readme_commands(prefix: str) -> list[str]:
    """Every command of the README beginning with ``prefix``, as one line."""
    text = " ".join(README.split())  # commands wrap across lines
    return re.findall(rf"`((?:sudo )?(?:\.venv/bin/)?{re.escape(prefix)}[^`]*)`", text)


@pytest.mark.parametrize("what", ["sensor set-emissivity", "sensor calibrate"])
def test_the_readmes_sensor_commands_have_every_argument_they_need(what: str) -> None:
    commands = _readme_commands(f"gate-terminal {what}")
    assert commands
    for command in commands:
        words = shlex.split(command)
        words = words[words.index(next(w for w in words if w.endswith("gate-terminal"))) + 1 :]
        # the optional parts the README shows in brackets are left out, as a user may
        words = [w for w in words if not w.startswith("[") and not w.endswith("]")]
        complaint = io.StringIO()
        with contextlib.redirect_stderr(complaint), contextlib.suppress(SystemExit):
            build_parser().parse_args(words)
        # the config file is not on this machine; what matters is that nothing is missing
        assert "required" not in complaint.getvalue(), f"{command}: {complaint.getvalue()}"
