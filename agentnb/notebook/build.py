"""From a parsed ``%%agentteam`` cell to a `Team`: names looked up in the notebook's namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from agentnb.core.agent import Agent
from agentnb.core.errors import AgentnbError
from agentnb.core.human import Human
from agentnb.core.model import Model
from agentnb.core.stop import StopCondition
from agentnb.core.team import Team
from agentnb.core.tools import Tool, as_tool
from agentnb.core.toolsets import Toolset, is_toolset
from agentnb.notebook.parse import AgentSpec, CellError

MCP_PREFIX = "mcp:"  # tools=mcp:NAME: the MCP server in the notebook variable NAME


@dataclass
class TeamOptions:
    """The team-level choices of a declarative cell (options merged with %config defaults)."""

    model: Model | str | None
    mode: str
    max_turns: int
    until: str | StopCondition | None
    tools: list[Tool | Toolset]
    human: str | None
    stream_tokens: bool
    store: str | None = None  # a run store: the run is written as it happens


def lookup_tool(name: str, namespace: Mapping[str, Any]) -> Tool | Toolset:
    """The tool a notebook variable holds: an ``@tool`` object or a plain function; with
    ``mcp:NAME``, the MCP server (all its tools) in the variable NAME."""
    if name.startswith(MCP_PREFIX):
        variable = name[len(MCP_PREFIX) :]
        server = namespace.get(variable) if variable.isidentifier() else None
        if not is_toolset(server):
            raise ValueError(
                f"no MCP server {variable!r} in the notebook; declare one first: "
                f"%agentnb mcp {variable} COMMAND ARGS..., or {variable} = MCPServer.stdio(COMMAND, [ARGS])"
            )
        return server
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a variable name")
    if name not in namespace:
        raise ValueError(f"no variable {name!r} in the notebook; define it (e.g. with @tool) first")
    value = namespace[name]
    if not (isinstance(value, Tool) or callable(value)):
        raise ValueError(f"{name!r} is a {type(value).__name__}, not a function or @tool")
    return as_tool(value)


def option_tools(names: str | None, namespace: Mapping[str, Any]) -> list[Tool | Toolset]:
    """``--tools a,b``: every agent of the cell gets these."""
    tools = []
    for name in (names or "").split(","):
        if name.strip():
            try:
                tools.append(lookup_tool(name.strip(), namespace))
            except ValueError as exc:
                raise UsageError(f"--tools: {exc}") from None
    return tools


def _agent(spec: AgentSpec, shared: Sequence[Tool | Toolset], namespace: Mapping[str, Any]) -> Agent:
    line = f"{spec.name}: ..."
    tools: list[Tool | Toolset] = list(shared)
    for name in spec.tools:
        try:
            tool = lookup_tool(name, namespace)
        except ValueError as exc:
            raise CellError(spec.line_no, line, f"tools={name}: {exc}") from None
        if all(t.name != tool.name for t in tools):
            tools.append(tool)
    try:
        return Agent(spec.name, spec.role, model=spec.model, tools=tools, handoffs=spec.handoffs)
    except ValueError as exc:
        raise CellError(spec.line_no, line, str(exc)) from None


PLANNER = "planner"


def declared_team(agents: Sequence[AgentSpec], options: TeamOptions, namespace: Mapping[str, Any]) -> Team:
    """The team a declarative cell describes; a ``--human`` participant speaks last.

    In plan mode an agent line called ``planner`` declares the planner (its role and
    model), not a participant.
    """
    planner = None
    if options.mode == "plan":
        planner = next((_agent(s, (), namespace) for s in agents if s.name == PLANNER), None)
        agents = [s for s in agents if s.name != PLANNER]
        if not agents:
            raise UsageError("--mode plan: declare the agents who do the steps, not only the planner")
    participants: list[Agent | Human] = [_agent(spec, options.tools, namespace) for spec in agents]
    if options.human is not None:
        if any(spec.name == options.human for spec in agents):
            raise UsageError(f"--human {options.human}: an agent of the cell already has that name")
        try:
            participants.append(Human(options.human))
        except ValueError as exc:
            raise UsageError(f"--human: {exc}") from None
    try:
        return Team(
            participants,
            options.mode,
            until=options.until,
            max_turns=options.max_turns,
            model=options.model,
            stream_tokens=options.stream_tokens,
            store=options.store,
            **({"planner": planner} if planner is not None else {}),
        )
    except (ValueError, AgentnbError) as exc:
        raise UsageError(str(exc)) from None


def named_team(name: str, namespace: Mapping[str, Any]) -> Team:
    """``%%agentteam my_team``: the `Team` a notebook variable holds."""
    if not name.isidentifier():
        raise UsageError(f"{name!r} is not a variable name; write %%agentteam my_team, or declare agents")
    if name not in namespace:
        raise UsageError(
            f"no variable {name!r} in the notebook; build it first (my_team = Team([...])), "
            "or declare the agents in the cell body"
        )
    value = namespace[name]
    if not isinstance(value, Team):
        hint = f"; wrap it: Team([{name}])" if isinstance(value, Agent) else ""
        raise UsageError(f"{name!r} is a {type(value).__name__}, not an agentnb Team{hint}")
    return value


def find_human(team: Team, name: str) -> Human:
    """The `Human` called ``name`` in a named team (``--human NAME``)."""
    for participant in team.participants:
        if isinstance(participant, Human) and participant.name == name:
            return participant
    humans = [p.name for p in team.participants if isinstance(p, Human)]
    raise UsageError(
        f"--human {name}: team {team.name!r} has no Human called {name!r}"
        + (f" (its humans: {', '.join(humans)})" if humans else "; add Human(name) to its participants")
    )
