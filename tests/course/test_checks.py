"""Every exercise tells a right answer why it is right, and its verdicts read well in every format."""

from __future__ import annotations

import importlib
import pkgutil

import agentnb.course
from agentnb.course.checks import EXERCISES, Verdict


def all_exercises() -> dict[str, object]:
    for module in pkgutil.iter_modules(agentnb.course.__path__):
        if module.name.startswith("lesson"):
            importlib.import_module(f"agentnb.course.{module.name}")
    return dict(EXERCISES)


def test_every_exercise_says_in_one_line_why_a_right_answer_is_right() -> None:
    exercises = all_exercises()
    assert len(exercises) >= 28
    for ex in exercises.values():
        line = ex.right  # type: ignore[attr-defined]
        assert line.strip() and "\n" not in line and len(line) <= 260, ex
        assert line[0].islower() and line.endswith("."), f"{ex.id}: reads after 'correct: ' as one sentence"  # type: ignore[attr-defined]


def test_a_right_verdict_shows_the_why_line_in_text_markdown_and_html() -> None:
    verdict = Verdict("01.3", "only the drafts", True, "correct: it kept the poet's texts.")
    assert str(verdict) == "✓ Exercise 01.3 (only the drafts): correct: it kept the poet's texts."
    assert verdict._repr_markdown_().startswith("✓ **Exercise 01.3**")
    assert "correct: it kept the poet&#x27;s texts." in verdict._repr_html_()
    hint = Verdict("01.3", "only the drafts", False, "look at message.source.")
    assert hint._repr_markdown_().startswith("Hint: **Exercise 01.3**")  # symbols every font has
