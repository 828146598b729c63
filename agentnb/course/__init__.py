"""The course's exercises and concept checks: ``check(exercise, answer)`` grades an answer and
gives a hint; ``quiz(lesson)`` asks a lesson's multiple-choice questions.

Each lesson registers its exercises and questions in ``agentnb.course.lessonNN`` (`exercise`,
`question`); a grader looks at the real thing — a run's events, a trace, a plan, a team — not
at text, and returns None when the answer is right or a hint when it is not.
"""

from agentnb.course.checks import EXERCISES, Exercise, Verdict, check, exercise
from agentnb.course.quiz import QUESTIONS, question, quiz

__all__ = ["EXERCISES", "QUESTIONS", "Exercise", "Verdict", "check", "exercise", "question", "quiz"]
