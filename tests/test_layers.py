"""The package's shape, checked from its source: layers point down, nothing imports in a circle,
modules stay small and no module reaches into another's private attributes.

Every import counts — at module level, inside functions and under ``TYPE_CHECKING`` — because
a lazy import hides a cycle from Python, not from the next person who changes the code. The
layers (ARCHITECTURE.md draws them), each importing only from its own layer and those below:

    core  <-  models, memory, execution, protocols, store  <-  trace, evals  <-  views
          <-  notebook, apps, course  <-  agentnb (the package's __init__: the composition root)

Packages of one layer may import each other, as long as no cycle forms.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.nbtools import ROOT

PACKAGE = ROOT / "agentnb"
LAYERS = {
    "core": 0,
    "scripts": 0,  # data (the scripted models' JSON scripts), no code
    "models": 1,
    "memory": 1,
    "execution": 1,
    "protocols": 1,
    "store": 1,
    "trace": 2,
    "evals": 2,
    "views": 3,
    "notebook": 4,
    "apps": 4,
    "course": 4,
}
TOP = max(LAYERS.values()) + 1  # agentnb/__init__.py, which may import anything
MAX_LINES = 400

# Private names that are public protocols: namedtuple's API and "sunder" hooks (_repr_html_).
NAMEDTUPLE_API = frozenset({"_asdict", "_replace", "_fields", "_make", "_field_defaults"})
SUNDER = re.compile(r"^_[^_].*[^_]_$")
# Other libraries' internals used on purpose, each because no public API does the job.
FOREIGN_INTERNALS = {
    # ipykernel offers no way to serve widget messages while a cell runs; the pump checks
    # these exist and turns itself off when they don't (agentnb/notebook/pump.py).
    ("agentnb/notebook/pump.py", "_recv_callback"),
    ("agentnb/notebook/pump.py", "_publish_status"),
}


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports ``target`` (both module names) at ``line``."""

    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({path_of(self.source)}:{self.line})"


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, not ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def path_of(module: str) -> str:
    return modules()[module].relative_to(ROOT).as_posix()


@cache
def tree(module: str) -> ast.Module:
    path = modules()[module]
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def resolve(name: str) -> str | None:
    """The package module ``name`` (``a.b.c``, maybe ``module.attribute``) loads, if any."""
    while name:
        if name in modules():
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> Iterator[Import]:
    """Every import in ``module``, wherever it stands (function bodies and TYPE_CHECKING too)."""
    package = modules()[module].name == "__init__.py"
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: None if package else -1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            # ``from a.b import c`` loads a.b.c when c is a module, else a.b
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            target = resolve(name)
            if target is not None and target != module:
                yield Import(module, target, node.lineno)
                if isinstance(node, ast.ImportFrom):
                    break


@cache
def graph() -> dict[str, list[Import]]:
    return {module: list(imports_of(module)) for module in modules()}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return TOP
    return LAYERS[parts[1]]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(edges.get(start, ()))))]
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def cycle_report(ends: dict[Import, tuple[str, str]]) -> list[str]:
    """Each cycle among the ends of ``ends`` (import -> (from, to)), with the imports that tie it."""
    edges: dict[str, set[str]] = {}
    for source, target in ends.values():
        edges.setdefault(source, set()).add(target)
    report = []
    for component in cycles(edges):
        members = set(component)
        tying = [str(i) for i, (a, b) in ends.items() if a in members and b in members]
        report.append(f"cycle of {len(component)}: {', '.join(component)}\n    " + "\n    ".join(tying))
    return report


def sibling(edge: Import) -> tuple[str, str] | None:
    """The children of one package that hold the edge's ends (``views.plan -> views.chat.colors``
    gives ``views.plan``, ``views.chat``); None when one end holds the other."""
    source, target = edge.source.split("."), edge.target.split(".")
    common = 0
    while common < min(len(source), len(target)) and source[common] == target[common]:
        common += 1
    if common in (len(source), len(target)):
        return None
    return ".".join(source[: common + 1]), ".".join(target[: common + 1])


def test_every_package_has_a_layer() -> None:
    unplaced = sorted({m.split(".")[1] for m in modules() if "." in m} - set(LAYERS))
    assert not unplaced, f"put these packages in a layer (LAYERS here, and ARCHITECTURE.md): {unplaced}"


def test_no_import_cycles() -> None:
    report = cycle_report({e: (e.source, e.target) for edges in graph().values() for e in edges})
    assert not report, "imports form cycles (break each at one of its edges):\n" + "\n".join(report)


def test_no_cycles_between_subpackages() -> None:
    # Importing a.b.c runs a/b/__init__.py first: when that imports a.b's modules, a cycle
    # between a.b and a sibling breaks whichever of them is imported first.
    ends = {e: pair for edges in graph().values() for e in edges if (pair := sibling(e)) is not None}
    report = cycle_report(ends)
    assert not report, "sibling packages import each other (move what both need below them):\n" + "\n".join(
        report
    )


def test_imports_only_point_down() -> None:
    upward = [str(e) for edges in graph().values() for e in edges if layer(e.target) > layer(e.source)]
    assert not upward, "a lower layer imports a higher one (see the module docstring):\n" + "\n".join(upward)


def test_no_module_is_over_400_lines() -> None:
    sizes = {path_of(m): len(p.read_text(encoding="utf-8").splitlines()) for m, p in modules().items()}
    over = sorted(((n, path) for path, n in sizes.items() if n > MAX_LINES), reverse=True)
    assert not over, f"modules over {MAX_LINES} lines (split each by concept):\n" + "\n".join(
        f"    {path}: {n} lines" for n, path in over
    )


# ----- reach-ins -----------------------------------------------------------------------------


def is_private(name: str) -> bool:
    if name.startswith("__"):
        return not name.endswith("__")  # a mangled name is private; a dunder is a protocol
    return name.startswith("_") and name not in NAMEDTUPLE_API and not SUNDER.match(name)


@cache
def defined_in(module: str) -> frozenset[str]:
    """Private names ``module`` itself defines: functions, classes, variables, arguments, slots
    and attributes it sets on ``self`` or ``cls``."""
    names = set()
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and is_own(node.value):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)  # __slots__ entries
    return frozenset(n for n in names if is_private(n))


def is_own(value: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: the object whose class the code is written in."""
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"


def reach_ins(module: str) -> Iterator[str]:
    where = path_of(module)
    own = defined_in(module)
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and not is_own(node.value):
            if node.attr not in own and (where, node.attr) not in FOREIGN_INTERNALS:
                yield f"{where}:{node.lineno}: {ast.unparse(node)}"
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if is_private(alias.name):
                    yield f"{where}:{node.lineno}: from {node.module} import {alias.name}"


def test_no_reach_ins_to_other_modules_private_attributes() -> None:
    found = [line for module in modules() for line in reach_ins(module)]
    assert not found, (
        "code uses another module's private names (give the owner a public function or attribute):\n"
        + "\n".join(found)
    )


# ----- the checks check --------------------------------------------------------------------------


def test_imports_are_found_in_functions_and_under_type_checking() -> None:
    targets = {e.target for e in graph()["agentnb"]}
    assert "agentnb.core.plugins" in targets  # module level
    assert "agentnb.notebook" in targets  # inside load_ipython_extension
    assert "agentnb.core.team" in targets  # under TYPE_CHECKING and inside a function
