"""ARCHITECTURE.md stays true: every path and every dotted name it puts in backticks exists, it
names every package in its layers, and the README links to it."""

from __future__ import annotations

import importlib
import re
from typing import Any

from tests.nbtools import ROOT
from tests.test_layers import LAYERS

DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
CODE = re.findall(r"`([^`\n]+)`", DOC)
PATHS = sorted({c for c in CODE if "/" in c and " " not in c})
NAMES = sorted({c for c in CODE if re.fullmatch(r"agentnb(\.\w+)+", c)})


def lookup(dotted: str) -> Any:
    """The object ``dotted`` names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)  # AttributeError names what is missing
        return found
    raise ModuleNotFoundError(dotted)


def test_every_path_it_names_exists() -> None:
    assert len(PATHS) > 40  # the parser found the map, not nothing
    missing = [p for p in PATHS if not (ROOT / p).exists()]
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"


def test_every_module_function_and_class_it_names_exists() -> None:
    assert len(NAMES) > 40
    missing = []
    for name in NAMES:
        try:
            lookup(name)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, "ARCHITECTURE.md names what the code does not have:\n" + "\n".join(missing)


def test_it_names_every_package_of_every_layer() -> None:
    def named(package: str) -> bool:
        if (ROOT / "agentnb" / package).is_dir():
            return f"`agentnb/{package}/`" in DOC
        return re.search(rf"\b{package}\b", DOC) is not None  # in a layer, not built yet

    unnamed = [p for p in LAYERS if p != "scripts" and not named(p)]  # scripts: data, no code
    assert not unnamed, f"ARCHITECTURE.md's layers leave out: {unnamed}"


def test_the_readme_links_to_it() -> None:
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_wrong_name_is_caught() -> None:
    try:
        lookup("agentnb.core.team.Team.no_such_method")
    except AttributeError:
        return
    raise AssertionError("lookup found a method that does not exist")
