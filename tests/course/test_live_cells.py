"""The course's go-live paths run: every ``LIVE = False`` cell, switched on, on a deterministic stand-in.

A LIVE cell is off in the saved notebooks, so nbval never runs it: lesson 7's once failed with
"Cell magic %%agentteam not found" for every student who switched it on. Two checks:

- every agentnb magic a notebook uses (in a cell, or through ``run_cell_magic``) comes after a
  cell that loads the extension;
- each notebook with a LIVE switch runs top to bottom with ``LIVE = True``, in a copy of the
  course, on ``AGENTNB_MODEL=auto`` (schema-valid replies from a seed): no cell may fail. A
  cell that puts a person in the chat (``--human``) cannot run where nobody answers; there the
  one error allowed is agentnb's own refusal saying so (the magic was found and read).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from agentnb.apps.lab import copy_course
from tests.nbtools import CELL_TIMEOUT, ROOT, code_outputs, notebook_paths, offline_env

NOTEBOOKS = notebook_paths()
SWITCH = re.compile(r"^LIVE = False\b", re.M)
LIVE_NOTEBOOKS = [
    p for p in NOTEBOOKS if any(SWITCH.search(c.source) for c in nbformat.read(p, as_version=4).cells)
]
STAND_IN = "auto"  # AutoModel(0): deterministic, schema-valid tool calls and replies
MAGICS = ("agentteam", "agentnb", "agentcheckpoints", "agenttrace")
USES = re.compile(
    r"^%%?(?P<magic>" + "|".join(MAGICS) + r")\b"
    r"|run_(?:cell|line)_magic\((?:\s|#[^\n]*)*[\"'](?P<called>" + "|".join(MAGICS) + r")[\"']",
    re.M,
)
LOADS = re.compile(r"^%load_ext agentnb\b|run_line_magic\(\s*[\"']load_ext[\"'],\s*[\"']agentnb[\"']", re.M)
NOBODY_TO_ANSWER = "a person must answer in the chat, but this cell runs without one"


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def magics_before_loading(path: Path) -> list[str]:
    """Uses of agentnb's magics that come before the extension is loaded."""
    loaded, early = False, []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        load = LOADS.search(cell.source)
        for use in USES.finditer(cell.source):
            if not (loaded or (load is not None and load.start() < use.start())):
                early.append(f"cell {index}: {use.group('magic') or use.group('called')}")
        loaded = loaded or load is not None
    return early


def test_every_live_switch_is_found() -> None:
    names = {p.name for p in LIVE_NOTEBOOKS}
    assert {"07_humans_in_the_loop.ipynb", "01_first_team.ipynb", "coder_reviewer.ipynb"} <= names
    lessons = {p.name for p in (ROOT / "lessons").glob("*.ipynb")}
    assert lessons <= names, f"lessons without a LIVE = False cell: {sorted(lessons - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_every_magic_a_notebook_uses_is_loaded_before_it(path: Path) -> None:
    early = magics_before_loading(path)
    assert not early, f"{path.name} uses agentnb magics before `%load_ext agentnb`: {early}"


def test_the_magic_check_sees_a_magic_called_from_python(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "if LIVE:\n    get_ipython().run_cell_magic(  # as lesson 7 wrote it\n"
                '        "agentteam", "", "a: b\\n---\\nc")'
            ),
            nbformat.v4.new_code_cell("%load_ext agentnb\n%agentnb"),
        ]
    )
    nbformat.write(nb, tmp_path / "early.ipynb")
    assert magics_before_loading(tmp_path / "early.ipynb") == ["cell 0: agentteam"]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course: LIVE paths write files (recordings, memory) next to their notebook."""
    root = tmp_path_factory.mktemp("course")
    copy_course(ROOT, root)
    return root


@pytest.mark.parametrize("path", LIVE_NOTEBOOKS, ids=ids(LIVE_NOTEBOOKS))
def test_the_live_path_runs_on_a_stand_in_model(path: Path, course: Path) -> None:
    copy = course / path.relative_to(ROOT)
    nb = nbformat.read(copy, as_version=4)
    switched = [cell for cell in nb.cells if cell.cell_type == "code" and SWITCH.search(cell.source)]
    assert switched, f"{path.name}: no LIVE = False cell"
    for cell in switched:
        cell.source = SWITCH.sub("LIVE = True", cell.source)
    env = {**offline_env(), "AGENTNB_MODEL": STAND_IN}
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
        resources={"metadata": {"path": str(copy.parent)}},
    )  # fmt: skip
    client.execute(env=env)
    failures = [
        f"cell {index}: {output.ename}: {output.evalue}"
        for index, output in code_outputs(nb)
        if output.output_type == "error"
        and not ("--human" in nb.cells[index].source and NOBODY_TO_ANSWER in output.evalue)
    ]
    assert not failures, f"{path.name} with LIVE = True on {STAND_IN}: {failures}"
    skipped = [cell.source.splitlines()[0] for cell in switched if "Skipped" in str(cell.outputs)]
    assert not skipped, f"{path.name}: the LIVE cell still says it skipped"
