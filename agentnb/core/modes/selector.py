"""Selector: a function or a model picks who speaks next from the participants' descriptions.

``candidate_func(transcript)`` narrows who may speak; ``selector_func(transcript)`` names
the speaker, or returns None to let the model choose. The model sees the participants'
descriptions and the recent chat; an invalid or (unless allowed) repeated name goes back
to it with the reason, up to ``attempts`` tries; then the deterministic fallback is the
next candidate after the last speaker. With a single candidate no model is called.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Sequence
from typing import Any

from agentnb.core.errors import ConfigError
from agentnb.core.events import Event, SpeakerSelected, TextMessage, Usage
from agentnb.core.model import ModelRequest, complete, estimate_tokens
from agentnb.core.modes.base import Choice, Mode, RunView, Start, last_speaker_step

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


def check_selector_prompt(prompt: str) -> str:
    """Reject a selector prompt with placeholders other than `SELECTOR_PLACEHOLDERS`."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(prompt) if f is not None]
    except ValueError as exc:
        raise ConfigError(f"selector_prompt: {exc}; write a literal brace as {{{{ or }}}}") from None
    valid = ", ".join("{" + k + "}" for k in SELECTOR_PLACEHOLDERS)
    for name in fields:
        if name not in SELECTOR_PLACEHOLDERS:
            shown = "{" + name + "}" if name else "{}"
            raise ConfigError(
                f"selector_prompt: unknown placeholder {shown}; the placeholders are {valid} "
                "(write a literal brace as {{ or }})"
            )
    return prompt


class Selector(Mode):
    """Picks the next speaker: a function, or a model reading descriptions and the chat.

    The state is the last speaker's name (it may not speak twice in a row unless
    ``allow_repeated``).
    """

    name = "selector"
    reads = frozenset({SpeakerSelected})

    def __init__(
        self,
        prompt: str | None = None,
        allow_repeated: bool = False,
        *,
        selector_func: SelectorFunc | None = None,
        candidate_func: CandidateFunc | None = None,
        attempts: int = 3,
    ) -> None:
        if prompt is not None and not isinstance(prompt, str):
            raise ConfigError(
                f"selector_prompt: expected text with placeholders {{roles}}, ..., got {prompt!r}"
            )
        for label, fn in (("selector_func", selector_func), ("candidate_func", candidate_func)):
            if fn is not None and not callable(fn):
                raise ConfigError(f"{label}: expected a function of the transcript, got {fn!r}")
        self.prompt = check_selector_prompt(prompt) if prompt is not None else DEFAULT_SELECTOR_PROMPT
        self.allow_repeated = bool(allow_repeated)
        self.selector_func = selector_func
        self.candidate_func = candidate_func
        self.attempts = attempts

    def step(self, state: str | None, event: Event) -> str | None:
        return last_speaker_step(state, event)

    def peek(self, state: str | None, names: Sequence[str]) -> tuple[str, ...]:
        """Who may speak next (the selector chooses among them when the turn comes)."""
        if self.candidate_func is not None or self.selector_func is not None:
            return tuple(names)
        return tuple(n for n in names if self.allow_repeated or n != state) or tuple(names)

    def candidates(self, run: RunView) -> list[str]:
        names = run.names
        if self.candidate_func is None:
            return list(self.peek(run.mode_state, names))
        chosen = self.candidate_func(run.transcript)
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

    async def next(self, run: RunView) -> list[Start]:
        choice = await self.choose(run)
        return [Start(choice.speaker, run.participant(choice.speaker), choice)]

    async def choose(self, run: RunView) -> Choice:
        candidates = self.candidates(run)
        if self.selector_func is not None:
            name = self.selector_func(run.transcript)
            if name is not None:
                if name not in run.names:
                    raise ValueError(
                        f"selector_func returned {name!r}, which is not a participant "
                        f"(participants: {', '.join(run.names)}); return a name or None"
                    )
                return Choice(name, "chosen by selector_func")
        if len(candidates) == 1:
            return Choice(candidates[0], "the only candidate")
        return await self._ask_model(run, candidates)

    def _messages(self, run: RunView, candidates: list[str]) -> list[dict[str, Any]]:
        roles = "\n".join(f"- {p.name}: {p.description}" for p in run.participants())
        recent = [e for e in run.transcript[-SELECTOR_HISTORY * 3 :] if isinstance(e, TextMessage)]
        history = "\n".join(f"{e.source}: {e.content[:500]}" for e in recent[-SELECTOR_HISTORY:])
        system = self.prompt.format(roles=roles, participants=", ".join(run.names), history=history)
        ask = f"Who speaks next? Reply with one of: {', '.join(candidates)}."
        if "{history}" not in self.prompt:
            ask = f"Conversation so far:\n{history}\n\n{ask}"
        return [{"role": "system", "content": system}, {"role": "user", "content": ask}]

    async def _ask_model(self, run: RunView, candidates: list[str]) -> Choice:
        messages = self._messages(run, candidates)
        names, last = run.names, run.mode_state
        usage = Usage()
        problem = ""
        model = run.model()
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
                again = name == last and not self.allow_repeated and self.candidate_func is None
                problem = f"the selector chose {name}" + (
                    " again, who just spoke" if again else ", who may not speak now"
                )
            else:
                return Choice(
                    name,
                    "chosen by the selector model",
                    usage,
                    reply.model or model.name,
                    started,
                    model.name,
                )
            messages = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {
                    "role": "user",
                    "content": f"Not valid: {problem}. Reply with only one of: {', '.join(candidates)}.",
                },
            ]
        start = names.index(last) + 1 if last in names else 0
        fallback = next(n for n in names[start:] + names[:start] if n in candidates)
        return Choice(
            fallback, f"fallback after {self.attempts} tries ({problem})", usage, model.name, started
        )

    def describe(self) -> str:
        return "Selector()"


def parse_name(text: str, names: list[str]) -> str | None:
    """The participant named in a selector reply: the whole reply, or the one name in it."""
    cleaned = text.strip().strip("`'\".,:;!* \n").lower()
    exact = {n.lower(): n for n in names}
    if cleaned in exact:
        return exact[cleaned]
    words = set(re.findall(r"[A-Za-z0-9_-]+", text.lower()))
    found = [n for n in names if n.lower() in words]
    return found[0] if len(found) == 1 else None
