"""Classroom mode: the teacher records a live notebook once; every student replays the same chats, offline."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from nbclient import NotebookClient

from agentnb import models
from agentnb.models import FunctionModel
from tests.nbtools import CELL_TIMEOUT, offline_env

CELL = "writer: You write.\neditor: You edit.\n---\nWrite a headline."
OPTIONS = "--until APPROVED --max-turns 4 --no-stream"


def live_stand_in(request: Any) -> Any:
    """Plays a live model: a different reply every call (a seed nobody fixed)."""
    said = f"{request.agent} {random.random():.6f}"
    return f"{said} APPROVED" if request.agent == "editor" else said


@pytest.fixture
def live() -> Any:
    models.set_default(FunctionModel(live_stand_in, name="live-stand-in"))
    yield
    models.set_default(None)


def no_model(request: Any) -> Any:
    raise AssertionError(f"a replayed cell called a model for {request.agent}")


def chat(result: Any) -> list[str]:
    return [m.content for m in result.chat()]


def test_a_recorded_cell_replays_the_same_chat_without_calling_a_model(
    ip: InteractiveShell, live: Any, tmp_path: Path
) -> None:
    ip.run_line_magic("agentnb", f"classroom record {tmp_path}")
    recorded = ip.run_cell_magic("agentteam", OPTIONS, CELL)
    assert len(list(tmp_path.glob("cell-*.json"))) == 1
    models.set_default(FunctionModel(no_model, name="no-model"))  # a student's machine: no model to call
    ip.run_line_magic("agentnb", f"classroom replay {tmp_path}")
    try:
        first, second = (ip.run_cell_magic("agentteam", OPTIONS, CELL) for _ in range(2))
    finally:
        ip.run_line_magic("agentnb", "classroom off")
    assert chat(first) == chat(second) == chat(recorded)


def test_each_cell_has_a_recording_of_its_own(ip: InteractiveShell, live: Any, tmp_path: Path) -> None:
    ip.run_line_magic("agentnb", f"classroom record {tmp_path}")
    try:
        ip.run_cell_magic("agentteam", OPTIONS, CELL)
        ip.run_cell_magic("agentteam", OPTIONS, CELL.replace("a headline", "a caption"))
        ip.run_cell_magic("agentteam", OPTIONS.replace("--max-turns 4", "--max-turns 2"), CELL)
        ip.run_cell_magic("agentteam", OPTIONS + " --out kept", CELL)  # the same run: the same recording
    finally:
        ip.run_line_magic("agentnb", "classroom off")
    assert len(list(tmp_path.glob("cell-*.json"))) == 3


def test_a_cell_changed_after_the_recording_says_so_instead_of_calling_a_model(
    ip: InteractiveShell, live: Any, tmp_path: Path
) -> None:
    ip.run_line_magic("agentnb", f"classroom record {tmp_path}")
    ip.run_cell_magic("agentteam", OPTIONS, CELL)
    ip.run_line_magic("agentnb", f"classroom replay {tmp_path}")
    try:
        with pytest.raises(UsageError, match="there is no recording of this cell"):
            ip.run_cell_magic("agentteam", OPTIONS, CELL + " Make it short.")
    finally:
        ip.run_line_magic("agentnb", "classroom off")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("classroom", "usage: %agentnb classroom record FOLDER"),
        ("classroom replay", "usage: %agentnb classroom record FOLDER"),
        ("classroom off now", "usage: %agentnb classroom record FOLDER"),
        ("classroom rewind class", "usage: %agentnb classroom record FOLDER"),
    ],
)
def test_a_malformed_classroom_line_says_how_to_write_it(
    ip: InteractiveShell, line: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("agentnb", line)


def test_the_setting_is_checked_when_it_is_set(ip: InteractiveShell) -> None:
    from traitlets import TraitError

    from agentnb.notebook.settings import AgentTeam

    settings = next(c for c in ip.configurables if isinstance(c, AgentTeam))
    with pytest.raises(TraitError, match="expected record:FOLDER or replay:FOLDER"):
        settings.classroom = "play:class"
    ip.run_line_magic(
        "config", "AgentTeam.classroom = 'play:class'"
    )  # %config logs it, and keeps the old value
    assert settings.classroom == ""
    # The refused value stays in the shell's config: loading agentnb again drops it, with a warning.
    ip.run_line_magic("reload_ext", "agentnb")
    assert "classroom" not in ip.config.get("AgentTeam", {})
    assert next(c for c in ip.configurables if isinstance(c, AgentTeam) and c is not settings).classroom == ""


# ----- end to end: a teacher's kernel, then two students' kernels --------------------------------

TEACHER_MODEL = """
import random
from agentnb import models
from agentnb.apps.demo import search_archive
from agentnb.models import FunctionModel, call

def live(request):
    \"\"\"Stands in for a live model: it searches, then says something new every time.\"\"\"
    if request.agent == "fact_checker" and request.messages[-1]["role"] != "tool":
        return call("search_archive", query=random.choice(["rail yard", "council vote", "park grant"]))
    text = f"{request.agent}: {random.random():.6f}"
    return text + " APPROVED" if request.agent == "editor" else text

models.set_default(FunctionModel(live, name="openai:gpt-4o-mini"))
"""
NEWSROOM = """%%agentteam --until APPROVED --max-turns 6 --out story
writer: You write short stories.
fact_checker: You check them with search_archive. tools=search_archive
editor: You edit. Say APPROVED when it is right.
---
Write 40 words on the park vote."""
HAIKU = """%%agentteam --max-turns 2
poet: You write haiku.
critic: You criticise haiku.
---
A haiku about rain."""


def notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(s) for s in sources],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def run(nb: nbformat.NotebookNode, folder: Path) -> list[list[dict[str, Any]]]:
    """Run ``nb`` offline in a fresh kernel; each cell's outputs without widget views."""
    NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute(env=offline_env())
    shown = []
    for cell in nb.cells:
        outputs = []
        for output in cell.outputs:
            data = {k: v for k, v in output.get("data", {}).items() if k in ("text/plain", "text/html")}
            outputs.append({"type": output.output_type, "text": output.get("text", ""), **data})
        shown.append(outputs)
    return shown


def test_every_student_replays_the_teachers_live_chats_offline(tmp_path: Path) -> None:
    teacher = notebook(TEACHER_MODEL, "%load_ext agentnb\n%agentnb classroom record class", NEWSROOM, HAIKU)
    taught = run(teacher, tmp_path)
    assert len(list((tmp_path / "class").glob("cell-*.json"))) == 2
    student = [
        "from agentnb.apps.demo import search_archive\n%load_ext agentnb\n%agentnb classroom replay class",
        NEWSROOM,
        HAIKU,
        "print([m.content for m in story.chat()])",
    ]
    first, second = run(notebook(*student), tmp_path), run(notebook(*student), tmp_path)
    assert first == second  # every student sees the same, with no key and no model
    assert first[1] == taught[2] and first[2] == taught[3]  # ... and the same as the teacher's live run
    assert "search_archive" in first[1][-1]["text/plain"] and "APPROVED" in first[3][0]["text"]
    assert "replays its recording" in first[0][0]["text"]
