"""What an install of the gate terminal holds: every package of the tree, and the files beside the
code (the centre's templates and static files, the scenarios), as pyproject.toml declares them."""

from __future__ import annotations

import fnmatch
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
