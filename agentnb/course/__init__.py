"""The course's exercises: ``check(exercise, answer)`` grades an answer and gives a hint.

Each lesson registers its exercises in ``agentnb.course.lessonNN`` with `exercise`; a
grader looks at the real thing — a run's events, a trace, a plan, a team — not at text,
and returns None when the answer is right or a hint when it is not.
"""

from agentnb.course.checks import EXERCISES, Exercise, Verdict, check, exercise

__all__ = ["EXERCISES", "Exercise", "Verdict", "check", "exercise"]
