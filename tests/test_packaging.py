"""What an install of the gate terminal holds: every package of the tree, and the files beside the
code (the centre's templates and static files, the scenarios), as pyproject.toml declares them."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: processes, brokers and whole shifts

REPO = Path(__file__).resolve().parent.parent
TOP_LEVEL = ("terminal", "drivers", "simulator", "firmware")


def _setuptools_config() -> dict:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]


def declared_packages() -> set[str]:
    """The packages a build takes, as setuptools reads pyproject.toml: the list it names, or
    the namespace packages its ``packages.find`` finds."""
    from setuptools.discovery import PEP420PackageFinder

    config = _setuptools_config()
    packages = config.get("packages", {})
    if isinstance(packages, list):
        return set(packages)
    find = packages.get("find", {})
    found: set[str] = set()
    for where in find.get("where", ["."]):
        found.update(
            PEP420PackageFinder.find(
                str(REPO / where),
                include=find.get("include", ["*"]),
                exclude=find.get("exclude", []),
            )
        )
    return found


def folders_with_files() -> dict[str, list[Path]]:
    """Every folder of the tree's packages that holds files, by its dotted name, with its files
    other than Python modules."""
    folders: dict[str, list[Path]] = {}
    for top in TOP_LEVEL:
        for folder in [REPO / top, *sorted((REPO / top).rglob("*"))]:
            if not folder.is_dir() or "__pycache__" in folder.parts:
                continue
            files = [f for f in folder.iterdir() if f.is_file()]
            if files:
                name = ".".join(folder.relative_to(REPO).parts)
                folders[name] = [f for f in files if f.suffix != ".py"]
    return folders


def shipped_as_data(file: Path, package_data: dict[str, list[str]]) -> bool:
    """Whether a package-data pattern of the file's package, or of a package above it, names the
    file (its patterns are relative to that package's folder)."""
    for package, patterns in package_data.items():
        folder = REPO.joinpath(*package.split("."))
        if folder not in file.parents:
            continue
        relative = file.relative_to(folder).as_posix()
        if any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns):
            return True
    return False


def test_every_folder_of_the_tree_is_a_package_of_the_install() -> None:
    # a folder of data files that is not a package of the build is what setuptools warns
    # about at every install ("absent from the packages configuration")
    missing = set(folders_with_files()) - declared_packages()
    assert not missing, f"pyproject.toml leaves out: {sorted(missing)}"


def test_the_centre_pages_and_the_scenarios_ship_with_the_code() -> None:
    package_data = _setuptools_config().get("package-data", {})
    data = [f for files in folders_with_files().values() for f in files]
    # the centre cannot serve its pages without them: the install must have every one
    assert any(f.name == "base.html" for f in data) and any(f.suffix == ".css" for f in data)
    left_out = [str(f.relative_to(REPO)) for f in data if not shipped_as_data(f, package_data)]
    assert not left_out, f"not installed: {left_out}"


# --- the installs, split by where they run: a gate, a centre, a developer's clone ----------------
# the modules each distribution of the extras brings (a new dependency must be named here)
MODULES = {
    "cryptography": ["cryptography"],
    "paho-mqtt": ["paho"],
    "pydantic": ["pydantic"],
    "segno": ["segno"],
    "smbus2": ["smbus2"],
    "starlette": ["starlette"],
    "uvicorn": ["uvicorn"],
    "sqlite-utils": ["sqlite_utils"],
    "opencv-python-headless": ["cv2"],
    "numpy": ["numpy"],
    "zxing-cpp": ["zxingcpp"],
    "pyzbar": ["pyzbar"],
    "rpi.gpio": ["RPi"],
    "rpi-lgpio": ["RPi", "lgpio"],
    "lgpio": ["lgpio"],
    "simplejpeg": ["simplejpeg"],
    "jinja2": ["jinja2"],
    "argon2-cffi": ["argon2"],
    "python-multipart": ["multipart", "python_multipart"],
    "psycopg": ["psycopg"],
    "setuptools": [],  # the build's, and the packaging test's
    "pytest": ["pytest"],
    "pytest-xdist": ["xdist"],
    "hypothesis": ["hypothesis"],
    "ruff": ["ruff"],
    "mypy": ["mypy"],
    "jsonschema": ["jsonschema"],
    "playwright": ["playwright"],
    "pypdf": ["pypdf"],
}


def _project() -> dict:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]


def _name(requirement: str) -> str:
    import re

    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def distributions(*extras: str) -> set[str]:
    """The distributions an install of the base and ``extras`` brings (extras of its own name
    followed), by name."""
    project = _project()
    optional = project["optional-dependencies"]
    names = {_name(r) for r in project["dependencies"]}
    todo = list(extras)
    while todo:
        for requirement in optional[todo.pop()]:
            name = _name(requirement)
            if name == project["name"]:
                inner = requirement.split("[", 1)[1].split("]", 1)[0]
                todo.extend(e.strip() for e in inner.split(","))
            else:
                names.add(name)
    return names


def test_every_dependency_names_its_modules() -> None:
    unnamed = distributions(*_project()["optional-dependencies"]) - set(MODULES)
    assert not unnamed, f"add to MODULES: {sorted(unnamed)}"


def test_a_gate_installs_its_runtime_alone() -> None:
    gate = distributions("gate", "pi")
    for absent in ("playwright", "pytest", "hypothesis", "mypy", "ruff", "psycopg", "jinja2"):
        assert absent not in gate, absent
    assert {"opencv-python-headless", "zxing-cpp", "sqlite-utils", "smbus2"} <= gate
    centre = distributions("centre", "postgresql")
    assert "opencv-python-headless" not in centre and "numpy" not in centre
    # a developer's clone has everything: the gate, the centre on PostgreSQL, the tests
    assert distributions("gate") | centre | {"pytest", "playwright"} <= distributions("dev")


BLOCKER = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (not in this install)")
        return None
sys.meta_path.insert(0, Refuse())
"""


def run_without(blocked: set[str], code: str) -> subprocess.CompletedProcess[str]:
    """Python code run as in an install that lacks the modules ``blocked``."""
    program = f"BLOCKED = {sorted(blocked)!r}\n{BLOCKER}\n{code}"
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def modules_of(*names: str) -> set[str]:
    return {module for name in names for module in MODULES[name]}


def test_the_gate_runs_without_the_centre_or_the_test_tools() -> None:
    blocked = modules_of(*(distributions("dev") - distributions("gate", "pi")))
    assert {"jinja2", "playwright", "pytest", "psycopg"} <= blocked
    done = run_without(
        blocked,
        "import terminal.app.service, terminal.app.build, terminal.display.server\n"
        "import terminal.cli.hardware, terminal.app.devices\n"
        "from terminal.cli.main import build_parser\n"
        "build_parser().parse_args(['run', '--config', 'config/gate.example.toml'])\n"
        "print('gate ok')",
    )
    assert done.returncode == 0 and "gate ok" in done.stdout, done.stderr


def test_the_centre_runs_without_the_camera_stack_or_the_test_tools() -> None:
    blocked = modules_of(*(distributions("dev") - distributions("centre", "postgresql")))
    assert {"cv2", "numpy", "zxingcpp", "pytest"} <= blocked
    done = run_without(
        blocked,
        "import terminal.centre.running, terminal.centre.collector, terminal.centre.web.app\n"
        "from terminal.cli.main import build_parser\n"
        "build_parser().parse_args(['centre', '--config', 'config/centre.example.toml'])\n"
        "print('centre ok')",
    )
    assert done.returncode == 0 and "centre ok" in done.stdout, done.stderr


# --- one version, from pyproject.toml: --version, the status, the release tag --------------------
def test_the_version_has_one_source() -> None:
    from importlib import metadata

    from terminal.common.version import release_tag, software_version
    from terminal.link import publisher

    version = _project()["version"]
    try:
        installed = metadata.version("gate-terminal")
    except metadata.PackageNotFoundError:
        installed = version  # a clone run without installing: read from pyproject.toml
    assert software_version() == installed == version
    # the status's software_version is the same function's answer
    assert publisher.software_version is software_version
    assert release_tag() == f"v{version}"
    import re

    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "a release's version is MAJOR.MINOR.PATCH"
    operations = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "git tag v" in operations and "rollback" in operations.lower()


def test_gate_terminal_version_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "terminal.cli.main", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"gate-terminal {_project()['version']}"
