"""Every code block of the README runs as written: pasted, in order, into one notebook.

```python blocks (and notebook cells such as ``%%agentteam``) are run top to bottom in a fresh
kernel, offline, in a temporary folder; ```bash blocks are the set-up commands (CI itself
runs them) and ```text blocks are illustrations. A block that fails names its line in the
README.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.nbtools import offline_env

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
RUN = {"python"}
NOT_RUN = {"bash", "text", "console", ""}


def readme_blocks() -> list[tuple[int, str, str]]:
    """(line number, language, code) of every fenced block in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m[1], m[2]) for m in FENCE.finditer(text)]


def test_every_block_says_whether_it_runs():
    unknown = [(line, lang) for line, lang, _ in readme_blocks() if lang not in RUN | NOT_RUN]
    assert not unknown, f"README blocks with a language the test does not know: {unknown}"
    assert [lang for _, lang, _ in readme_blocks()].count("python") >= 3


def test_the_readme_python_blocks_run_as_written(tmp_path: Path):
    blocks = [(line, code) for line, lang, code in readme_blocks() if lang in RUN]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code.rstrip("\n")) for _, code in blocks]
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    env = offline_env()
    env["AGENTNB_CACHE_DIR"] = str(tmp_path / "cache")
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        failed = next(
            (line for (line, _), cell in zip(blocks, nb.cells, strict=True) if _has_error(cell)), None
        )
        pytest.fail(f"the README block at line {failed} fails:\n{str(exc)[-3000:]}", pytrace=False)


def _has_error(cell: nbformat.NotebookNode) -> bool:
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))
