"""A team's durable runs and the decisions people make later: the `Team` methods for both.

``Team(..., store="runs.db")`` (a SQLite file, a ``postgresql://`` URL or a store object from
`agentnb.store`) writes every run of the team as it happens, as run ``run_id`` (default: a new
id); ``Team.resume(store, run_id, participants)`` goes on with it — after a kernel restart, a
crash, or in another process (`agentnb.core.durable`). A run that waits for a person
(``approver="later"``, ``Human(name, input_fn="later")``) lists what it waits for in `pending`;
`approve`, `reject` and `answer` record the decision, and the next ``run()`` goes on
(`agentnb.core.waiting`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentnb.core import durable, waiting
from agentnb.core.errors import ConfigError
from agentnb.core.events import Event

if TYPE_CHECKING:
    from agentnb.core.slot import RunSlot
    from agentnb.core.state import History


class DurableRuns:
    """What a `Team` adds for runs kept in a store and for decisions made later."""

    history: History
    slot: RunSlot
    name: str
    mode: str
    names: list[str]
    options: dict[str, Any]
    approver_name: str
    transcript: Any
    participant: Callable[[str], Any]
    run: Callable[..., Any]

    @durable.either
    def resume(self: Any, *args: Any, **options: Any) -> Any:
        """``team.resume()``: go on from where the last run stopped (``run()`` with no task).

        ``Team.resume(store, run_id, participants, **options)``: the team of a stored run, built
        from ``participants`` and the options saved with the run (those given here win), ready
        to go on where it stopped — after a kernel restart, a crash, or in another process.
        """
        if isinstance(self, DurableRuns):
            if args or options:
                raise ConfigError(
                    "team.resume() goes on with this team; to go on with a stored run, call "
                    "Team.resume(store, run_id, participants) on the class"
                )
            return self.run()
        return durable.resume(self, *args, **options)

    @property
    def run_id(self) -> str | None:
        """The id of the team's run in its store (None: the team has no store)."""
        return getattr(self.history.sink, "run_id", None)

    def stored_form(self) -> dict[str, Any]:
        """What a store keeps with each run of this team: its saved form, without the events."""
        from agentnb.core.team_state import state_data

        return state_data(self.name, self.mode, self.names, self.options, (), {})

    def pending(self) -> list[waiting.Pending]:
        """What the team waits for: approvals of tool calls, or a person's answer."""
        return waiting.pending(self.transcript, self.history.state, self.participant, self.approver_name)

    def approve(self, call_id: str, *, edit: Any = None, comment: str = "") -> None:
        """Approve a waiting tool call (``edit``: arguments to change); ``run()`` then runs it."""
        self._decide(waiting.approval(self.pending(), call_id, True, comment, edit))

    def reject(self, call_id: str, reason: str = "") -> None:
        """Reject a waiting tool call; ``run()`` gives the agent the rejection and ``reason``."""
        self._decide(waiting.approval(self.pending(), call_id, False, reason, None))

    def answer(self, human: str, text: str) -> None:
        """Give the waiting person's answer (their turn); ``run()`` goes on from it."""
        self._decide(waiting.answer(self.pending(), human, text))

    def _decide(self, event: Event) -> None:
        self.slot.check_idle("deciding")
        durable.record_now(self.history, event)
