"""Handoff mode: agents pass control through generated ``transfer_to_<name>`` tools (as in Swarm).

The first participant starts (the first agent, when a task is given and the first
participant is a human: the task is that human's word). A handoff gives the floor to its
target, also for the next task. An agent that answers without handing off passes the floor
to the team's human if there is one (who gives it back to that agent by answering; a new
task after a handoff to a human is that human's answer), and otherwise keeps it.

Everything that cannot work is rejected when the team is built, with the reason: a nested
team (it cannot call a transfer tool), a team with no agent, an unknown target, an agent
handing off to itself, or a transfer tool whose name clashes with one of the agent's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from agentnb.core.errors import ConfigError
from agentnb.core.events import USER, Event, SpeakerSelected, TextMessage
from agentnb.core.events import Handoff as HandoffEvent
from agentnb.core.modes.base import Choice, Mode, RunView, Start
from agentnb.core.tools import Tool, handoff_tool


class Floor(NamedTuple):
    """Who has the floor, the last agent that spoke, and why."""

    holder: str | None = None
    last_agent: str | None = None
    why: str = "starts"


class Handoff(Mode):
    """Control passes through transfer tools; see the module docstring for who speaks when."""

    name = "handoff"

    def __init__(self) -> None:
        self.humans: list[str] = []
        self.first_agent: str | None = None
        self.tools: dict[str, list[Tool]] = {}

    def bind(self, names: Sequence[str], participants: Sequence[Any]) -> None:
        from agentnb.core.agent import Agent
        from agentnb.core.human import Human

        for p in participants:
            if not isinstance(p, Agent | Human):
                raise ConfigError(
                    f"participants: handoff mode needs agents and humans; {p.name!r} is a "
                    f"{type(p).__name__}, which cannot call a transfer tool (wrap it: "
                    f"Agent(..., tools=[{p.name}.as_tool()]), or use another mode)"
                )
        agents = [p for p in participants if isinstance(p, Agent)]
        if not agents:
            raise ConfigError(
                "participants: handoff mode needs at least one Agent to hand the conversation on"
            )
        self.humans = [p.name for p in participants if isinstance(p, Human)]
        self.first_agent = agents[0].name
        by_name = dict(zip(names, participants, strict=True))
        self.tools = {agent.name: self._tools_of(agent, list(names), by_name) for agent in agents}

    @staticmethod
    def _tools_of(agent: Any, names: list[str], by_name: dict[str, Any]) -> list[Tool]:
        targets = agent.handoffs if agent.handoffs is not None else [n for n in names if n != agent.name]
        own = {t.name for t in agent.all_tools()}
        built = []
        for target in targets:
            if target not in by_name:
                raise ConfigError(
                    f"handoffs: agent {agent.name!r} hands off to {target!r}, which is not a "
                    f"participant; participants are: {', '.join(names)}"
                )
            if target == agent.name:
                raise ConfigError(f"handoffs: agent {agent.name!r} cannot hand off to itself")
            tool = handoff_tool(target, by_name[target].description)
            if tool.name in own:
                raise ConfigError(
                    f"tools: agent {agent.name!r} has its own tool {tool.name!r}, which clashes with "
                    f"the generated handoff to {target!r}; rename the tool"
                )
            built.append(tool)
        return built

    def extra_tools(self, name: str) -> Sequence[Tool]:
        return self.tools.get(name, ())

    def initial(self) -> Floor:
        return Floor()

    def step(self, state: Floor, event: Event) -> Floor:
        if event.scope:
            return state
        kind = event.__class__
        if kind is SpeakerSelected:
            speaker = event.speaker  # type: ignore[attr-defined]
            return state if speaker in self.humans else state._replace(last_agent=speaker)
        if kind is HandoffEvent:
            return state._replace(holder=event.target, why=f"handoff from {event.source}")  # type: ignore[attr-defined]
        if kind is not TextMessage:
            return state
        source, back = event.source, state.last_agent or self.first_agent
        if source == USER:
            if state.holder in self.humans:  # the task is the human's answer
                return state._replace(holder=back, why="the task answers the human")
            return state
        if source in self.humans:
            return state._replace(holder=back, why=f"{source} answered")
        if self.humans:
            return state._replace(holder=self.humans[0], why=f"{source} replied without a handoff")
        return state._replace(holder=source, why="no handoff: keeps the floor")

    def peek(self, state: Floor, names: Sequence[str]) -> tuple[str, ...]:
        return (state.holder or names[0],)

    def _choice(self, run: RunView) -> Choice:
        floor: Floor = run.mode_state
        if floor.holder is not None:
            return Choice(floor.holder, floor.why)
        first = run.names[0]
        transcript = run.transcript
        if first in self.humans and transcript and self.first_agent is not None:
            last = transcript[-1]
            if isinstance(last, TextMessage) and last.source == USER:
                return Choice(self.first_agent, "starts (the task is the human's word)")
        return Choice(first, "starts")

    def next(self, run: RunView) -> list[Start]:
        choice = self._choice(run)
        return [Start(choice.speaker, run.participant(choice.speaker), choice)]
