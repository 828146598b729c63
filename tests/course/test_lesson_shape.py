"""Every lesson keeps the second edition's shape: short, with a concept check, pictures where they help.

A lesson is at most about 1,500 words of prose and 20 code cells (what does not fit goes to
``lessons/going_further/`` or the solutions); it asks two or three concept-check questions; the
lessons that introduce teams open them with their diagram; every going-further notebook and
solution belongs to a lesson that links to it or is solved by it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from agentnb.course.quiz import questions_of
from tests.nbtools import ROOT

LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in LESSONS]
MAX_WORDS = 1500
MAX_CODE_CELLS = 20
DIAGRAMS = ("00", "01", "02", "07", "09", "10")  # lessons whose new teams open with team.diagram()


def prose_words(markdown: str) -> int:
    """Words a reader reads: fenced code and table rules left out."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    return len([w for w in re.split(r"[\s|]+", text) if re.search(r"[A-Za-z0-9]", w)])


def cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


def test_the_word_count_counts_words_not_markup() -> None:
    assert prose_words("## A title\n\n| a | b |\n|---|---|\n| one two | three |\n```\ncode here\n```") == 7


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_a_lesson_is_at_most_about_1500_words_and_20_code_cells(path: Path) -> None:
    words = sum(prose_words(c.source) for c in cells(path) if c.cell_type == "markdown")
    code = sum(c.cell_type == "code" for c in cells(path))
    assert words <= MAX_WORDS, f"{path.name}: {words} words; move the rest to going_further/ or the solutions"
    assert code <= MAX_CODE_CELLS, (
        f"{path.name}: {code} code cells; merge cells or move some to going_further/"
    )


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_a_lesson_asks_two_or_three_concept_check_questions(path: Path) -> None:
    lesson = path.name[:2]
    asked = [c for c in cells(path) if c.cell_type == "code" and re.search(rf'quiz\("{lesson}"\)', c.source)]
    assert asked, f"{path.name} has no quiz({lesson!r}) cell"
    assert 2 <= len(questions_of(lesson)) <= 3


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] in DIAGRAMS], ids=lambda p: p.stem)
def test_a_lesson_that_introduces_teams_draws_them(path: Path) -> None:
    drawn = [c for c in cells(path) if c.cell_type == "code" and ".diagram()" in c.source]
    assert drawn and all(
        any("agentnb-diagram" in o.get("data", {}).get("text/html", "") for o in c.outputs) for c in drawn
    ), f"{path.name}: every diagram cell shows its saved diagram"


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "lessons" / "going_further").glob("*.ipynb"))
    + sorted((ROOT / "lessons" / "solutions").glob("*.ipynb")),
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_every_going_further_and_solution_notebook_belongs_to_a_lesson(path: Path) -> None:
    lesson = ROOT / "lessons" / path.name
    assert lesson.exists(), f"{path.relative_to(ROOT)} has no lesson {path.name}"
    if path.parent.name == "going_further":
        links = "".join(c.source for c in cells(lesson) if c.cell_type == "markdown")
        assert f"going_further/{path.name}" in links, (
            f"{lesson.name} does not link to {path.relative_to(ROOT)}"
        )
