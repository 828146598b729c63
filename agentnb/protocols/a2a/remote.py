"""`RemoteAgent`: an agent of another framework, reached over A2A, as a participant like any other.

Its turn sends what the conversation said since its last turn (the task, then the others'
messages) as one A2A message in a conversation (``context_id``) of its own, and streams the
remote agent's updates as events: the messages it reports while working are shown nested
under its name (``scope``), its answer's text streams as token deltas, and the answer is its
message. A remote task that needs input, fails, is rejected or cancelled ends the run with a
`Stop` that says so; an input-required task is continued by the next turn's message.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx
from a2a.client import A2ACardResolver, A2AClientError, Client, ClientConfig, ClientFactory
from a2a.helpers.proto_helpers import get_message_text
from a2a.types import AgentCard, Message, Part, Role, SendMessageRequest, StreamResponse, TaskState

from agentnb.core.agent import check_name
from agentnb.core.events import USER, Event, Stop, TextMessage, TokenDelta
from agentnb.core.lifecycle import on_run_end
from agentnb.core.turn import TurnContext
from agentnb.protocols.a2a.serve import SOURCE_KEY, message_text

ENDED = {
    TaskState.TASK_STATE_FAILED: "failed",
    TaskState.TASK_STATE_REJECTED: "was rejected",
    TaskState.TASK_STATE_CANCELED: "was cancelled",
    TaskState.TASK_STATE_AUTH_REQUIRED: "needs authentication this client cannot give",
}


def name_from_url(url: str) -> str:
    """A participant name from an agent's address: its last path segment, or its host."""
    path = re.sub(r"^[a-z]+://", "", url).rstrip("/")
    last = path.rsplit("/", 1)[-1] if "/" in path else "remote_" + path
    name = re.sub(r"[^A-Za-z0-9_-]", "_", last)
    return name if re.match(r"^[A-Za-z_]", name) else f"remote_{name}"


class RemoteAgent:
    """A participant backed by a remote A2A agent at ``url`` (its card is read on first use).

    ``name`` defaults to the address's last path segment; ``timeout`` bounds one turn's
    wait for the remote agent (seconds); ``headers`` go with every request (a token).
    ``streaming=False`` asks for the answer in one reply: no updates while the remote agent
    works, but a round trip about half as long (the SDK's streaming costs ~7 ms on localhost).
    """

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float = 300.0,
        headers: Mapping[str, str] | None = None,
        streaming: bool = True,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"url: expected the remote agent's http(s) address, got {url!r}")
        self.url = url
        self.name = check_name(name or name_from_url(url))
        self.description = description or f"A remote agent (A2A) at {url}."
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.streaming = bool(streaming)
        self.card: AgentCard | None = None
        self._client: tuple[asyncio.AbstractEventLoop, Client, httpx.AsyncClient] | None = None
        self._thread: Sequence[Event] | None = None
        self._seen = 0
        self._context_id = ""
        self._task_id = ""  # a remote task waiting for input, continued by the next message

    def __repr__(self) -> str:
        return f"RemoteAgent({self.name!r}, {self.url!r})"

    def reset(self) -> None:
        """Start a new remote conversation at the next turn."""
        self._thread, self._seen, self._context_id, self._task_id = None, 0, "", ""

    async def turn(self, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        """Send the conversation's new messages, stream the remote agent's updates, end with its answer."""
        request = SendMessageRequest(message=self._next_message(thread))
        answer: list[str] = []
        try:
            client = await self._connect()
            async for response in client.send_message(request):
                for event in self._events(response, answer, ctx):
                    yield event
                    if event.__class__ is Stop:
                        return
        except (A2AClientError, httpx.HTTPError, OSError, TimeoutError) as exc:
            yield Stop(source=self.name, reason=f"{self.name}: {self._unreachable(exc)}", step=ctx.step)
            return
        self._task_id = ""
        text = "".join(answer)
        if not text:
            yield Stop(
                source=self.name,
                reason=f"{self.name}: the remote agent ended without an answer",
                step=ctx.step,
            )
            return
        yield TextMessage(source=self.name, content=text, step=ctx.step)

    def _next_message(self, thread: Sequence[Event]) -> Message:
        """The A2A message for this turn: what others said since this agent's last turn."""
        if thread is not self._thread or len(thread) < self._seen:
            self._thread, self._seen, self._context_id, self._task_id = thread, 0, uuid.uuid4().hex, ""
        new = [
            e
            for e in thread[self._seen :]
            if e.__class__ is TextMessage and not e.scope and e.source != self.name
        ]
        self._seen = len(thread)
        if len(new) == 1 and new[0].source == USER:
            text = new[0].content  # type: ignore[attr-defined]
        else:
            text = "\n\n".join(f"{e.source}: {e.content}" for e in new) or "Continue."  # type: ignore[attr-defined]
        return Message(
            role=Role.ROLE_USER,
            message_id=uuid.uuid4().hex,
            context_id=self._context_id,
            task_id=self._task_id,
            parts=[Part(text=text)],
        )

    def _events(self, response: StreamResponse, answer: list[str], ctx: TurnContext) -> list[Event]:
        """The agentnb events one streamed A2A response stands for (a `Stop` ends the turn)."""
        if response.HasField("message"):
            text = get_message_text(response.message)
            answer.append(text)
            return [TokenDelta(source=self.name, text=text, step=ctx.step)] if text else []
        if response.HasField("artifact_update"):
            text = message_text(response.artifact_update.artifact.parts)
            answer.append(text)
            return [TokenDelta(source=self.name, text=text, step=ctx.step)] if text else []
        if response.HasField("status_update"):
            status = response.status_update.status
            self._task_id = response.status_update.task_id
        elif response.HasField("task"):
            status = response.task.status
            self._task_id = response.task.id
            if status.state == TaskState.TASK_STATE_COMPLETED and not answer:
                answer.extend(message_text(a.parts) for a in response.task.artifacts)
        else:
            return []
        said = get_message_text(status.message) if status.HasField("message") else ""
        events: list[Event] = []
        if said and status.state == TaskState.TASK_STATE_WORKING:
            author = (
                str(status.message.metadata[SOURCE_KEY])
                if SOURCE_KEY in status.message.metadata
                else self.name
            )
            events.append(TextMessage(source=author, content=said, scope=self.name, step=ctx.step))
        elif said and status.state == TaskState.TASK_STATE_COMPLETED and not answer:
            answer.append(said)
            events.append(TokenDelta(source=self.name, text=said, step=ctx.step))
        elif status.state == TaskState.TASK_STATE_INPUT_REQUIRED:
            question = f": {said}" if said else ""
            if said:
                events.append(TextMessage(source=self.name, content=said, step=ctx.step))
            events.append(
                Stop(
                    source=self.name,
                    reason=f"{self.name}: the remote agent needs input{question}; answer it with "
                    "team.run('your answer') to continue its task",
                    step=ctx.step,
                )
            )
        elif status.state in ENDED:
            why = f": {said}" if said else ""
            events.append(
                Stop(
                    source=self.name,
                    reason=f"{self.name}: the remote task {ENDED[status.state]}{why}",
                    step=ctx.step,
                )
            )
            self._task_id = ""
        return events

    async def _connect(self) -> Client:
        """An A2A client on this event loop (closed when the run ends); the card is read once."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client[0] is loop:
            return self._client[1]
        http = httpx.AsyncClient(headers=self.headers, timeout=httpx.Timeout(30.0, read=self.timeout))
        try:
            if self.card is None:
                self.card = await A2ACardResolver(http, self.url).get_agent_card()
                if self.description.startswith("A remote agent (A2A)") and self.card.description:
                    self.description = self.card.description
            config = ClientConfig(streaming=self.streaming, httpx_client=http)
            client = ClientFactory(config).create(self.card)
        except BaseException:
            await http.aclose()
            raise
        self._client = (loop, client, http)
        on_run_end(self.aclose)
        return client

    async def aclose(self) -> None:
        """Close the connection (the end of a run does it); the next turn opens another."""
        held, self._client = self._client, None
        if held is not None and held[0] is asyncio.get_running_loop():
            await held[1].close()
            await held[2].aclose()

    def _unreachable(self, exc: BaseException) -> str:
        detail = str(exc) or type(exc).__name__
        kind = type(exc).__name__
        return f"the remote agent at {self.url} could not be reached or failed ({kind}: {detail[:300]})"

    def __getstate__(self) -> dict[str, Any]:
        """Copies (a team's fork) share the address and card, not the connection or conversation."""
        state = dict(self.__dict__)
        state.update(_client=None, _thread=None, _seen=0, _context_id="", _task_id="")
        return state
