"""The ``%%agentteam`` cell body: agents declared as ``name: role`` lines, ``---``, the task.

Pure text processing (no IPython), so the grammar is easy to test and to read::

    writer: You write short, factual news stories.
    fact_checker: You verify every claim.
        Use the archive; list what you checked. tools=search_archive
    editor: You edit. Reply APPROVED when the story is ready. model=scripted:newsroom
    ---
    Write 80 words on {topic}.

An agent line starts at column 0 with ``name:``; indented lines continue its role; trailing
``key=value`` words set attributes (`ATTRIBUTES`). Blank lines and ``#`` comment lines
between agents are ignored. Everything after the ``---`` line is the task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentnb.core.agent import NAME_PATTERN, check_name
from agentnb.core.errors import AgentnbError

SEPARATOR = "---"
ATTRIBUTES = {
    "model": "a model spec, e.g. model=scripted:newsroom",
    "tools": "comma-separated tool names from the notebook, e.g. tools=search_archive,calc",
    "handoffs": "comma-separated agent names this agent may hand off to (handoff mode)",
}
_AGENT_LINE = re.compile(r"^([^\s:#][^\s:]*)\s*:(.*)$")
_LIST_MARKER = re.compile(r"^\s*([-*+]|\d+[.)])\s")
_SEPARATOR_NOT_COLON = re.compile(r"^(\S+?)(\s*(?:->|=>|[–—=])\s*|\s+-\s+|;\s*)(.+)$")  # 'writer - writes'
_TRAILING_ATTRIBUTE = re.compile(r"(^|\s)([a-z_]+)=(\S+)$")
_PLACEHOLDER = re.compile(r"\{\{([A-Za-z_]\w*)\}\}|\{([A-Za-z_]\w*)\}")
EXPECTED = (
    "expected an agent line 'name: role', an indented line continuing the role above, "
    f"or '{SEPARATOR}' followed by the task"
)
TASK_HINT = f"if it is the task, put a line '{SEPARATOR}' before it"


class CellError(AgentnbError, ValueError):
    """The cell body does not follow the grammar; says which line, what it is, and what fits."""

    def __init__(self, line_no: int, line: str, problem: str) -> None:
        self.line_no, self.line, self.problem = line_no, line, problem
        super().__init__(f"line {line_no}: {line.strip()!r}: {problem}")


@dataclass
class AgentSpec:
    """One declared agent: name, role text, attributes, and the cell line it starts on."""

    name: str
    role: str
    line_no: int
    model: str | None = None
    tools: list[str] = field(default_factory=list)
    handoffs: list[str] | None = None


@dataclass
class CellSpec:
    """A parsed body: the declared agents (none in the named form) and the raw task text."""

    agents: list[AgentSpec]
    task: str
    task_line_no: int


def parse_body(body: str, *, first_line_no: int = 2) -> CellSpec:
    """Parse a declarative body; ``first_line_no`` is the cell line of the body's first line.

    The ``%%agentteam`` line is line 1 of the cell, so the body starts at line 2.
    """
    lines = body.split("\n")
    agents: list[AgentSpec] = []
    role_lines: list[str] = []

    def close_agent() -> None:
        if agents:
            finish_agent(agents[-1], role_lines)
        role_lines.clear()

    for index, line in enumerate(lines):
        line_no = first_line_no + index
        if line.strip() == SEPARATOR:
            close_agent()
            if not agents:
                raise CellError(line_no, line, "expected at least one agent line 'name: role' before it")
            task = "\n".join(lines[index + 1 :]).strip()
            if not task:
                raise CellError(line_no, line, "expected the task on the lines after it")
            return CellSpec(agents, task, line_no + 1)
        if not line.strip() or line.startswith("#"):
            if role_lines:
                role_lines.append("")
            continue
        if line[0].isspace():
            if not agents:
                indented = "an agent line starts at column 0" if _AGENT_LINE.match(line.strip()) else EXPECTED
                raise CellError(line_no, line, f"an indented line before any agent; {indented}")
            role_lines.append(line.strip())
            continue
        match = _AGENT_LINE.match(line)
        if match is None:
            raise CellError(line_no, line, not_an_agent_line(line))
        name = match[1]
        problem = name_problem(name)
        if problem is not None:
            raise CellError(line_no, line, problem)
        close_agent()
        if any(a.name == name for a in agents):
            raise CellError(line_no, line, f"agent {name!r} is declared twice; names must be unique")
        agents.append(AgentSpec(name=name, role="", line_no=line_no))
        role_lines.append(match[2].strip())
    last = max((i for i, line in enumerate(lines) if line.strip()), default=0)
    if not agents:
        raise CellError(
            first_line_no, lines[0], f"{EXPECTED}; or name a team: %%agentteam my_team (the body is the task)"
        )
    raise CellError(
        first_line_no + last, lines[last], f"expected a line '{SEPARATOR}' and then the task after the agents"
    )


def not_an_agent_line(line: str) -> str:
    """What is wrong with a line at column 0 that is no agent line, as specifically as it shows."""
    head, colon, _ = line.partition(":")
    words = head.split()
    if colon and not words:
        return f"the agent's name is missing before the ':'; {EXPECTED}"
    if colon and _LIST_MARKER.match(head):
        return f"an agent line starts with the name, without a list marker: write '{words[-1]}: ...'"
    if colon:
        blanks = "spaces or tabs" if "\t" in head else "spaces"
        hint = f"; {TASK_HINT}" if len(words) > 2 else ""
        return f"agent names cannot contain {blanks}: write '{'_'.join(words)}: ...'{hint}"
    match = _SEPARATOR_NOT_COLON.match(line)
    if match and NAME_PATTERN.match(match[1]):
        return (
            f"if this is an agent, write ':' after its name, not {match[2].strip()!r} "
            f"('{match[1]}: {match[3]}'); {TASK_HINT}"
        )
    first, _, role = line.strip().partition(" ")
    if NAME_PATTERN.match(first):
        example = f"{first}: {role.strip() or '<role>'}"
        return f"if this is an agent, put ':' after its name ('{example}'); {TASK_HINT}"
    return EXPECTED


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an agent (agents' names become chat and tool names), or None."""
    try:
        check_name(name, "agent name")
    except ValueError as exc:
        odd = next((c for c in name if not (c.isascii() and (c.isalnum() or c in "_-"))), None)
        if odd is not None:
            return f"agent name {name!r} has {odd!r}; names use letters, digits, '_' or '-'"
        return str(exc)
    return None


def finish_agent(agent: AgentSpec, role_lines: list[str]) -> None:
    """Set the role from its lines, taking trailing ``key=value`` words as attributes."""
    text = "\n".join(role_lines).rstrip()
    while match := _TRAILING_ATTRIBUTE.search(text):
        key, value = match[2], match[3]
        if key not in ATTRIBUTES:
            index = text.count("\n", 0, match.start(1))
            known = "; ".join(f"{k}= ({v})" for k, v in ATTRIBUTES.items())
            raise CellError(
                agent.line_no + index,
                role_lines[index] if index else f"{agent.name}: {role_lines[0]}",
                f"unknown agent attribute {key!r}; attributes are: {known}",
            )
        items = [n for n in value.split(",") if n]
        if key == "model":
            agent.model = value
        elif key == "tools":
            agent.tools = items
        else:
            agent.handoffs = items
        text = text[: match.start()].rstrip()
    agent.role = text.strip()


def interpolate(text: str, namespace: Mapping[str, Any], *, first_line_no: int) -> str:
    """Replace ``{name}`` with the variable's value; ``{{name}}`` gives a literal ``{name}``.

    Only bare identifiers are placeholders, so code, JSON or templates with other braces
    pass through unchanged. An unknown name raises `CellError` with its line.
    """

    def substitute(match: re.Match[str]) -> str:
        if match[1] is not None:
            return "{" + match[1] + "}"
        name = match[2]
        if name not in namespace:
            line_index = text.count("\n", 0, match.start())
            raise CellError(
                first_line_no + line_index,
                text.split("\n")[line_index],
                f"{{{name}}} names no variable in the notebook; define {name} first, or write "
                f"{{{{{name}}}}} for a literal {{{name}}}",
            )
        return str(namespace[name])

    return _PLACEHOLDER.sub(substitute, text)
