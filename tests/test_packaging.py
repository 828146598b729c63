"""The wheel holds the whole package and the whole course (lessons, demos and their data).

pyproject.toml lists the packages instead of finding them, because the course folders at the
repository's root ship inside the package (``agentnb.lessons``, ``agentnb.notebooks``), which
discovery cannot do. These checks read that list and fail, naming the fix, when a new
subpackage or a new kind of course file would be left out of the wheel.
"""

from __future__ import annotations

import json
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from agentnb.apps.lab import course_files
from tests.nbtools import ROOT

SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def package_folder(package: str) -> Path:
    """Where setuptools takes a listed package from (its own package-dir entry, or its parent's)."""
    mapping = SETUPTOOLS.get("package-dir", {})
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in mapping:
            return ROOT / mapping[head] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def shipped_folders() -> dict[Path, str]:
    return {package_folder(package).resolve(): package for package in SETUPTOOLS["packages"]}


def test_every_subpackage_of_agentnb_is_listed_for_the_wheel() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "agentnb").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    missing = sorted(found - set(SETUPTOOLS["packages"]))
    assert not missing, (
        f"add {missing} to [tool.setuptools] packages in pyproject.toml, or the wheel lacks them"
    )


def test_every_listed_package_exists() -> None:
    gone = [package for package in SETUPTOOLS["packages"] if not package_folder(package).is_dir()]
    assert not gone, f"[tool.setuptools] packages lists {gone}, which have no folder; remove them"


def test_every_course_file_is_in_a_listed_package_and_matches_its_package_data() -> None:
    folders = shipped_folders()
    data = SETUPTOOLS.get("package-data", {})
    left_out = []
    for relative in course_files(ROOT):
        package = folders.get((ROOT / relative).parent.resolve())
        if package is None or not any(fnmatch(relative.name, glob) for glob in data.get(package, ())):
            left_out.append(f"{relative.as_posix()} (package {package or 'not listed'})")
    assert not left_out, (
        "these course files would be left out of the wheel; list their folder under [tool.setuptools] "
        f"packages and their kind of file under package-data in pyproject.toml: {left_out}"
    )


def test_every_data_file_of_the_package_matches_its_package_data() -> None:
    """A file the code reads beside itself (a story archive, a script) must ship in the wheel too."""
    data = SETUPTOOLS.get("package-data", {})
    left_out = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "agentnb").rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in (".py", ".pyc")
        and not any(
            fnmatch(path.name, glob) for glob in data.get(".".join(path.parent.relative_to(ROOT).parts), ())
        )
    ]
    assert not left_out, f"list these under [tool.setuptools.package-data] in pyproject.toml: {left_out}"


def test_the_course_folders_ship_as_agentnb_lessons_and_agentnb_notebooks() -> None:
    folders = shipped_folders()
    assert folders[(ROOT / "lessons").resolve()] == "agentnb.lessons"
    assert folders[(ROOT / "notebooks").resolve()] == "agentnb.notebooks"


def test_the_jupyterlab_extension_is_installed_where_jupyter_finds_it() -> None:
    """Every file of share/jupyter/labextensions/agentnb goes to the same place in the environment."""
    data_files = SETUPTOOLS.get("data-files", {})
    shipped = {source: target for target, sources in data_files.items() for source in sources}
    extension = ROOT / "share" / "jupyter" / "labextensions" / "agentnb"
    files = sorted(p.relative_to(ROOT).as_posix() for p in extension.rglob("*") if p.is_file())
    assert files and set(files) <= set(shipped), f"list {sorted(set(files) - set(shipped))} under data-files"
    for source, target in shipped.items():
        assert (ROOT / source).is_file(), f"data-files lists {source}, which does not exist"
        assert Path(source).parent.as_posix() == target, f"{source} would be installed in {target}"
    manifest = json.loads((extension / "package.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "agentnb" and manifest["jupyterlab"]["extension"] is True
    assert (extension / manifest["jupyterlab"]["_build"]["load"]).is_file()


def test_the_package_says_the_version_pyproject_gives() -> None:
    import agentnb

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert agentnb.__version__ == project["version"]
