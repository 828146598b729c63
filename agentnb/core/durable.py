"""Durable runs: the team's side of writing its runs to a store and going on from one.

``Team(..., store=...)`` gives the team's `History` a writer as its ``sink`` (`attach`): every
recorded event goes to the store (`agentnb.store`) in one transaction per batch, with a
snapshot of the run's state every ``SNAPSHOT_EVERY`` events. A run holds its stored run while it
goes (`hold`, `let_go`: one run, one writer) and writes what is left when it ends.
``Team.resume(store, run_id, participants)`` builds the team from the run's saved
configuration and the history the store gives (`resume`): the state from the latest snapshot,
the transcript read when it is used. A rewind or fork of a stored team is a new stored run
that shares its parent's events (`History.prefix` asks the writer for a branch).

The core does not import the stores: a path or URL is opened through the ``open_store`` plug
(`agentnb.core.plugins`), and a store is used through the small protocols below.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from types import MethodType
from typing import Any, Protocol

from agentnb.core import plugins
from agentnb.core.errors import ConfigError, SavedFileError
from agentnb.core.events import Event, events_to_data
from agentnb.core.saved import envelope
from agentnb.core.state import Fold, History, Sink

Describe = Callable[[], dict[str, Any]]


class Writer(Sink, Protocol):
    """The writer of one stored run (`agentnb.store.writer.RunWriter`)."""

    run_id: str
    store: Any
    signature: str
    describe: Describe

    def claim(self) -> None: ...

    def release(self) -> None: ...


class StoredRun(Protocol):
    """A run read back from a store (`agentnb.store.base.StoredRun`)."""

    def config(self) -> dict[str, Any]: ...

    def history(self, fold: Fold, signature: str) -> History: ...


class RunStore(Protocol):
    """What a team needs of a run store (`agentnb.store.base.RunStore` has more)."""

    def writer(self, run_id: str | None, signature: str, describe: Describe) -> Writer: ...

    def open_run(self, run_id: str) -> StoredRun: ...


def signature(fold: Fold) -> str:
    """The mode and stop condition a run's state is folded with (the mode, a line break, the
    condition): a store uses a snapshot only for a team with the same mode, and makes the
    condition's part again for a team with another condition."""
    condition = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(fold.condition))
    return f"{fold.mode.signature()}\n{condition}"


def attach(team: Any, history: History, store: Any, run_id: str | None) -> History:
    """``history``, written to ``store`` (a path, URL or store) as run ``run_id`` (None: a new
    one) of ``team`` when a store is given."""
    if store is None:
        if run_id is not None:
            raise ConfigError("run_id: names the team's run in a store; give store= too")
        return history
    opened: RunStore = plugins.open_store(store)
    history.sink = opened.writer(run_id, signature(history.fold), team.stored_form)
    return history


def describe(history: History, team: Any) -> History:
    """``history``, whose stored run (if any) belongs to ``team`` (a fork's own run)."""
    writer = history.sink
    if writer is not None:
        writer.describe = team.stored_form  # type: ignore[attr-defined]
    return history


def keep(old: History, new: History) -> History:
    """``new`` (the same events, folded with another stop condition) goes on writing ``old``'s run."""
    new.sink = writer = old.sink
    if writer is not None:
        writer.signature = signature(new.fold)  # type: ignore[attr-defined]
    return new


def hold(history: History) -> None:
    """A run starts: it becomes its stored run's one writer (`RunBusyError` if another is)."""
    writer = history.sink
    if writer is not None:
        writer.claim()  # type: ignore[attr-defined]


def let_go(history: History) -> None:
    """A run ended: what it recorded is written, and the stored run is free for another writer."""
    writer = history.sink
    if writer is not None:
        writer.release()  # type: ignore[attr-defined]


def record_now(history: History, event: Event) -> None:
    """Record ``event`` outside a run (a decision) and write it to the store at once."""
    hold(history)
    try:
        history.record(event)
    finally:
        let_go(history)


class either:  # lower case: used as a decorator, like classmethod
    """A method that works on an instance and on its class (``team.resume()`` and
    ``Team.resume(store, run_id, participants)``): it gets the one it was called on first."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return MethodType(self.fn, owner if obj is None else obj)


def resume(cls: type, store: Any, run_id: str, participants: Sequence[Any], **options: Any) -> Any:
    """The team of run ``run_id`` in ``store``, built from ``participants`` and the saved options
    (``options`` given here win), ready to go on from where the run stopped."""
    from agentnb.core.team_state import check_state, config_for_load  # loaded when used

    opened: RunStore = plugins.open_store(store)
    stored = opened.open_run(run_id)
    where = f"run {run_id!r} in {opened}"
    data = stored.config()
    config = config_for_load(data, where, options)
    try:
        team = cls(participants, **config)
    except (ValueError, TypeError) as exc:
        raise SavedFileError(f"{where}: the saved team cannot be rebuilt: {exc}") from None
    check_state(data, where, team.names, team.mode)
    team.history = stored.history(team.history.fold, signature(team.history.fold))
    for participant in team.participants:
        if isinstance(participant, cls):  # a nested team goes on from its part of the run
            inner = f"{where} (team {participant.name!r})"
            participant.load_state(_nested(participant, team.transcript), where=inner)
    return team


def _nested(team: Any, outer: Sequence[Event]) -> dict[str, Any]:
    """The saved form of nested ``team`` from the outer run's events (its own, scoped by its name)."""
    inner = f"{team.name}/"
    events = [
        dataclasses.replace(event, scope=event.scope[len(inner) :] if event.scope != team.name else "")
        for event in outer
        if event.scope == team.name or event.scope.startswith(inner)
    ]
    from agentnb.core.team_state import KIND, VERSION

    return envelope(KIND, VERSION, participants=team.names, mode=team.mode, transcript=events_to_data(events))
