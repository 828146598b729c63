"""The %%agentteam cell grammar: agents, continuation lines, attributes, task, interpolation."""

from __future__ import annotations

import pytest

from agentnb.notebook.parse import CellError, interpolate, parse_body

BODY = """writer: You write short stories.
# a comment line

checker: You verify claims.
    Use the archive; list what you checked. tools=search,count
editor: You edit. Say x=1 if you like. Reply APPROVED. model=auto:3 handoffs=writer
---
Write about {topic}.
Second line.
"""


def test_agents_roles_attributes_and_task_are_parsed() -> None:
    spec = parse_body(BODY)
    assert [a.name for a in spec.agents] == ["writer", "checker", "editor"]
    writer, checker, editor = spec.agents
    assert writer.role == "You write short stories." and writer.line_no == 2
    assert checker.role == "You verify claims.\nUse the archive; list what you checked."
    assert checker.tools == ["search", "count"] and checker.line_no == 5
    assert editor.role == "You edit. Say x=1 if you like. Reply APPROVED."
    assert (editor.model, editor.handoffs) == ("auto:3", ["writer"])
    assert spec.task == "Write about {topic}.\nSecond line."
    assert spec.task_line_no == 9


def test_attributes_may_sit_on_their_own_continuation_line() -> None:
    spec = parse_body("a: Role text.\n    model=scripted:newsroom tools=t\n---\ntask")
    assert spec.agents[0].role == "Role text."
    assert spec.agents[0].model == "scripted:newsroom" and spec.agents[0].tools == ["t"]


@pytest.mark.parametrize(
    ("body", "line_no", "line", "expected"),
    [
        ("writer - writes\n---\ntask", 2, "writer - writes", "expected an agent line 'name: role'"),
        ("  indented\n---\ntask", 2, "indented", "an indented line before any agent"),
        ("a: x\n---\n\n", 3, "---", "expected the task"),
        ("a: x\na: y\n---\nt", 3, "a: y", "declared twice"),
        ("a: x tool=t\n---\nt", 2, "a: x tool=t", "unknown agent attribute 'tool'"),
        ("a: x\nb: y\n\n", 3, "b: y", "expected a line '---'"),
        ("---\ntask", 2, "---", "at least one agent"),
    ],
)
def test_malformed_bodies_say_line_number_line_and_expectation(
    body: str, line_no: int, line: str, expected: str
) -> None:
    with pytest.raises(CellError) as caught:
        parse_body(body)
    error = caught.value
    assert (error.line_no, error.line.strip()) == (line_no, line)
    assert expected in str(error) and str(error).startswith(f"line {line_no}: {line!r}")


def test_interpolation_replaces_bare_names_and_leaves_other_braces_alone() -> None:
    text = 'Topic: {topic}. Code: print(f"{x!r}"); d = {"a": 1}; {{topic}}; {{ jinja }}; {a.b}'
    out = interpolate(text, {"topic": "parks"}, first_line_no=5)
    assert out == 'Topic: parks. Code: print(f"{x!r}"); d = {"a": 1}; {topic}; {{ jinja }}; {a.b}'


def test_unknown_interpolation_name_is_an_error_with_its_line() -> None:
    with pytest.raises(CellError) as caught:
        interpolate("first\nabout {topik}", {"topic": 1}, first_line_no=7)
    assert caught.value.line_no == 8
    assert "{topik} names no variable" in str(caught.value) and "{{topik}}" in str(caught.value)


def test_cell_errors_render_as_one_line_without_traceback() -> None:
    with pytest.raises(CellError) as caught:
        parse_body("oops\n---\nt")
    assert caught.value._render_traceback_() == [f"CellError: {caught.value}"]
