"""Handoff mode's wiring: which ``transfer_to_<name>`` tools each agent gets, checked up front.

Everything that cannot work is rejected when the team is built, with the reason: a nested
team (it cannot call a transfer tool), a team with no agent, an unknown target, an agent
handing off to itself, or a transfer tool whose name clashes with one of the agent's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.human import Human
from agentnb.core.tools import Tool, handoff_tool


def handoff_tools(participants: Sequence[Any], by_name: Mapping[str, Any]) -> dict[str, list[Tool]]:
    """The generated transfer tools of each agent (by agent name)."""
    names = list(by_name)
    agents = [p for p in participants if isinstance(p, Agent)]
    for p in participants:
        if not isinstance(p, Agent | Human):
            raise ValueError(
                f"participants: handoff mode needs agents and humans; {p.name!r} is a "
                f"{type(p).__name__}, which cannot call a transfer tool (wrap it: "
                f"Agent(..., tools=[{p.name}.as_tool()]), or use another mode)"
            )
    if not agents:
        raise ValueError("participants: handoff mode needs at least one Agent to hand the conversation on")
    tools: dict[str, list[Tool]] = {}
    for agent in agents:
        targets = agent.handoffs if agent.handoffs is not None else [n for n in names if n != agent.name]
        own = {t.name for t in agent.all_tools()}
        built = []
        for target in targets:
            if target not in by_name:
                raise ValueError(
                    f"handoffs: agent {agent.name!r} hands off to {target!r}, which is not a "
                    f"participant; participants are: {', '.join(names)}"
                )
            if target == agent.name:
                raise ValueError(f"handoffs: agent {agent.name!r} cannot hand off to itself")
            tool = handoff_tool(target, by_name[target].description)
            if tool.name in own:
                raise ValueError(
                    f"tools: agent {agent.name!r} has its own tool {tool.name!r}, which clashes with "
                    f"the generated handoff to {target!r}; rename the tool"
                )
            built.append(tool)
        tools[agent.name] = built
    return tools
