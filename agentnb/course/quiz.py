"""Concept checks: short multiple-choice questions, each answer with its own explanation.

A lesson registers its questions with `question` (in ``agentnb.course.lessonNN``, beside its
exercises). ``quiz("01")`` shows a lesson's questions; ``quiz("01.a", "b")`` grades an answer
and says why it is right or wrong, offline. In JupyterLab or Notebook 7 the questions come
with buttons: a click grades the answer and writes it into the cell's saved output, so the
notebook keeps what was answered. Where nobody can click (nbclient, nbval, a terminal) the
questions show as text with the call that answers them; both forms render the same static
HTML, markdown and text every time, so saved notebooks stay deterministic.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import importlib
import re
import string
from dataclasses import dataclass
from typing import Any

LETTERS = string.ascii_lowercase
COLOR = "#6366f1"
RIGHT, WRONG = "#15803d", "#b45309"
CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Choice:
    """One answer: its text, whether it is right, and why (shown when it is chosen)."""

    text: str
    why: str
    right: bool = False


@dataclass(frozen=True)
class Question:
    """A question (``"01.a"``: lesson 01, question a) with its choices; exactly one is right."""

    id: str
    ask: str
    choices: tuple[Choice, ...]

    def letter(self, answer: str) -> int:
        """The index of the choice ``answer`` names ("b" or "B"), or a ValueError that says the letters."""
        letters = LETTERS[: len(self.choices)]
        cleaned = answer.strip().strip(")").lower() if isinstance(answer, str) else ""
        if len(cleaned) != 1 or cleaned not in letters:
            raise ValueError(
                f"question {self.id} is answered with one of the letters {', '.join(letters)} "
                f"(for example quiz({self.id!r}, 'a')), got {answer!r}"
            )
        return letters.index(cleaned)


QUESTIONS: dict[str, Question] = {}
ANSWERS: dict[str, list[str]] = {}  # question id -> the letters chosen, in order, in this session


def question(id: str, ask: str, *choices: Choice) -> Question:
    """Register a question; exactly one of its 2 to 5 ``choices`` is right.

    The choices are shown in the order given, turned so that the right one lands where the
    question's id says (the same place every time): authors may write the right one first, and
    students still cannot learn that the answer is always "b".
    """
    if not 2 <= len(choices) <= 5 or sum(c.right for c in choices) != 1:
        raise ValueError(f"question {id}: give 2 to 5 choices, exactly one of them right")
    found = Question(id, ask, arranged(id, choices))
    QUESTIONS[id] = found
    return found


def arranged(id: str, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """``choices`` turned round so that the right one is at the place ``id`` hashes to."""
    where = int(hashlib.sha256(id.encode("utf-8")).hexdigest(), 16) % len(choices)
    turn = ([c.right for c in choices].index(True) - where) % len(choices)
    return choices[turn:] + choices[:turn]


def right(text: str, why: str) -> Choice:
    """The right choice of a question."""
    return Choice(text, why, right=True)


def wrong(text: str, why: str) -> Choice:
    """A wrong choice, and why it is wrong (what students who pick it usually think)."""
    return Choice(text, why)


def questions_of(which: str) -> list[Question]:
    """A lesson's questions ("01") or one question ("01.a"), loading the lesson's module."""
    lesson = which.split(".", 1)[0]
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module(f"agentnb.course.lesson{lesson}")
    found = [q for key, q in sorted(QUESTIONS.items()) if key == which or key.startswith(f"{which}.")]
    if not found:
        known = ", ".join(sorted(QUESTIONS)) or "none loaded"
        raise KeyError(f"there is no concept check {which!r} (questions: {known})")
    return found


@dataclass(frozen=True)
class Answer:
    """What `quiz` says about an answer: right or not, and why."""

    question: Question
    index: int

    @property
    def choice(self) -> Choice:
        return self.question.choices[self.index]

    def __bool__(self) -> bool:
        return self.choice.right

    def __str__(self) -> str:
        mark = "✓ right" if self else "✗ not quite"
        again = "" if self else " Try another answer."
        return f"{mark} ({self.question.id}, {LETTERS[self.index]}): {self.choice.why}{again}"

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<div class="agentnb-quiz" style="{_box(RIGHT if self else WRONG)}">{answer_html(self)}</div>'


def _box(color: str) -> str:
    return f"border-left:4px solid {color};padding:4px 10px;font-family:system-ui,sans-serif;font-size:14px"


def _inline(text: str) -> str:
    """Text with `code` spans, as HTML."""
    return CODE.sub(r"<code>\1</code>", html.escape(text))


def answer_html(answer: Answer) -> str:
    color, mark = (RIGHT, "✓ right") if answer else (WRONG, "✗ not quite")
    again = "" if answer else " Try another answer."
    return (
        f'<div style="color:{color}"><b>{mark}</b> ({LETTERS[answer.index]}) '
        f"{_inline(answer.choice.text)}</div><div>{_inline(answer.choice.why)}{again}</div>"
    )


def question_body(q: Question) -> str:
    """The question and its lettered choices, as HTML."""
    items = "".join(f"<li>{_inline(c.text)}</li>" for c in q.choices)
    return (
        f"<div><b>Concept check {html.escape(q.id)}</b> · {_inline(q.ask)}</div>"
        f'<ol type="a" style="margin:2px 0">{items}</ol>'
    )


def question_html(q: Question, answered: Answer | None = None) -> str:
    """One question as HTML: the question, its choices, and how to answer it (or the answer given)."""
    if answered is None:
        footer = (
            f'<div style="color:#64748b">Answer in a cell: <code>quiz("{q.id}", "a")</code> '
            "(with the letter you choose)</div>"
        )
    else:
        footer = answer_html(answered)
    return f'<div style="margin:4px 0 8px">{question_body(q)}{footer}</div>'


def question_text(q: Question, answered: Answer | None = None) -> str:
    lines = [f"Concept check {q.id}: {q.ask}"]
    lines += [f"  {LETTERS[i]}) {c.text}" for i, c in enumerate(q.choices)]
    lines.append(
        f'  Answer: quiz("{q.id}", "a") (with the letter you choose)' if answered is None else f"  {answered}"
    )
    return "\n".join(lines)


class Quiz:
    """Questions to show: with buttons where a person can click, else as text (see the module)."""

    def __init__(self, questions: list[Question]) -> None:
        self.questions = questions
        self.answered: dict[str, Answer] = {}
        self.handle: Any = None  # the display to update when an answer comes in
        self.widget: Any = None  # the buttons, once shown to a person

    def __repr__(self) -> str:
        return self.text()

    def text(self) -> str:
        return "\n\n".join(question_text(q, self.answered.get(q.id)) for q in self.questions)

    def html(self) -> str:
        body = "".join(question_html(q, self.answered.get(q.id)) for q in self.questions)
        return f'<div class="agentnb-quiz tex2jax_ignore mathjax_ignore" style="{_box(COLOR)}">{body}</div>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}

    def answer(self, q: Question, letter: str) -> Answer:
        """Grade ``letter`` for ``q``, keep it, and write it into the saved output (if shown)."""
        graded = grade(q, letter)
        self.answered[q.id] = graded
        if self.handle is not None:
            self.handle.update(self._with_widget(), raw=True)
        return graded

    def _with_widget(self) -> dict[str, Any]:
        """The buttons' view with the static renderings (what the saved notebook keeps) beside it."""
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_()) if self.widget is not None else {}
        bundle.update(self._repr_mimebundle_())
        return bundle

    def _ipython_display_(self) -> None:
        """With buttons in JupyterLab or Notebook 7; as static text and HTML elsewhere."""
        from IPython import get_ipython
        from IPython.display import display

        from agentnb.notebook.live import live_chat_available, person_can_answer

        shell = get_ipython()
        if not live_chat_available(shell) or not person_can_answer(shell):  # no one to click (nbclient)
            display(self._repr_mimebundle_(), raw=True)
            return
        try:
            self.widget = buttons(self)
        except ImportError:  # no ipywidgets: the text form still works
            display(self._repr_mimebundle_(), raw=True)
            return
        self.handle = display(self._with_widget(), raw=True, display_id=True)


def grade(q: Question, letter: str) -> Answer:
    """Grade an answer to ``q`` and keep it in `ANSWERS` (this session's record)."""
    graded = Answer(q, q.letter(letter))
    ANSWERS.setdefault(q.id, []).append(LETTERS[graded.index])
    return graded


def quiz(which: str, answer: str | None = None) -> Quiz | Answer:
    """Show the concept checks of a lesson (``"01"``) or one question (``"01.a"``), or grade ``answer``.

    ``quiz("01.a", "b")`` says whether b is right and why; a wrong answer is explained, not
    corrected, so you can try again.
    """
    found = questions_of(which)
    if answer is None:
        return Quiz(found)
    if len(found) != 1:
        raise ValueError(f"answer one question at a time: quiz({found[0].id!r}, {answer!r})")
    return grade(found[0], answer)


def buttons(quiz: Quiz) -> Any:
    """The clickable form: each question with a row of letter buttons; a click answers it at once
    (`Quiz.answer`), shows why under the question and keeps it in the saved output."""
    import ipywidgets as widgets

    style = "font-family:system-ui,sans-serif;font-size:14px"

    def wrapped(body: str) -> str:
        return f'<div class="agentnb-quiz tex2jax_ignore mathjax_ignore" style="{style}">{body}</div>'

    def one(q: Question) -> Any:
        letters = widgets.ToggleButtons(
            options=list(LETTERS[: len(q.choices)]), value=None, style={"button_width": "44px"}
        )
        said = widgets.HTML()

        def chosen(change: dict[str, Any]) -> None:
            if change["new"] is not None:
                said.value = wrapped(answer_html(quiz.answer(q, change["new"])))

        letters.observe(chosen, names="value")
        return widgets.VBox([widgets.HTML(wrapped(question_body(q))), letters, said])

    return widgets.VBox([one(q) for q in quiz.questions])
