"""Execute, clean and check the course notebooks (lessons/ and notebooks/).

The saved outputs of these notebooks are what nbval compares against, so they are produced
the same way every time: run top to bottom in a fresh kernel with no live model reachable,
then cleaned of live-widget views (their state is not saved, so they would render as
"model not found"). Refresh them after changing a notebook or a rendering::

    /work/venv/bin/python -m tests.nbtools            # every notebook
    /work/venv/bin/python -m tests.nbtools lessons/01_first_team.ipynb
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

from agentnb.core.events import Event, event_from_json

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIRS = ("lessons", "notebooks")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# A model spec no resolver accepts: a cell that falls back to the default model instead of
# naming its own offline model fails with an error, instead of quietly going live (an API
# key, or the embedded local model when it is installed) and saving non-reproducible text.
NO_DEFAULT_MODEL = "unset:notebooks-must-name-their-model"
CELL_TIMEOUT = 120  # seconds; offline runs take well under one


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """Every notebook of the course and the demos, in a stable order."""
    return sorted(
        path
        for folder in NOTEBOOK_DIRS
        for path in (root / folder).rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts
    )


def offline_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment notebooks run in: no API key, and no usable default model."""
    env = dict(os.environ if base is None else base)
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    env["AGENTNB_MODEL"] = NO_DEFAULT_MODEL
    return env


def execute(path: Path, *, allow_errors: bool = False) -> NotebookNode:
    """Run a notebook top to bottom in a fresh kernel, offline, in its own folder."""
    return run_in(nbformat.read(path, as_version=4), path.parent, allow_errors=allow_errors)


def run_in(nb: NotebookNode, folder: Path, *, allow_errors: bool) -> NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel, offline, with ``folder`` as its working folder."""
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=allow_errors,
        store_widget_state=False,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=offline_env())
    return nb


# Appended to a notebook run by `run_offline`: every team run still in the kernel's memory
# (results, and teams' transcripts), as JSON events on the cell's stdout.
RUNS_CELL = """
import gc as _gc, json as _json
from agentnb.core.events import event_to_json as _to_json
from agentnb.core.result import TeamResult as _Result
from agentnb.core.team import Team as _Team
print(_json.dumps([
    [_to_json(e) for e in (o.messages if isinstance(o, _Result) else o.transcript)]
    for o in _gc.get_objects() if isinstance(o, (_Result, _Team))
]))
"""


@functools.cache
def run_offline(path: Path) -> tuple[NotebookNode, list[list[Event]]]:
    """A notebook run top to bottom offline (errors stay in its outputs), and every team run it made.

    Cached: the tests that read a fresh run of the same notebook share one execution.
    """
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(RUNS_CELL))
    run_in(nb, path.parent, allow_errors=True)
    collected = nb.cells.pop()
    printed = "".join(o.get("text", "") for o in collected.outputs if o.output_type == "stream")
    runs = {tuple(run) for run in json.loads(printed)} if printed.strip() else set()
    return nb, [[event_from_json(e) for e in run] for run in sorted(runs)]


def code_outputs(nb: NotebookNode) -> Iterator[tuple[int, NotebookNode]]:
    """(cell index, output) for every output of every code cell."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                yield index, output


def saved_widget_models(nb: NotebookNode) -> set[str]:
    """Model ids whose state the notebook saved (these views can render from the file)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    return set(state.get("state", {}))


def broken_widget_views(nb: NotebookNode) -> list[tuple[int, str]]:
    """(cell index, model id) of widget views that would show "model not found" when opened."""
    saved = saved_widget_models(nb)
    broken = []
    for index, output in code_outputs(nb):
        view = output.get("data", {}).get(WIDGET_VIEW)
        if view is not None and view.get("model_id") not in saved:
            broken.append((index, view.get("model_id", "")))
    return broken


def clean(nb: NotebookNode) -> NotebookNode:
    """Drop live-widget views and saved widget state, keeping each output's static fallback.

    A live chat's view is only meaningful while its kernel runs; what a reader of the saved
    file (and nbval) should see is the deterministic HTML/plain rendering next to it.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept: list[NotebookNode] = []
        for output in cell.outputs:
            data = output.get("data", {})
            data.pop(WIDGET_VIEW, None)
            previous = kept[-1] if kept else None
            if previous is not None and _same_stream(previous, output):
                previous.text += output.text  # how the kernel happened to flush is not part of the lesson
            elif output.get("output_type") not in ("display_data", "execute_result") or data:
                kept.append(output)
        cell.outputs = kept
    return nb


def _same_stream(first: NotebookNode, second: NotebookNode) -> bool:
    """Two outputs of one stream (stdout or stderr), as nbval sees them: one output."""
    return first.get("output_type") == second.get("output_type") == "stream" and first.name == second.name


def refresh(path: Path) -> None:
    """Re-run a notebook offline and save it with clean outputs; stop at the first error."""
    nb = clean(execute(path))
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or notebook_paths()
    for path in paths:
        print(f"refreshing {path.relative_to(ROOT)}", flush=True)
        refresh(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
