"""The course notebooks are saved in a state students and nbval can rely on.

nbval (``pytest --nbval lessons notebooks``) compares each cell's fresh output with the saved
one; these tests check what it cannot: that there are saved outputs to compare at all, that
none is an error, that the notebooks run offline without leaning on the default model, and
that opening a saved notebook shows no broken widget.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.nbtools import (
    NO_DEFAULT_MODEL,
    ROOT,
    broken_widget_views,
    code_outputs,
    execute,
    notebook_paths,
    run_offline,
)

NOTEBOOKS = notebook_paths()
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]
REFRESH = "refresh it with `python -m tests.nbtools {}`"


def test_the_course_has_a_first_lesson_and_the_newsroom_demo() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in NOTEBOOKS}
    assert {"lessons/01_first_team.ipynb", "notebooks/newsroom.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_code_cell_was_run_in_order_and_saved(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: cells were not run once, top to bottom, in a fresh kernel "
        f"(execution counts {counts}); " + REFRESH.format(path.relative_to(ROOT))
    )
    with_output = sum(1 for c in code if c.outputs)
    assert with_output >= len(code) // 2, f"{path.name}: most code cells have no saved output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_saved_output_is_an_error(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    errors = [
        (index, output.get("ename", "stderr"))
        for index, output in code_outputs(nb)
        if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr")
    ]
    assert errors == [], f"{path.name}: error or stderr output in cells {errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_widget_view_is_saved_without_its_state(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert broken_widget_views(nb) == [], (
        f"{path.name}: widget views without saved state show 'model not found' when opened; "
        + REFRESH.format(path.relative_to(ROOT))
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_offline_with_an_explicit_model(path: Path) -> None:
    """With no API key and an unusable default model, every cell still runs: each run names its model."""
    nb, _ = run_offline(path)
    errors = [
        (index, f"{output.ename}: {output.evalue}")
        for index, output in code_outputs(nb)
        if output.output_type == "error"
    ]
    assert errors == [], (
        f"{path.name} fails when no default model is available (AGENTNB_MODEL={NO_DEFAULT_MODEL!r}); "
        f"name the model in every team (model='scripted:...' or a ScriptedModel): {errors}"
    )


CODE = re.compile(r"```.*?```|~~~.*?~~~|(`+).*?\1", re.S)  # fenced blocks and inline code spans


def unescaped_dollars(markdown: str) -> list[str]:
    """Lines with a dollar sign that JupyterLab would read as the start of LaTeX math."""
    prose = CODE.sub("", markdown)
    return [line.strip() for line in prose.splitlines() if re.search(r"(?<!\\)\$", line)]


def test_the_dollar_check_tells_money_from_code() -> None:
    assert unescaped_dollars("It costs $0.40 and $1.60.") == ["It costs $0.40 and $1.60."]
    assert unescaped_dollars("It costs \\$0.40, or `$0` in code.\n```\nprice = '$1'\n```") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_dollar_signs_in_markdown_are_escaped(path: Path) -> None:
    """JupyterLab renders $...$ as LaTeX: "costs $0.40 and $1.60" would read "costs 0.40and1.60"."""
    nb = nbformat.read(path, as_version=4)
    found = [
        (index, line) for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
        for line in unescaped_dollars(cell.source)
    ]  # fmt: skip
    assert not found, f"{path.name}: write \\$ for a dollar sign in markdown: {found}"


def test_a_notebook_that_relies_on_the_default_model_is_caught(tmp_path: Path) -> None:
    """The offline check above has teeth: a team without a model fails under it."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from agentnb import Agent, Team\n"
                "Team([Agent('solo', 'You answer.')], max_turns=1).run_sync('hi')"
            )
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = tmp_path / "relies_on_default.ipynb"
    nbformat.write(nb, path)
    ran = execute(path, allow_errors=True)
    errors = [output for _, output in code_outputs(ran) if output.output_type == "error"]
    assert errors, "a run without a model succeeded although no default model was usable"
    assert NO_DEFAULT_MODEL in errors[0].evalue
