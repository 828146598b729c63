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
import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from tests.nbtools import ROOT

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
    # ipykernel keeps the execute request's allow_stdin only there: whether a person can answer.
    ("agentnb/notebook/live.py", "_allow_stdin"),
    # a model object of the user's own, without secrets(), may keep its key there: it is scrubbed
    ("agentnb/core/secrets.py", "_api_key"),
}
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "hasattr", "setattr", "delattr"})


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports ``target`` (module names) at ``where``."""

    source: str
    target: str
    where: str  # path:line

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.where})"


def is_private(name: str) -> bool:
    if name.startswith("__"):
        return not name.endswith("__")  # a mangled name is private; a dunder is a protocol
    return name.startswith("_") and name not in NAMEDTUPLE_API and not SUNDER.match(name)


def is_own(value: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: the object whose class the code is written in."""
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"


class Package:
    """The modules of the package in ``folder``, read with `ast` (nothing is imported)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def modules(self) -> dict[str, Path]:
        """Every module by dotted name (a package by its own name, not ``__init__``)."""
        found = {}
        for path in sorted(self.folder.rglob("*.py")):
            name = ".".join(path.relative_to(self.folder.parent).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
        return found

    @cached_property
    def trees(self) -> dict[str, ast.Module]:
        return {m: ast.parse(p.read_text(encoding="utf-8"), str(p)) for m, p in self.modules.items()}

    def path(self, module: str) -> str:
        return self.modules[module].relative_to(self.folder.parent).as_posix()

    def resolve(self, name: str) -> str | None:
        """The package module ``name`` (``a.b.c``, maybe ``module.attribute``) loads, if any."""
        while name:
            if name in self.modules:
                return name
            name = name.rpartition(".")[0]
        return None

    def imports_of(self, module: str) -> Iterator[Import]:
        """Every import in ``module``, wherever it stands (function bodies and TYPE_CHECKING too)."""
        package = self.modules[module].name == "__init__.py"
        for node in ast.walk(self.trees[module]):
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
                target = self.resolve(name)
                if target is not None and target != module:
                    yield Import(module, target, f"{self.path(module)}:{node.lineno}")
                    if isinstance(node, ast.ImportFrom):
                        break

    @cached_property
    def imports(self) -> list[Import]:
        return [edge for module in self.modules for edge in self.imports_of(module)]

    # ----- the checks: each returns what is wrong, one line per finding -------------------------

    def unplaced(self) -> list[str]:
        """Subpackages (or top-level modules) that no layer holds."""
        return sorted({m.split(".")[1] for m in self.modules if "." in m} - set(LAYERS))

    def cycles(self) -> list[str]:
        return cycle_report({e: (e.source, e.target) for e in self.imports})

    def sibling_cycles(self) -> list[str]:
        # Importing a.b.c runs a/b/__init__.py first: when that imports a.b's modules, a cycle
        # between a.b and a sibling breaks whichever of them is imported first.
        return cycle_report({e: pair for e in self.imports if (pair := sibling(e)) is not None})

    def upward(self) -> list[str]:
        return [str(e) for e in self.imports if layer(e.target) > layer(e.source)]

    def oversized(self) -> list[str]:
        sizes = {
            self.path(m): len(p.read_text(encoding="utf-8").splitlines()) for m, p in self.modules.items()
        }
        return [
            f"{path}: {n} lines" for path, n in sorted(sizes.items(), key=lambda i: -i[1]) if n > MAX_LINES
        ]

    def defined_in(self, module: str) -> frozenset[str]:
        """Private names ``module`` itself defines: functions, classes, variables, arguments, slots
        and attributes it sets on ``self`` or ``cls``."""
        names = set()
        for node in ast.walk(self.trees[module]):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and is_own(node.value):
                names.add(node.attr)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                names.update(c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant))
        return frozenset(n for n in names if isinstance(n, str) and is_private(n))

    def reach_ins(self) -> list[str]:
        """``x._name`` (or ``getattr(x, "_name")``) where x is not self/cls and this module does
        not define ``_name``, and ``from module import _name``."""
        found = []
        for module, tree in self.trees.items():
            where, own = self.path(module), self.defined_in(module)
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and is_private(node.attr) and not is_own(node.value):
                    if node.attr not in own and (where, node.attr) not in FOREIGN_INTERNALS:
                        found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ATTRIBUTE_FUNCTIONS
                    and len(node.args) >= 2
                    and not is_own(node.args[0])
                    and isinstance(node.args[1], ast.Constant)
                    and isinstance(node.args[1].value, str)
                    and is_private(node.args[1].value)
                    and (where, node.args[1].value) not in FOREIGN_INTERNALS
                ):
                    found.append(
                        f"{where}:{node.lineno}: {ast.unparse(node)}"
                    )  # a name in a string is no less private
                elif isinstance(node, ast.ImportFrom):
                    found += [
                        f"{where}:{node.lineno}: from {node.module} import {alias.name}"
                        for alias in node.names
                        if is_private(alias.name)
                    ]
        return found


def layer(module: str) -> int:
    parts = module.split(".")
    return TOP if len(parts) == 1 else LAYERS[parts[1]]


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


def components(edges: dict[str, set[str]]) -> list[list[str]]:
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
    for component in components(edges):
        members = set(component)
        tying = [str(i) for i, (a, b) in ends.items() if a in members and b in members]
        report.append(f"cycle of {len(component)}: {', '.join(component)}\n    " + "\n    ".join(tying))
    return report


AGENTNB = Package(ROOT / "agentnb")


def test_every_package_has_a_layer() -> None:
    unplaced = AGENTNB.unplaced()
    assert not unplaced, f"put these packages in a layer (LAYERS here, and ARCHITECTURE.md): {unplaced}"


def test_no_import_cycles() -> None:
    report = AGENTNB.cycles()
    assert not report, "imports form cycles (break each at one of its edges):\n" + "\n".join(report)


def test_no_cycles_between_subpackages() -> None:
    report = AGENTNB.sibling_cycles()
    assert not report, "sibling packages import each other (move what both need below them):\n" + "\n".join(
        report
    )


def test_imports_only_point_down() -> None:
    upward = AGENTNB.upward()
    assert not upward, "a lower layer imports a higher one (see the module docstring):\n" + "\n".join(upward)


def test_no_module_is_over_400_lines() -> None:
    over = AGENTNB.oversized()
    assert not over, f"modules over {MAX_LINES} lines (split each by concept):\n    " + "\n    ".join(over)


def test_no_reach_ins_to_other_modules_private_attributes() -> None:
    found = AGENTNB.reach_ins()
    assert not found, (
        "code uses another module's private names (give the owner a public function or attribute):\n"
        + "\n".join(found)
    )


# ----- what the source cannot show: imports by name, and the order modules are first imported in --------

LAZY_PACKAGES = [
    "agentnb",
    "agentnb.models",
    "agentnb.memory",
    "agentnb.evals",
    "agentnb.trace",
    "agentnb.views",
]
# Modules that were in cycles or upward imports once: each must import first, on its own.
FIRST_IMPORTS = [
    "agentnb.views.plan",
    "agentnb.views.chat.html",
    "agentnb.views.evals",
    "agentnb.memory.tables",
    "agentnb.trace.jsonl",
    "agentnb.trace.otel",
    "agentnb.models.cassette",
    "agentnb.models.openai_errors",
    "agentnb.evals.comparison",
    "agentnb.evals.evaluators",
    "agentnb.notebook.status",
]
FIRST_IMPORT = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "agentnb" or m.startswith("agentnb.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
print("\\n".join(failed))
"""


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_name_a_package_exports_loads(package: str) -> None:
    # packages load their names on first use, by module name: imports the graph above cannot see
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package} exports names it cannot load: {missing}"


def test_each_module_imports_first_on_its_own() -> None:
    found = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORT, *FIRST_IMPORTS], capture_output=True, text=True, check=True
    )
    assert not found.stdout.strip(), f"imported first, these fail:\n{found.stdout}"


# ----- the checks check: a small package with one of each fault -------------------------------------

FAULTY = {
    "__init__.py": "from agentnb.notebook import shell\n",  # the root may import anything
    "core/__init__.py": "",
    "core/events.py": "def emit():\n    from agentnb.views.chat import draw\n",  # upward, in a function
    "core/state.py": "_cache = {}\n\n\nclass State:\n    def __init__(self):\n        self._value = 1\n",
    "models/__init__.py": "",
    "models/spec.py": "from agentnb.models.cassette import replay\n",
    "models/cassette.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from agentnb.models.spec import resolve\n"
    ),
    "memory/__init__.py": "",
    "memory/store.py": (
        "from agentnb.core.state import _cache, State\n\n\ndef peek(state: State):\n"
        "    return state._value, state._asdict(), state._repr_html_(), getattr(state, '_value')\n"
    ),
    "views/__init__.py": "from agentnb.views import chat\n",
    "views/chat/__init__.py": "from agentnb.views.chat.html import draw\n",
    "views/chat/html.py": "from agentnb.views.plan import board\n\ndraw = board\n",
    "views/plan.py": "from agentnb.views.chat.colors import red\n\nboard = red\n",
    "views/chat/colors.py": "red = 1\n",
    "notebook/__init__.py": "shell = 1\n",
    "sandbox/__init__.py": "",
}


@pytest.fixture
def faulty(tmp_path: Path) -> Package:
    for name, text in FAULTY.items():
        path = tmp_path / "agentnb" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "agentnb" / "memory" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    return Package(tmp_path / "agentnb")


def test_the_checks_find_each_fault_and_name_where_it_is(faulty: Package) -> None:
    assert faulty.unplaced() == ["sandbox"]
    assert faulty.upward() == ["agentnb.core.events -> agentnb.views.chat (agentnb/core/events.py:2)"]
    (cycle,) = faulty.cycles()  # counted under TYPE_CHECKING
    assert cycle.startswith("cycle of 2: agentnb.models.cassette, agentnb.models.spec")
    assert "agentnb.models.cassette -> agentnb.models.spec (agentnb/models/cassette.py:4)" in cycle
    # no module cycle among the views, yet importing views.plan first would fail:
    loops = [loop for loop in faulty.sibling_cycles() if "views" in loop]
    assert len(loops) == 1 and loops[0].startswith("cycle of 2: agentnb.views.chat, agentnb.views.plan")
    assert faulty.oversized() == [f"agentnb/memory/long.py: {MAX_LINES + 1} lines"]
    assert faulty.reach_ins() == [
        "agentnb/memory/store.py:1: from agentnb.core.state import _cache",
        "agentnb/memory/store.py:5: state._value",
        "agentnb/memory/store.py:5: getattr(state, '_value')",
    ]


def test_imports_in_functions_and_under_type_checking_count() -> None:
    targets = {e.target for e in AGENTNB.imports if e.source == "agentnb"}
    assert "agentnb.core.plugins" in targets  # module level
    assert "agentnb.notebook" in targets  # inside load_ipython_extension
    assert "agentnb.core.team" in targets  # under TYPE_CHECKING and inside a function
