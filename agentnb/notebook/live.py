"""Run a team from a cell: a live chat while it runs, a deterministic output once it ends.

The chat is displayed with its static rendering alongside the widget view. When the run
ends, that display is replaced by the very same static bundle it started with (the title
line), without the widget, and the cell's result shows the transcript. So a saved notebook
holds no widget state, and what nbval compares (text/plain, text/html) is the same
whether or not the update was applied.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

from agentnb.errors import RunError
from agentnb.human import Human
from agentnb.notebook.bridge import HumanBridge
from agentnb.notebook.pump import kernel_pump
from agentnb.notebook.runner import ServeError, run_blocking
from agentnb.notebook.widget import ChatWidget
from agentnb.team import Team, TeamResult


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
    label = "team" if team.name == "team" else f"team {team.name}"  # not "team team"
    return f"agentnb · {label} ({team.mode}): {names}"


def run_with_chat(
    shell: Any, team: Team, task: str | None, *, humans: Sequence[Human] = (), max_rate: float = 20.0
) -> TeamResult:
    """Run ``team`` while a `ChatWidget` shows it; ``humans`` answer in the chat."""
    from IPython.display import display

    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    chat = ChatWidget(
        title(team),
        max_turns=team.max_turns,
        model=team.resolved_model().name,
        on_stop=team.stop,
        max_rate=max_rate,
        participants=[p.name for p in team.participants],
    )
    opening = chat.static_bundle()
    handle = display(chat, display_id=True)
    bridge = HumanBridge(inbox.put)
    try:
        with ExitStack() as stack:
            for human in humans:
                stack.enter_context(bridge.attached(human))
            result = run_blocking(team, task, inbox=inbox, view=chat, pump=kernel_pump(shell))
    except RunError as exc:
        problem = _close(chat, handle, opening, keep_transcript=True)  # what happened before the error
        if problem is not None:
            exc.add_note(f"closing the live chat failed too: {problem}")
        raise
    except BaseException:
        _close(chat, handle, opening, keep_transcript=False)
        raise
    problem = _close(chat, handle, opening, keep_transcript=False)
    if problem is not None:
        raise ServeError(
            f"team {team.name!r} finished, but closing its live chat failed: {type(problem).__name__}: "
            f"{problem}. The result is "
            "kept (team.last_result); %%agentteam --no-stream runs without the live chat.",
            result,
        ) from problem
    return result


def _close(
    chat: ChatWidget, handle: Any, opening: dict[str, str], *, keep_transcript: bool
) -> Exception | None:
    """End the chat's display with its opening bundle (or the transcript so far); free its widgets.

    Never raises: a chat that broke while the team ran may break again here, and the error
    already on its way is the one to show. Returns the first failure instead.
    """
    problems: list[Exception] = []
    _attempt(chat.finish, problems)
    final = (_attempt(chat.static_bundle, problems) if keep_transcript else None) or opening
    _attempt(lambda: handle.update(final, raw=True), problems)
    _attempt(chat.dispose, problems)
    return problems[0] if problems else None


def _attempt(step: Callable[[], Any], problems: list[Exception]) -> Any:
    try:
        return step()
    except Exception as exc:
        problems.append(exc)
        return None
