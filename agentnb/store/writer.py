"""The writer of one stored run: the `History` sink of a durable team.

Every event the team records is handed to `RunWriter.add`, kept in a buffer and written in one
transaction per batch: when the event loop next gets control — that is, before the run waits
for a model, a tool or a person — and at the end of every run (`release`). So a crash (a
killed kernel, ``kill -9``) loses at most what was produced since the run last waited: the
model call in flight. Token deltas are never recorded, so they cost nothing here. Every
`SNAPSHOT_EVERY` events the run's state is written too, so resuming reads one snapshot and
folds the few events after it.

A writer holds its run (`claim`) while it writes: one run, one writer. A write that fails (the
file is locked, the server restarted) keeps the events in the buffer and in the team, and is
raised once, from the next `add` — the run fails with it. From then on nothing more is
written until the team's next run claims the run again and writes what was kept: the store
is left as a crash would leave it, so ``Team.resume`` goes on from the last batch written.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from agentnb.core.errors import StoreError
from agentnb.core.events import Event, Stop
from agentnb.core.state import SNAPSHOT_EVERY, RunState
from agentnb.store.codec import NotStorable, event_text, state_text
from agentnb.store.lease import Holder, hold, let_go

Describe = Callable[[], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Batch:
    """What one write stores of a run: its events from ``first`` on (one JSON object each), the
    snapshots among them (position, state as text) with the ``signature`` of the fold that made
    them, and the run's ``state`` after them."""

    first: int
    events: Sequence[str]
    snapshots: Sequence[tuple[int, str]]
    signature: str
    state: RunState

    @property
    def end(self) -> int:
        """How many events the run has once this batch is written."""
        return self.first + len(self.events)

    @property
    def data(self) -> str:
        """The events as stored: JSON lines."""
        return "\n".join(self.events)


class Backend(Protocol):
    """What a writer needs of its store (`agentnb.store.base.RunStore` has it)."""

    def create(self, run_id: str, config: dict[str, Any], parent: int | None, fork_at: int) -> int: ...

    def write(self, key: int, holder: Holder, batch: Batch) -> None: ...

    def claim(self, key: int, holder: Holder, written: int, run_id: str) -> None: ...

    def release(self, key: int, holder: Holder) -> None: ...


def new_run_id(team: str) -> str:
    """A readable, unique run id: the team's name, the time, and a random part."""
    return f"{team}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class RunWriter:
    """Writes the run ``run_id`` of ``store`` as its team records events (see the module docstring).

    ``describe()`` gives the team's saved form, stored when the run is first written;
    ``signature`` names the team's mode and stop condition, stored with each snapshot (see
    `agentnb.core.durable.signature`). ``key`` and ``written``
    locate a run already in the store; a branch (``parent``, ``fork_at``) is a new run sharing
    its parent's first ``fork_at`` events.
    """

    def __init__(
        self,
        store: Backend,
        run_id: str,
        signature: str,
        describe: Describe,
        *,
        key: int | None = None,
        written: int = 0,
        parent: RunWriter | None = None,
    ) -> None:
        self.store, self.run_id, self.signature, self.describe = store, run_id, signature, describe
        self.key = key  # the run's row; None until the run is first written
        self.written = written  # events in the store (a branch's shared ones included)
        self.parent = parent  # the run a branch shares events with, until the branch is written
        self._events: list[Event] = []  # recorded, not written yet
        self._snapshots: list[tuple[int, RunState]] = []
        self._state: RunState | None = None
        self._lock = threading.RLock()
        self._scheduled = False
        self._holder: Holder | None = None  # while this writer holds the run
        self._failure: StoreError | None = None
        self._reported = False  # the failure was raised to the run

    def __repr__(self) -> str:
        return f"RunWriter({self.run_id!r} in {self.store}, {self.written + len(self._events)} events)"

    # ----- the History sink ------------------------------------------------------------------

    def add(self, index: int, event: Event, state: RunState) -> None:
        """Event ``index`` was recorded; it is written soon, with the next batch."""
        with self._lock:
            expected = self.written + len(self._events)
            if index != expected:
                raise StoreError(
                    f"run {self.run_id!r} in {self.store}: event {index} was recorded where event "
                    f"{expected} was expected, so it is not written; the team's history was replaced "
                    "without its store (resume the run with Team.resume)"
                )
            self._events.append(event)
            if (index + 1) % SNAPSHOT_EVERY == 0 or (event.__class__ is Stop and not event.scope):
                self._snapshots.append((index + 1, state))  # and at each run's end: resumed as it is
            self._state = state
        if self._failure is not None and not self._reported:
            self._reported = True
            raise self._failure
        if not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # plain code (a decision, a load): written at once
                self.flush()
                return
            self._scheduled = True
            loop.call_soon(self._flush_soon)

    def branch(self, k: int) -> RunWriter:
        """The writer of a new run sharing this one's first ``k`` events (written when it first is)."""
        name = str(self.describe().get("name", "team"))
        return RunWriter(
            self.store, new_run_id(name), self.signature, self.describe, written=k, parent=self if k else None
        )

    # ----- holding and writing -----------------------------------------------------------------

    def claim(self) -> None:
        """Hold the run for this writer (a run of the team starts); `RunBusyError` if another does.

        Events still waiting from a failed write are written first.
        """
        with self._lock:
            self._claim()
            try:
                self.flush()
            except BaseException:
                self._let_go()
                raise

    def release(self) -> None:
        """Write what is left and let the run go (the team's run ended).

        After a write failure the run reported, nothing is written: the events stay in the team
        and in this writer, and the next `claim` writes them.
        """
        try:
            if not self._reported:
                self.flush()
        finally:
            with self._lock:
                self._let_go()

    def flush(self) -> None:
        """Write the events recorded so far, in one transaction (holding the run meanwhile)."""
        with self._lock:
            self._scheduled = False
            count = len(self._events)
            if not count:
                return
            temporary = self._holder is None
            if temporary:
                self._claim()
            try:
                texts = [event_text(event) for event in self._events[:count]]
                states = []
                for index, state in self._snapshots:
                    with contextlib.suppress(NotStorable):  # resuming folds from an earlier one instead
                        states.append((index, state_text(state)))
                assert self.key is not None and self._state is not None and self._holder is not None
                batch = Batch(self.written, texts, states, self.signature, self._state)
                self.store.write(self.key, self._holder, batch)
                self.written += count
                del self._events[:count]
                self._snapshots.clear()
                self._failure, self._reported = None, False
            finally:
                if temporary:
                    self._let_go()

    def _flush_soon(self) -> None:
        if self._reported:  # the run failed writing: the next claim writes what is kept
            return
        try:
            self.flush()
        except StoreError as exc:
            self._failure = exc  # raised by the next add(), in the run
        except Exception as exc:  # a driver's own error, made one a person can read
            self._failure = StoreError(f"run {self.run_id!r} in {self.store}: writing failed: {exc}")

    def _claim(self) -> None:
        if self._holder is not None:
            return
        if self.key is None:
            self._create()
        holder = Holder.me()
        assert self.key is not None
        self.store.claim(self.key, holder, self.written, self.run_id)
        hold(holder)
        self._holder = holder

    def _let_go(self) -> None:
        holder, self._holder = self._holder, None
        if holder is None:
            return
        let_go(holder)  # from now on nobody takes it for a live writer, even if the store cannot be told
        if self.key is not None:
            with contextlib.suppress(StoreError):
                self.store.release(self.key, holder)

    def _create(self) -> None:
        """Write the run's row; a branch's shared events are written by its parent first."""
        parent, parent_key = self.parent, None
        if parent is not None:
            parent.flush()
            if parent.key is None or parent.written < self.written:
                raise StoreError(
                    f"cannot write run {self.run_id!r} to {self.store}: it shares the first {self.written} "
                    f"events of run {parent.run_id!r}, which are not all in the store"
                )
            parent_key = parent.key
        self.key = self.store.create(self.run_id, self.describe(), parent_key, self.written if parent else 0)
        self.parent = None
