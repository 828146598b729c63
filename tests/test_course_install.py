"""What the README says the course needs is enough: in a fresh virtualenv, every lesson and demo runs.

The README's course section names one extra. This test creates a new virtualenv, installs this
checkout with only that extra (pip may use its cache; it needs the package registry otherwise),
copies the course out of the installed package as ``agentnb lab`` does, and runs every lesson and
classroom demo top to bottom in one kernel of that virtualenv per notebook. A package the course
imports but the extra lacks fails here with the notebook, the cell and the error. One
virtualenv serves every notebook: creating it is most of the time (about 1-2 minutes with a warm
pip cache; the notebooks add about 1-2 minutes on 2 cores).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.nbtools import CELL_TIMEOUT, ROOT, offline_env

pytestmark = pytest.mark.install

INSTALL = re.compile(r'pip install "\.\[(\w+)\]"')
KERNEL = "agentnb-course-venv"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
INSTALL_TIMEOUT = 1200  # seconds; a cold pip cache downloads the whole notebook stack


def course_extra() -> str:
    """The extra the README's course section tells students to install."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The course\n", 1)[1].split("\n## ", 1)[0]
    found = INSTALL.findall(section)
    assert found, 'the README\'s course section gives no `pip install ".[extra]"` command'
    return found[0]


def clean_env(**extra: str) -> dict[str, str]:
    """The offline environment without this checkout on the path: the venv's own agentnb runs."""
    env = offline_env()
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def run(command: list[str | Path], cwd: Path, timeout: float) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def kernelspec(venv: Path, home: Path) -> Path:
    """A Jupyter data folder holding one kernel: the fresh virtualenv's Python."""
    folder = home / "kernels" / KERNEL
    folder.mkdir(parents=True)
    spec = {
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "agentnb course (fresh venv)",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return home


def execute(path: Path) -> list[str]:
    """Run one notebook in the fresh venv's kernel; the failures (cell, error), if any."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute(env=clean_env())
    except CellExecutionError as exc:
        return [f"{path.parent.name}/{path.name}: {ANSI.sub('', str(exc)).strip().splitlines()[-1]}"]
    problems = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(
                    f"{path.parent.name}/{path.name} cell {index} wrote to stderr: {output.text[:300]}"
                )
    return problems


def test_the_readmes_course_extra_alone_runs_every_lesson_and_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = course_extra()
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    started = time.monotonic()
    run([sys.executable, "-m", "venv", venv], work, 120)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", f"{ROOT}[{extra}]"], work, INSTALL_TIMEOUT)
    installed = time.monotonic()
    copied = run(
        [python, "-c", "from agentnb.apps.lab import prepare; print(prepare('course')[0])"], work, 60
    ).strip()
    course = Path(copied)
    assert course.is_relative_to(work), "the course must come out of the installed package"
    monkeypatch.setenv("JUPYTER_PATH", str(kernelspec(venv, tmp_path / "jupyter")))
    notebooks = sorted((course / "lessons").glob("*.ipynb")) + sorted((course / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(
        list((ROOT / "lessons").glob("*.ipynb")) + list((ROOT / "notebooks").glob("*.ipynb"))
    )
    failures = [problem for path in notebooks for problem in execute(path)]
    print(
        f"\nfresh venv with agentnb[{extra}]: {installed - started:.0f} s to install, "
        f"{time.monotonic() - installed:.0f} s to run {len(notebooks)} notebooks"
    )
    assert not failures, f"with only agentnb[{extra}] installed:\n" + "\n".join(failures)
