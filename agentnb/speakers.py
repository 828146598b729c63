"""Who speaks next: round robin, a model's choice (selector), or handoffs.

A speaker policy is an object with ``next(team)`` (an awaitable `Choice`) and ``reset()``.
Graph and sequential teams are run by `agentnb.graph` instead, because branches run
concurrently there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentnb.human import Human
from agentnb.messages import Event, Handoff, TextMessage, Usage
from agentnb.models.base import ModelRequest, complete, estimate_tokens
from agentnb.stop import USER

if TYPE_CHECKING:
    from agentnb.team import Team

DEFAULT_SELECTOR_PROMPT = """You choose who speaks next in a team conversation.

Participants:
{roles}

Read the conversation, then reply with only the name of the participant who should speak next."""

SELECTOR_HISTORY = 12  # the selector reads only the most recent messages: bounded cost


@dataclass(slots=True)
class Choice:
    """The next speaker, why, and the tokens the choice cost (selector only)."""

    speaker: str
    reason: str
    usage: Usage | None = None


def last_turn_event(transcript: list[Event]) -> Event | None:
    """The event that ended the most recent turn (a reply or a handoff), if any."""
    for event in reversed(transcript):
        if isinstance(event, Handoff) or (isinstance(event, TextMessage) and event.source != USER):
            return event
        if isinstance(event, TextMessage):
            return None
    return None


class RoundRobin:
    """Participants speak in the order given, over and over."""

    def __init__(self) -> None:
        self.index = 0

    def reset(self) -> None:
        self.index = 0

    async def next(self, team: Team) -> Choice:
        participant = team.participants[self.index % len(team.participants)]
        self.index += 1
        return Choice(participant.name, "round robin")


class Selector:
    """A model reads the participants' descriptions and the recent chat and names the next one.

    An invalid or (unless allowed) repeated name is sent back to the model with the reason,
    up to ``attempts`` tries; then the deterministic fallback is the participant after the
    last speaker, in the order given.
    """

    def __init__(self, prompt: str | None, allow_repeated: bool, attempts: int = 3) -> None:
        self.prompt = prompt or DEFAULT_SELECTOR_PROMPT
        self.allow_repeated = allow_repeated
        self.attempts = attempts
        self.last: str | None = None

    def reset(self) -> None:
        self.last = None

    async def next(self, team: Team) -> Choice:
        names = [p.name for p in team.participants]
        if len(names) == 1:
            return self._chosen(names[0], "only participant")
        roles = "\n".join(f"- {p.name}: {p.description}" for p in team.participants)
        recent = [e for e in team.transcript[-SELECTOR_HISTORY * 3 :] if isinstance(e, TextMessage)]
        history = "\n".join(f"{e.source}: {e.content[:500]}" for e in recent[-SELECTOR_HISTORY:])
        allowed = [n for n in names if self.allow_repeated or n != self.last]
        messages = [
            {"role": "system", "content": self.prompt.format(roles=roles, participants=", ".join(names))},
            {
                "role": "user",
                "content": f"Conversation so far:\n{history}\n\nWho speaks next? "
                f"Reply with one of: {', '.join(allowed)}.",
            },
        ]
        usage = Usage()
        problem = ""
        model = team.resolved_model()
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
            elif name not in allowed:
                problem = f"the selector chose {name} again, who just spoke"
            else:
                return self._chosen(name, "chosen by the selector model", usage)
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {
                    "role": "user",
                    "content": f"Not valid: {problem}. Reply with only one of: {', '.join(allowed)}.",
                },
            ]
        start = names.index(self.last) + 1 if self.last in names else 0
        fallback = next(n for n in names[start:] + names[:start] if n in allowed)
        return self._chosen(fallback, f"fallback after {self.attempts} tries ({problem})", usage)

    def _chosen(self, name: str, reason: str, usage: Usage | None = None) -> Choice:
        self.last = name
        return Choice(name, reason, usage)


def parse_name(text: str, names: list[str]) -> str | None:
    """The participant named in a selector reply: the whole reply, or the one name in it."""
    cleaned = text.strip().strip("`'\".,:;!* \n").lower()
    exact = {n.lower(): n for n in names}
    if cleaned in exact:
        return exact[cleaned]
    words = set(re.findall(r"[A-Za-z0-9_-]+", text.lower()))
    found = [n for n in names if n.lower() in words]
    return found[0] if len(found) == 1 else None


class HandoffRouter:
    """Control passes through ``transfer_to_<name>`` tools.

    The first participant starts. A handoff gives the floor to its target; an agent that
    answers without handing off passes to the team's human if there is one (who hands back
    to that agent by answering), and otherwise keeps the floor.
    """

    def __init__(self) -> None:
        self.current: str | None = None
        self.last_agent: str | None = None

    def reset(self) -> None:
        self.current = None
        self.last_agent = None

    async def next(self, team: Team) -> Choice:
        humans = [p.name for p in team.participants if isinstance(p, Human)]
        last = last_turn_event(team.transcript)
        if self.current is None or last is None:
            self.current = self.current or team.participants[0].name
            reason = "starts"
        elif isinstance(last, Handoff):
            self.current = last.target
            reason = f"handoff from {last.source}"
        elif last.source in humans:
            self.current = self.last_agent or team.participants[0].name
            reason = f"{last.source} answered"
        elif humans:
            self.current = humans[0]
            reason = f"{last.source} replied without a handoff"
        else:
            self.current = last.source
            reason = "no handoff: keeps the floor"
        if self.current not in humans:
            self.last_agent = self.current
        return Choice(self.current, reason)
