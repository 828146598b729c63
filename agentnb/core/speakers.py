"""Who speaks next: round robin, a model's choice (selector), or handoffs.

A speaker policy has ``next(team)`` (an awaitable `Choice`) and keeps its state only by
observing the events the team records (`observe`), so its state is a fold over the
transcript: checkpoints, rewinds, forks and saved runs restore it exactly (`snapshot`,
`restore`). Graph, sequential and plan teams are run by `agentnb.core.graph` and
`agentnb.core.planning` instead, because their steps run concurrently.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentnb.core.events import USER, Event, Handoff, SpeakerSelected, TextMessage, Usage
from agentnb.core.model import ModelRequest, complete, estimate_tokens

if TYPE_CHECKING:
    from agentnb.core.team import Team

DEFAULT_SELECTOR_PROMPT = """You choose who speaks next in a team conversation.

Participants:
{roles}

Read the conversation, then reply with only the name of the participant who should speak next."""
SELECTOR_PLACEHOLDERS = {
    "roles": "each participant's name and description, one per line",
    "participants": "the participants' names, comma-separated",
    "history": "the most recent messages, one per line",
}
SELECTOR_HISTORY = 12  # the selector reads only the most recent messages: bounded cost

SelectorFunc = Callable[[Sequence[Event]], "str | None"]
CandidateFunc = Callable[[Sequence[Event]], Sequence[str]]


@dataclass(slots=True)
class Choice:
    """The next speaker, why, and what the choice cost (selector only)."""

    speaker: str
    reason: str
    usage: Usage | None = None
    model: str | None = None
    started_at: float | None = None


class Policy:
    """Base of the speaker policies: state changes only in `observe`; `snapshot` copies it."""

    def reset(self) -> None:
        """Forget everything (a new conversation)."""

    def begin_run(self) -> None:
        """A run starts (its first event is about to be recorded)."""

    def observe(self, event: Event) -> None:
        """Update the state from an event the team recorded."""

    def snapshot(self) -> Any:
        return dict(vars(self))

    def restore(self, state: Any) -> None:
        vars(self).update(state)


def last_turn_event(transcript: Sequence[Event]) -> Event | None:
    """The event that ended the most recent turn (a reply or a handoff), if any."""
    for i in range(len(transcript) - 1, -1, -1):
        event = transcript[i]
        if event.scope:
            continue
        if isinstance(event, Handoff) or (isinstance(event, TextMessage) and event.source != USER):
            return event
        if isinstance(event, TextMessage):
            return None
    return None


class RoundRobin(Policy):
    """Participants speak in the order given, over and over (across runs too)."""

    def __init__(self) -> None:
        self.last: str | None = None

    def reset(self) -> None:
        self.last = None

    def observe(self, event: Event) -> None:
        if event.__class__ is SpeakerSelected and not event.scope:
            self.last = event.speaker  # type: ignore[attr-defined]

    async def next(self, team: Team) -> Choice:
        names = team.names
        index = names.index(self.last) + 1 if self.last in names else 0
        return Choice(names[index % len(names)], "round robin")


def check_selector_prompt(prompt: str) -> str:
    """Reject a selector prompt with placeholders other than `SELECTOR_PLACEHOLDERS`."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(prompt) if f is not None]
    except ValueError as exc:
        raise ValueError(f"selector_prompt: {exc}; write a literal brace as {{{{ or }}}}") from None
    valid = ", ".join("{" + k + "}" for k in SELECTOR_PLACEHOLDERS)
    for name in fields:
        if name not in SELECTOR_PLACEHOLDERS:
            shown = "{" + name + "}" if name else "{}"
            raise ValueError(
                f"selector_prompt: unknown placeholder {shown}; the placeholders are {valid} "
                "(write a literal brace as {{ or }})"
            )
    return prompt


class Selector(Policy):
    """Picks the next speaker: a function, or a model reading descriptions and the chat.

    ``candidate_func(transcript)`` narrows who may speak; ``selector_func(transcript)``
    names the speaker, or returns None to let the model choose. The model sees the
    participants' descriptions and the recent chat; an invalid or (unless allowed)
    repeated name goes back to it with the reason, up to ``attempts`` tries; then the
    deterministic fallback is the next candidate after the last speaker. With a single
    candidate no model is called.
    """

    def __init__(
        self,
        prompt: str | None = None,
        allow_repeated: bool = False,
        *,
        selector_func: SelectorFunc | None = None,
        candidate_func: CandidateFunc | None = None,
        attempts: int = 3,
    ) -> None:
        self.prompt = check_selector_prompt(prompt) if prompt is not None else DEFAULT_SELECTOR_PROMPT
        self.allow_repeated = allow_repeated
        self.selector_func = selector_func
        self.candidate_func = candidate_func
        self.attempts = attempts
        self.last: str | None = None

    def reset(self) -> None:
        self.last = None

    def observe(self, event: Event) -> None:
        if event.__class__ is SpeakerSelected and not event.scope:
            self.last = event.speaker  # type: ignore[attr-defined]

    def snapshot(self) -> Any:
        return self.last

    def restore(self, state: Any) -> None:
        self.last = state

    def candidates(self, team: Team) -> list[str]:
        names = team.names
        if self.candidate_func is not None:
            chosen = self.candidate_func(team.transcript)
            if isinstance(chosen, str) or not chosen:
                raise ValueError(
                    f"candidate_func returned {chosen!r}; return a non-empty list of participant names"
                )
            unknown = [n for n in chosen if n not in names]
            if unknown:
                raise ValueError(
                    f"candidate_func returned {unknown[0]!r}, which is not a participant "
                    f"(participants: {', '.join(names)})"
                )
            return list(dict.fromkeys(chosen))
        allowed = [n for n in names if self.allow_repeated or n != self.last]
        return allowed or names

    async def next(self, team: Team) -> Choice:
        candidates = self.candidates(team)
        if self.selector_func is not None:
            name = self.selector_func(team.transcript)
            if name is not None:
                if name not in team.names:
                    raise ValueError(
                        f"selector_func returned {name!r}, which is not a participant "
                        f"(participants: {', '.join(team.names)}); return a name or None"
                    )
                return Choice(name, "chosen by selector_func")
        if len(candidates) == 1:
            return Choice(candidates[0], "the only candidate")
        return await self._ask_model(team, candidates)

    async def _ask_model(self, team: Team, candidates: list[str]) -> Choice:
        roles = "\n".join(f"- {p.name}: {p.description}" for p in team.participants)
        recent = [e for e in team.transcript[-SELECTOR_HISTORY * 3 :] if isinstance(e, TextMessage)]
        history = "\n".join(f"{e.source}: {e.content[:500]}" for e in recent[-SELECTOR_HISTORY:])
        names = team.names
        system = self.prompt.format(roles=roles, participants=", ".join(names), history=history)
        ask = f"Who speaks next? Reply with one of: {', '.join(candidates)}."
        if "{history}" not in self.prompt:
            ask = f"Conversation so far:\n{history}\n\n{ask}"
        messages = [{"role": "system", "content": system}, {"role": "user", "content": ask}]
        usage = Usage()
        problem = ""
        model = team.resolved_model()
        started = time.time()
        for _ in range(self.attempts):
            request = ModelRequest(
                agent="selector",
                messages=messages,
                prompt_tokens=sum(estimate_tokens(m["content"]) + 4 for m in messages),
            )
            reply = await complete(model, request)
            usage = usage + reply.usage
            name = parse_name(reply.text, names)
            if name is None:
                problem = f"the selector answered {reply.text.strip()[:80]!r}, not a participant's name"
            elif name not in candidates:
                again = name == self.last and not self.allow_repeated and self.candidate_func is None
                problem = f"the selector chose {name}" + (
                    " again, who just spoke" if again else ", who may not speak now"
                )
            else:
                return Choice(name, "chosen by the selector model", usage, reply.model or model.name, started)
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {
                    "role": "user",
                    "content": f"Not valid: {problem}. Reply with only one of: {', '.join(candidates)}.",
                },
            ]
        start = names.index(self.last) + 1 if self.last in names else 0
        fallback = next(n for n in names[start:] + names[:start] if n in candidates)
        return Choice(
            fallback, f"fallback after {self.attempts} tries ({problem})", usage, model.name, started
        )


def parse_name(text: str, names: list[str]) -> str | None:
    """The participant named in a selector reply: the whole reply, or the one name in it."""
    cleaned = text.strip().strip("`'\".,:;!* \n").lower()
    exact = {n.lower(): n for n in names}
    if cleaned in exact:
        return exact[cleaned]
    words = set(re.findall(r"[A-Za-z0-9_-]+", text.lower()))
    found = [n for n in names if n.lower() in words]
    return found[0] if len(found) == 1 else None


class HandoffRouter(Policy):
    """Control passes through ``transfer_to_<name>`` tools.

    The first participant starts (the first agent, when a task is given and the first
    participant is a human: the task is that human's word). A handoff gives the floor to
    its target, also for the next task. An agent that answers without handing off passes
    the floor to the team's human if there is one (who gives it back to that agent by
    answering; a new task after a handoff to a human is that human's answer), and
    otherwise keeps it.
    """

    def __init__(self, humans: Sequence[str] = (), agents: Sequence[str] = ()) -> None:
        self.humans = list(humans)
        self.first_agent = agents[0] if agents else None
        self.floor: str | None = None
        self.last_agent: str | None = None
        self.why = "starts"

    def reset(self) -> None:
        self.floor = None
        self.last_agent = None
        self.why = "starts"

    def snapshot(self) -> Any:
        return (self.floor, self.last_agent, self.why)

    def restore(self, state: Any) -> None:
        self.floor, self.last_agent, self.why = state

    def observe(self, event: Event) -> None:
        if event.scope:
            return
        kind = event.__class__
        if kind is SpeakerSelected:
            speaker = event.speaker  # type: ignore[attr-defined]
            if speaker not in self.humans:
                self.last_agent = speaker
        elif kind is Handoff:
            self.floor = event.target  # type: ignore[attr-defined]
            self.why = f"handoff from {event.source}"
        elif kind is TextMessage:
            source = event.source
            if source == USER:
                if self.floor in self.humans:  # the task is the human's answer
                    self.floor = self.last_agent or self.first_agent
                    self.why = "the task answers the human"
            elif source in self.humans:
                self.floor = self.last_agent or self.first_agent
                self.why = f"{source} answered"
            elif self.humans:
                self.floor = self.humans[0]
                self.why = f"{source} replied without a handoff"
            else:
                self.floor = source
                self.why = "no handoff: keeps the floor"

    async def next(self, team: Team) -> Choice:
        if self.floor is None:
            first = team.names[0]
            if first in self.humans and team.transcript and self.first_agent is not None:
                last = team.transcript[-1]
                if isinstance(last, TextMessage) and last.source == USER:
                    return Choice(self.first_agent, "starts (the task is the human's word)")
            return Choice(first, "starts")
        return Choice(self.floor, self.why)
