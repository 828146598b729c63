"""The %%agentteam cell grammar: agents, continuation lines, attributes, task, interpolation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        (
            "writer - writes\n---\ntask",
            2,
            "writer - writes",
            "not '-' ('writer: writes')",
        ),
        (
            "lead writer: x\n---\nt",
            2,
            "lead writer: x",
            "cannot contain spaces: write 'lead_writer: ...'",
        ),
        (
            "lead\twriter: x\n---\nt",
            2,
            "lead\twriter: x",
            "spaces or tabs: write 'lead_writer",
        ),
        ("writer!: x\n---\nt", 2, "writer!: x", "agent name 'writer!' has '!'; names use letters, digits"),
        (
            "1st: x\n---\nt",
            2,
            "1st: x",
            "'1st' is not allowed; use letters, digits",
        ),
        ("user: x\n---\nt", 2, "user: x", "'user' is reserved"),
        (
            "writer You write.\n---\nt",
            2,
            "writer You write.",
            "put ':' after its name ('writer: You",
        ),
        ("writer; x\n---\nt", 2, "writer; x", "not ';' ('writer: x'); if it is the task, put a line '---'"),
        ("- writer: x\n---\nt", 2, "- writer: x", "without a list marker: write 'writer: ...'"),
        (": x\n---\nt", 2, ": x", "the agent's name is missing before the ':'"),
        (
            "\twriter: x\n---\nt",
            2,
            "writer: x",
            "an agent line starts at column 0",
        ),
        ("Hello, world\n---\nt", 2, "Hello, world", "expected an agent line 'name: role'"),
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


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["writer: x", "a b: c", " cont", "\tx", "---", "#", "", "w - x", ": y", "é:"])
        | st.text()
    )
)
def test_any_body_parses_or_names_its_line(lines: list[str] | str) -> None:
    body = lines if isinstance(lines, str) else "\n".join(lines)
    try:
        spec = parse_body(body)
    except CellError as error:
        assert 2 <= error.line_no <= body.count("\n") + 2 and error.problem
    else:
        assert spec.agents and spec.task
