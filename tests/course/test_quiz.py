"""Concept checks: questions shown the same every time, answers graded offline with their reasons."""

from __future__ import annotations

from typing import Any

import pytest

from agentnb.course import QUESTIONS, question, quiz
from agentnb.course.quiz import ANSWERS, LETTERS, Quiz, questions_of, right, wrong

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def sample() -> str:
    question(
        "98.a",
        "What does `max_turns` bound?",
        wrong("The tokens of a run.", "That is TokenBudget."),
        right("How many turns a run takes.", "Every team has one: 20 by default."),
    )
    question(
        "98.b",
        "Which mode lets a model pick the next speaker?",
        right("selector", "It reads the chat and the descriptions."),
        wrong("round_robin", "That one goes in order."),
    )
    yield "98"
    for key in ("98.a", "98.b"):
        QUESTIONS.pop(key, None)
        ANSWERS.pop(key, None)


def letter(question_id: str, *, right: bool = True) -> str:
    """The letter of the question's right choice (or of its first wrong one), as shown."""
    choices = QUESTIONS[question_id].choices
    return next(LETTERS[i] for i, c in enumerate(choices) if c.right == right)


def test_a_lesson_s_questions_show_with_lettered_choices_and_how_to_answer(sample: str) -> None:
    shown = quiz(sample)
    assert isinstance(shown, Quiz) and [q.id for q in shown.questions] == ["98.a", "98.b"]
    text = shown.text()
    assert "Concept check 98.a: What does `max_turns` bound?" in text
    assert f"  {letter('98.a')}) How many turns a run takes." in text and 'quiz("98.a", "a")' in text
    html = shown.html()
    assert 'class="agentnb-quiz' in html and "<code>max_turns</code>" in html and '<ol type="a"' in html
    assert quiz(sample)._repr_mimebundle_() == shown._repr_mimebundle_()  # the same every time


def test_a_right_answer_says_why(sample: str) -> None:
    answer = quiz("98.a", letter("98.a"))
    assert answer and str(answer) == f"✓ right (98.a, {letter('98.a')}): Every team has one: 20 by default."


def test_a_wrong_answer_is_explained_not_corrected(sample: str) -> None:
    wrong_letter = letter("98.a", right=False)
    answer = quiz("98.a", wrong_letter.upper() + ")")
    assert not answer
    assert "That is TokenBudget." in str(answer) and "Try another answer" in str(answer)
    assert "20 by default" not in str(answer)  # the right one's reason stays hidden
    assert ANSWERS["98.a"] == [wrong_letter]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: quiz("98.a", "c"), ValueError, "one of the letters a, b"),
        (lambda: quiz("98", "a"), ValueError, "answer one question at a time"),
        (lambda: quiz("97"), KeyError, "there is no concept check '97'"),
    ],
)
def test_mistakes_say_what_to_write(sample: str, call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_the_right_answer_is_not_always_in_the_same_place() -> None:
    lessons = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "11")
    places = [next(i for i, c in enumerate(q.choices) if c.right) for n in lessons for q in questions_of(n)]
    assert len(set(places)) == 3 and max(places.count(p) for p in set(places)) < 0.6 * len(places)


def test_a_question_needs_exactly_one_right_choice() -> None:
    with pytest.raises(ValueError, match="exactly one of them right"):
        question("98.z", "?", wrong("x", "no"), wrong("y", "no"))


class FakeHandle:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        self.updates.append(bundle)


class FakeShell:
    def __init__(self, allow_stdin: bool) -> None:
        self.kernel = type("Kernel", (), {"_allow_stdin": allow_stdin})()


def shown_in(monkeypatch: pytest.MonkeyPatch, allow_stdin: bool, what: Quiz) -> list[dict[str, Any]]:
    displayed: list[dict[str, Any]] = []
    handle = FakeHandle()

    def display(bundle: dict[str, Any], raw: bool = False, display_id: Any = None) -> Any:
        displayed.append(bundle)
        return handle if display_id else None

    monkeypatch.setattr("IPython.get_ipython", lambda: FakeShell(allow_stdin))
    monkeypatch.setattr("IPython.display.display", display)
    what._ipython_display_()
    return displayed


def test_where_nobody_can_click_the_questions_show_as_text_and_html(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = quiz(sample)
    displayed = shown_in(monkeypatch, False, shown)
    assert displayed == [shown._repr_mimebundle_()] and shown.widget is None


def test_a_click_grades_the_answer_and_writes_it_into_the_saved_output(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = quiz(sample)
    displayed = shown_in(monkeypatch, True, shown)
    assert WIDGET_VIEW in displayed[0] and "text/html" in displayed[0]
    first = shown.widget.children[0]
    letters, said = first.children[1], first.children[2]
    letters.value = letter("98.a")
    assert "✓ right" in said.value and "20 by default" in said.value
    saved = shown.handle.updates[-1]
    shown_right = f"✓ right</b> ({letter('98.a')}) How many turns a run takes."
    assert WIDGET_VIEW in saved and shown_right in saved["text/html"]
    assert f"✓ right (98.a, {letter('98.a')})" in saved["text/plain"]
