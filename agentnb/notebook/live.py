"""Run a team from a cell: a live chat while it runs, a deterministic output once it ends.

The chat is displayed with its static rendering alongside the widget view. When the run
ends, that display is replaced by the very same static bundle it started with (the title
line; with the live trace, the trace in event order below it), without the widget, and
the cell's result shows the transcript. So a saved notebook holds no widget state, and
what nbval compares (text/plain, text/html) is the same whether or not the update was
applied.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from agentnb.core.errors import RunError
from agentnb.core.events import Event, SpeakerSelected
from agentnb.core.human import Human
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.notebook.bridge import HumanBridge
from agentnb.notebook.pump import kernel_pump
from agentnb.notebook.runner import ServeError, run_blocking
from agentnb.notebook.trace_view import TraceWidget, Views
from agentnb.notebook.widget import ChatWidget
from agentnb.views import xray
from agentnb.views.chat import Style
from agentnb.views.checkpoints import context_at, team_label

SEARCH_WINDOW = 10_000  # how far back from the transcript's end an event is looked for


def live_chat_available(shell: Any) -> bool:
    """Widgets render only in a kernel with a front end (not in terminal IPython)."""
    return getattr(shell, "kernel", None) is not None


def person_can_answer(shell: Any) -> bool:
    """False when the running cell came from a front end nobody answers in (nbclient, nbconvert).

    Such front ends send execute requests with ``allow_stdin=False`` (ipykernel keeps it as
    ``_allow_stdin``); JupyterLab, Notebook and VS Code send True. A question in the chat
    would otherwise wait for nobody until the cell times out.
    """
    return bool(getattr(getattr(shell, "kernel", None), "_allow_stdin", True))


def title(team: Team) -> str:
    names = ", ".join(p.name for p in team.participants)
    return f"agentnb · {team_label(team.name)} ({team.mode}): {names}"


def locate(team: Team, event: Event) -> int | None:
    """Where ``event`` (that very object) is in ``team``'s transcript, looking back from its end."""
    transcript = team.transcript
    end = len(transcript)
    begin = max(0, end - SEARCH_WINDOW)
    recent = transcript[begin:end]
    for i in range(len(recent) - 1, -1, -1):
        if recent[i] is event:
            return begin + i
    return None


def xray_html(team: Team, event: SpeakerSelected) -> str:
    """The X-ray at a turn: what the chosen speaker's next model call receives (read from a fork).

    The team keeps running meanwhile; a fork of it at the turn's checkpoint is what is read.
    """
    where = locate(team, event)
    head = f"X-ray · turn {event.turn}: what {event.speaker} receives next"
    if where is None:
        return xray.xray_panel(head, None, note="this turn is no longer in the transcript")
    try:
        preview = context_at(team, where + 1, event.speaker)
    except Exception as exc:  # e.g. a person's turn: no model context; never stop the run for a view
        return xray.xray_panel(head, None, note=str(exc))
    code = f"team.participant({event.speaker!r}).context_preview(team.fork({where + 1}))"
    return xray.xray_panel(head, preview, note=f"checkpoint #{where + 1}", code=code)


def run_with_chat(
    shell: Any,
    team: Team,
    task: str | None,
    *,
    humans: Sequence[Human] = (),
    max_rate: float = 20.0,
    trace: bool = False,
    style: Style | None = None,
    decide: bool = False,
) -> TeamResult:
    """Run ``team`` while a `ChatWidget` shows it; ``humans`` answer in the chat.

    ``trace`` shows the run's trace live beside the chat (and, without clock times, in the
    saved output); ``style`` is the chat's style (None: the current default). ``decide``: a
    person is at the chat, so a run that ends waiting for a decision asks it there (the
    approval box, the answer box) and goes on.
    """
    from IPython.display import display

    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    tracer = TraceWidget() if trace else None
    chat = ChatWidget(
        title(team),
        max_turns=team.max_turns,
        model=team.resolved_model().name,
        on_stop=team.stop,
        max_rate=max_rate,
        participants=[p.name for p in team.participants],
        xray=None if team.mode == "plan" else (lambda event: xray_html(team, event)),
        beside=tracer,
        style=style,
    )
    opening = chat.static_bundle()
    handle = display(chat, display_id=True)
    bridge = HumanBridge(inbox.put)
    view = chat if tracer is None else Views(chat, tracer)
    closing = _Closing(team, chat, handle, opening, tracer)
    try:
        with ExitStack() as stack:
            for human in humans:
                stack.enter_context(bridge.attached(human))
            decider = bridge.decider(team) if decide else None
            result = run_blocking(team, task, inbox=inbox, view=view, pump=kernel_pump(shell), decide=decider)
    except RunError as exc:
        problem = closing(exc.result, keep_transcript=True)  # what happened before the error
        if problem is not None:
            exc.add_note(f"closing the live chat failed too: {problem}")
        raise
    except BaseException:
        closing(team.last_result, keep_transcript=False)
        raise
    problem = closing(result, keep_transcript=False)
    if problem is not None:
        raise ServeError(
            f"team {team.name!r} finished, but closing its live chat failed: {type(problem).__name__}: "
            f"{problem}. The result is "
            "kept (team.last_result); %%agentteam --no-stream runs without the live chat.",
            result,
        ) from problem
    return result


class _Closing:
    """Ends a chat's display: the opening bundle (or the transcript so far), the trace; frees widgets."""

    def __init__(
        self, team: Team, chat: ChatWidget, handle: Any, opening: dict[str, str], tracer: TraceWidget | None
    ) -> None:
        self.team, self.chat, self.handle, self.opening, self.tracer = team, chat, handle, opening, tracer

    def __call__(self, result: TeamResult | None, *, keep_transcript: bool) -> Exception | None:
        """Never raises: a chat that broke while the team ran may break again here, and the error
        already on its way is the one to show. Returns the first failure instead."""
        problems: list[Exception] = []
        chat = self.chat
        _attempt(chat.finish, problems)
        final = self.opening
        if keep_transcript:
            final = _attempt(lambda: chat.static_bundle(self._start()), problems) or final
        if self.tracer is not None:
            tracer = self.tracer
            _attempt(lambda: tracer.finish(result), problems)
            final = _attempt(lambda: _joined(final, tracer.static_bundle()), problems) or final
        _attempt(lambda: self.handle.update(final, raw=True), problems)
        _attempt(chat.dispose, problems)
        return problems[0] if problems else None

    def _start(self) -> int | None:
        """The transcript position of the chat's first event: messages then show checkpoint numbers."""
        events = self.chat.events
        return None if not events else locate(self.team, events[0])


def _joined(first: dict[str, str], second: dict[str, str]) -> dict[str, str]:
    """Two display bundles shown as one, the second below the first."""
    return {
        "text/plain": f"{first['text/plain']}\n\n{second['text/plain']}",
        "text/markdown": f"{first['text/markdown']}\n\n{second['text/markdown']}",
        "text/html": first["text/html"] + second["text/html"],
    }


def _attempt(step: Callable[[], Any], problems: list[Exception]) -> Any:
    try:
        return step()
    except Exception as exc:
        problems.append(exc)
        return None
