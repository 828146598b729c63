"""Fixtures for the notebook layer: an IPython shell with agentnb loaded, scripted models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from agentnb.models import set_default

SCRIPT = {
    "writer": ["DRAFT one", "DRAFT two"],
    "checker": [{"tool": "word_count", "args": {"text": "DRAFT one"}}, "Checked: 2 words.", "Fine."],
    "editor": ["REVISE please", "APPROVED"],
}


@pytest.fixture
def script(tmp_path: Path) -> str:
    """A ``scripted:<file>`` spec for a writer, a checker (with a tool call) and an editor."""
    path = tmp_path / "script.json"
    path.write_text(json.dumps(SCRIPT), encoding="utf-8")
    return f"scripted:{path}"


@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    """The shared InteractiveShell with ``%load_ext agentnb`` done; cleaned up afterwards."""
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "agentnb")
    saved = dict(shell.user_ns)
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "agentnb")
        shell.user_ns.clear()
        shell.user_ns.update(saved)
        set_default(None)
