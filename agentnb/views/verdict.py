"""An exercise's verdict drawn (`agentnb.course.checks.Verdict`): right, or a hint.

The course sits above the views, so it hands over the verdict's fields and displays what
comes back; the HTML carries no ids or times, so saved lessons compare equal under nbval.
"""

from __future__ import annotations

import html

from agentnb.views.style import NO_MATH

RIGHT, HINT = "#15803d", "#b45309"


def verdict_text(exercise: str, title: str, ok: bool, message: str) -> str:
    mark = "✓" if ok else "✗"
    return f"{mark} Exercise {exercise} ({title}): {message}"


def verdict_markdown(exercise: str, title: str, ok: bool, message: str) -> str:
    mark = "✓" if ok else "Hint:"
    return f"{mark} **Exercise {exercise}** ({title}): {message}"


def verdict_html(exercise: str, title: str, ok: bool, message: str) -> str:
    colour, mark = (RIGHT, "✓") if ok else (HINT, "Hint:")
    return (
        f'<div class="agentnb-check {NO_MATH}" style="border-left:4px solid {colour};'
        f'padding:4px 10px;font-family:system-ui,sans-serif;font-size:14px">'
        f"<b>Exercise {html.escape(exercise)}</b> · {html.escape(title)}<br>"
        f'<span style="color:{colour}"><b>{mark}</b></span> {html.escape(message)}</div>'
    )
