"""Exercise checks: a registry of graders, and the verdict a notebook shows.

A grader is a plain function of the student's answer returning None (right) or a hint
(what to look at, never the solution). A grader that trips over an answer of the wrong
kind is itself a hint: the verdict says what kind of answer was expected. A right answer
is told why it is right (the exercise's ``right`` line), so a student who guessed learns
what made it work. Verdicts render the same every time (HTML, markdown, text), so lessons
keep deterministic saved outputs.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentnb.views.verdict import verdict_html, verdict_markdown, verdict_text

Grader = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``"02.1"``: lesson 02, exercise 1), a title, what to pass, a grader,
    and why a right answer is right (shown with the ✓)."""

    id: str
    title: str
    expects: str
    grade: Grader
    right: str


EXERCISES: dict[str, Exercise] = {}


def exercise(id: str, title: str, *, expects: str, right: str) -> Callable[[Grader], Grader]:
    """Register ``grade`` as the grader of exercise ``id``.

    ``expects`` says what to pass to check; ``right`` says, in one line, what a right answer
    got right (the verdict shows it after "correct").
    """

    def register(grade: Grader) -> Grader:
        EXERCISES[id] = Exercise(id, title, expects, grade, right)
        return grade

    return register


def returned_nothing(got: Any, what: str) -> str | None:
    """The hint for a student's function that returned None (no ``return``), else None.

    Said as it is: "0 items ([])" would send the student looking at the wrong thing.
    """
    if got is None:
        return f"your function returned nothing (None): end it with a return statement that gives {what}."
    return None


@dataclass(frozen=True)
class Verdict:
    """What `check` says: right, or a hint."""

    exercise: str
    title: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return verdict_text(self.exercise, self.title, self.ok, self.message)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        return verdict_markdown(self.exercise, self.title, self.ok, self.message)

    def _repr_html_(self) -> str:
        return verdict_html(self.exercise, self.title, self.ok, self.message)


def _load(exercise_id: str) -> Exercise:
    lesson = exercise_id.split(".", 1)[0]
    if exercise_id not in EXERCISES:
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"agentnb.course.lesson{lesson}")
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES)) or "none loaded"
        raise KeyError(f"there is no exercise {exercise_id!r} (exercises: {known})")
    return EXERCISES[exercise_id]


def check(exercise_id: str, answer: Any = ...) -> Verdict:
    """Grade ``answer`` for exercise ``exercise_id``: a ✓, or a hint saying what to look at."""
    ex = _load(exercise_id)
    if answer is ... or answer is None:
        return Verdict(ex.id, ex.title, False, f"no answer yet: pass {ex.expects} to check.")
    try:
        hint = ex.grade(answer)
    except Exception as exc:  # the answer is not the kind of thing the grader reads
        hint = f"this check needs {ex.expects}; what was passed did not work ({type(exc).__name__}: {exc})"
    if hint:
        return Verdict(ex.id, ex.title, False, hint)
    return Verdict(ex.id, ex.title, True, f"correct: {ex.right}")
