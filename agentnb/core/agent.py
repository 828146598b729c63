"""Agent: a role (system prompt), a model and tools — configuration, not state.

What an agent's model sees is derived from a team's transcript (`AgentContext`, kept by the
team), so one agent can sit in several teams, and rewinds, forks and saved runs need nothing
from it. Its turn is a small state machine in `agentnb.core.turn`; the tool calls and their
approval are in `agentnb.core.calls`.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentnb.core import plugins
from agentnb.core.context import AgentContext
from agentnb.core.errors import ConfigError
from agentnb.core.events import USER, ContextSummary, Event
from agentnb.core.model import ChatMessage, Model, ModelRequest, check_settings, complete, message_tokens
from agentnb.core.policies import ContextPolicy, Summarize, as_policy
from agentnb.core.preview import ContextPreview, preview
from agentnb.core.stop import whole_number
from agentnb.core.tools import Tool, as_tools
from agentnb.core.toolsets import Toolset, is_toolset
from agentnb.core.turn import agent_turn

if TYPE_CHECKING:
    from pydantic import BaseModel

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
SUMMARY_PROMPT = (
    "You keep the memory of {agent}, an agent in a team conversation. Summarize the earlier "
    "conversation below (and the previous summary, if any) in a few short lines: the facts, "
    "decisions, results and open questions {agent} needs later. Write only the summary."
)


def check_name(name: Any, what: str = "name") -> str:
    """Participant names become tool names and chat names, so they must be identifiers."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        hint = " (names cannot contain spaces)" if isinstance(name, str) and " " in name.strip() else ""
        raise ConfigError(
            f"{what}: {name!r} is not allowed{hint}; use letters, digits, '_' or '-' "
            "(starting with a letter or '_', at most 64 characters)"
        )
    if name == USER:
        raise ConfigError(f"{what}: 'user' is reserved for the task's sender; choose another name")
    return name


def check_model(model: Any, what: str = "model") -> Any:
    """A model object, a spec string (checked now), or None."""
    if isinstance(model, str):
        plugins.check_model(model)
    elif model is not None and not callable(getattr(model, "stream", None)):
        raise ConfigError(f"{what}: expected a model or a spec such as 'openai:gpt-4o-mini', got {model!r}")
    return model


class Agent:
    """A participant backed by a model.

    ``role`` is the system prompt; ``description`` (first line of the role by default) is
    what other participants and the selector read. ``model`` is a `Model` or a spec string;
    ``None`` uses the team's model. ``output_type`` makes every reply a validated pydantic
    object (shown in the chat as readable text, kept as ``data``). A turn may call tools
    up to ``max_tool_iterations`` rounds; then tools are no longer offered and a call to
    one is an error the model sees. ``reflect_on_tool_use=False`` makes the tools' output
    the reply, without another model call. ``context`` is a context policy (see
    `agentnb.core.policies`), ``memory`` a long-term `MemoryStore` the agent reads before
    each turn and writes with a ``remember`` tool, ``model_settings`` sampling settings
    (temperature, max_tokens, repeat_penalty, ...). ``prepare`` is a function of each
    `ModelRequest` that returns the request to send (a changed copy, e.g. with
    ``dataclasses.replace``): it can narrow a tool's or the reply's schema to what the
    conversation allows, or force a tool; tools and ``output_type`` still validate the reply.
    """

    context: ContextPolicy  # the context policy (checked when set, see `__setattr__`)
    model_settings: dict[str, Any]  # sampling settings sent with every model call (checked when set)

    def __init__(
        self,
        name: str,
        role: str = "",
        *,
        description: str | None = None,
        model: Model | str | None = None,
        tools: Sequence[Tool | Toolset | Callable[..., Any]] = (),
        output_type: type[BaseModel] | None = None,
        handoffs: Sequence[str | Any] | None = None,
        max_tool_iterations: int = 5,
        max_failures: int = 3,
        reflect_on_tool_use: bool = True,
        context: ContextPolicy | None = None,
        memory: Any = None,
        model_settings: dict[str, Any] | None = None,
        prepare: Callable[[ModelRequest], ModelRequest] | None = None,
    ) -> None:
        self.name = check_name(name)
        if not isinstance(role, str):
            raise ConfigError(f"role: expected the agent's instructions as text, got {type(role).__name__}")
        self.role = role or f"You are {name}."
        self.description = description or self.role.strip().splitlines()[0]
        self.tools = as_tools(tools, f"agent {name!r}")
        self.toolsets = [t for t in tools if is_toolset(t)]  # tools listed at run time (MCP servers)
        if output_type is not None and not callable(getattr(output_type, "model_validate_json", None)):
            raise ConfigError(f"output_type: expected a pydantic BaseModel class, got {output_type!r}")
        self.output_type = output_type
        self.handoffs = _handoff_names(handoffs)
        self.max_tool_iterations = whole_number(max_tool_iterations, "max_tool_iterations", 0)
        self.max_failures = whole_number(max_failures, "max_failures", 1)
        self.reflect_on_tool_use = bool(reflect_on_tool_use)
        self.context = context
        if memory is not None and not callable(getattr(memory, "context_note", None)):
            raise ConfigError(f"memory: expected a MemoryStore, got {memory!r}")
        self.memory = memory
        self.model_settings = model_settings
        if prepare is not None and not callable(prepare):
            raise ConfigError(f"prepare: expected a function of a ModelRequest, got {prepare!r}")
        self.prepare = prepare
        self.model = check_model(model)
        self._solo: Any = None

    def __repr__(self) -> str:
        return f"Agent({self.name!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        """``context`` and ``model_settings`` are checked when set (lessons set them on existing
        agents) and read as plain attributes: every model call reads both."""
        if name == "context":
            value = as_policy(value)
            object.__setattr__(self, "summarizes", isinstance(value, Summarize))  # (read before every turn)
        elif name == "model_settings":
            value = check_settings(value)
        object.__setattr__(self, name, value)

    def copy(self, **changes: Any) -> Agent:
        """A copy with its own lists (tools, handoffs), optionally with attributes changed."""
        clone = copy.copy(self)
        clone.tools = list(self.tools)
        clone.toolsets = list(self.toolsets)
        clone.handoffs = list(self.handoffs) if self.handoffs is not None else None
        clone.model_settings = dict(self.model_settings)
        clone._solo = None
        for key, value in changes.items():
            if not hasattr(clone, key):
                raise AttributeError(f"Agent has no attribute {key!r}")
            setattr(clone, key, value)
        return clone

    def reset(self) -> None:
        """Forget this agent's standalone conversation (`run` / `run_sync`)."""
        if self._solo is not None:
            self._solo.reset()

    def all_tools(self) -> list[Tool]:
        """The agent's tools, plus its memory's tools when it has a memory."""
        if self.memory is None:
            return self.tools
        own = {t.name for t in self.tools}
        return [*self.tools, *(t for t in self.memory.tools(self.name) if t.name not in own)]

    async def toolset_tools(self, taken: set[str]) -> list[Tool]:
        """The tools of the agent's toolsets (an MCP server connects on first use), each name once."""
        found: list[Tool] = []
        for toolset in self.toolsets:
            for t in await toolset.tools_for_run():
                if t.name in taken:
                    raise ConfigError(
                        f"agent {self.name!r}: toolset {toolset.name!r} has a tool named {t.name!r}, and so "
                        "does another of its tools; give the toolset a prefix (e.g. prefix='git_')"
                    )
                taken.add(t.name)
                found.append(t)
        return found

    def new_context(self) -> AgentContext:
        return AgentContext(self.name, self.role)

    def own_model(self) -> Model | None:
        """The agent's own model object (a spec string is resolved by the team)."""
        return self.model if self.model is not None and not isinstance(self.model, str) else None

    # ----- what the model sees -----------------------------------------------------------------

    def memory_note(self, memo: AgentContext) -> str | None:
        """What the agent's memory recalls for the latest message (None without memory)."""
        if self.memory is None:
            return None
        query = next(
            (
                m["content"]
                for m in reversed(memo.messages)
                if m.get("role") == "user" and isinstance(m.get("content"), str) and m["content"].strip()
            ),
            None,
        )
        return self.memory.context_note(query or self.role)

    def system_with(self, memo: AgentContext, note: str | None) -> tuple[ChatMessage | None, int]:
        """The system message with a memory note joined to it (some chat templates take one
        system message), and the tokens the note adds; (None, 0) without a note."""
        if not note:
            return None, 0
        system = {"role": "system", "content": f"{memo.messages[0]['content']}\n\n{note}"}
        return system, message_tokens(system) - memo.tokens_between(0, 1)

    def preview_of(self, memo: AgentContext) -> ContextPreview:
        """Exactly what this agent's next model call over ``memo`` would receive, and what is cut."""
        note = self.memory_note(memo)
        memo.reserve = self.system_with(memo, note)[1]
        return preview(memo, self.context.select(memo), self.context, note)

    def context_preview(self, team: Any = None) -> ContextPreview:
        """Exactly what this agent's next model call in ``team`` would receive, and what was cut.

        This agent, as it is: a copy with another policy (``agent.copy(context=LastN(3))``)
        previews its own policy over the team's conversation.
        """
        team = team if team is not None else self._team()
        if self.name in team.names and team.participant(self.name) is self:
            return team.context_preview(self.name)
        memo = self.new_context()
        memo.update(team.transcript)
        return self.preview_of(memo)

    def prepared(self, request: ModelRequest) -> ModelRequest:
        """``request`` rewritten by ``prepare``, which gets its own copy of the messages, tools and
        settings: an edit in place reaches this call only, never the agent's context (whose message
        dicts every request shares), another agent's, or the agent's tool schemas."""
        own = replace(
            request,
            messages=copy.deepcopy(list(request.messages)),
            tools=copy.deepcopy(request.tools),
            settings=dict(request.settings),
        )
        prepared = self.prepare(own)  # type: ignore[misc]
        if not isinstance(prepared, ModelRequest):
            raise TypeError(
                f"agent {self.name!r}: prepare must return the ModelRequest to send "
                f"(e.g. dataclasses.replace(request, ...)), got {type(prepared).__name__}"
            )
        return prepared

    # ----- one turn ------------------------------------------------------------------------

    turn = agent_turn
    """``agent.turn(thread, ctx)``: call the model (and tools) until the agent replies, yielding every
    event on the way (`agentnb.core.turn.agent_turn` itself: no call in between, every turn takes it)."""

    async def summarize(self, memo: AgentContext, model: Model, step: str = "") -> AsyncIterator[Event]:
        """Before the turn: replace older context by a summary when the policy says it is due."""
        policy = self.context
        assert isinstance(policy, Summarize)
        due = policy.due(memo)
        if due is None:
            return
        start, end = due
        lines = [f"Previous summary:\n{memo.summary}"] if memo.summary else []
        for message in memo.messages[start:end]:
            who = message.get("name") or message.get("role")
            content = message.get("content") or ""
            if message.get("tool_calls"):
                content += " " + ", ".join(
                    f"{c['function']['name']}({c['function']['arguments']})" for c in message["tool_calls"]
                )
            lines.append(f"{who}: {content}")
        summarizer = plugins.resolve_model(policy.model) if policy.model is not None else model
        request = ModelRequest(
            agent=f"{self.name}-summary",
            messages=[
                {"role": "system", "content": SUMMARY_PROMPT.format(agent=self.name)},
                {"role": "user", "content": "\n".join(lines)},
            ],
            tool_choice="none",
        )
        started = time.time()
        reply = await complete(summarizer, request)
        yield ContextSummary(
            source=self.name,
            content=reply.text.strip(),
            covers=end,
            usage=reply.usage,
            model=reply.model,
            request_model=getattr(summarizer, "name", None),
            started_at=started,
            step=step,
        )

    # ----- standalone use ------------------------------------------------------------------

    def run(self, task: Any) -> Awaitable[Any]:
        """Ask this agent alone (one turn); the conversation continues across calls."""
        return self._team().run(task)

    def run_sync(self, task: Any) -> Any:
        """`run` for code without an event loop, or inside Jupyter's."""
        return self._team().run_sync(task)

    def stream(self, task: Any) -> AsyncIterator[Event]:
        """Every event of one turn of this agent alone, as it happens (the last is a `Stop`)."""
        return self._team().stream(task)

    def state(self) -> Any:
        """This agent's standalone conversation as a state value (`load_state` puts it back)."""
        return self._team().state()

    def load_state(self, state: Any) -> None:
        """Put back a standalone conversation saved with `state`."""
        self._team().load_state(state)

    def as_tool(self, name: str | None = None, description: str | None = None) -> Tool:
        """This agent as a tool another agent can call with a task; each call starts fresh."""
        return plugins.solo_team(self, f"{self.name}_tool").as_tool(
            name or self.name, description or self.description
        )

    def _team(self) -> Any:
        if self._solo is None:
            self._solo = plugins.solo_team(self, f"{self.name}_solo")
        return self._solo


def _handoff_names(handoffs: Sequence[Any] | None) -> list[str] | None:
    """Handoff targets as names: agents (and teams, humans) are accepted for their names, and a
    single target for a list of one."""
    if handoffs is None:
        return None
    if isinstance(handoffs, str) or isinstance(getattr(handoffs, "name", None), str):
        handoffs = [handoffs]
    if not isinstance(handoffs, Sequence):
        raise ConfigError(f"handoffs: expected a participant name or a list of them, got {handoffs!r}")
    names = []
    for target in handoffs:
        name = target if isinstance(target, str) else getattr(target, "name", None)
        if not isinstance(name, str):
            raise ConfigError(f"handoffs: expected participant names or agents, got {target!r}")
        if name in names:
            raise ConfigError(f"handoffs: {name!r} is listed twice; each target gets one transfer tool")
        names.append(name)
    return names
