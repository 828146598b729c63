"""The trace in Jupyter: a live trace view to show beside the chat, and ``%agenttrace``.

`TraceWidget` takes a run's events like the chat does (``feed``/``flush``) and redraws the
trace view at most once a second; its display bundle carries the static view too, so a
saved notebook shows the trace without widgets. ``%agenttrace`` shows the trace of a
finished run: a `TeamResult`, a `Team` (its last run), a `Trace` or a list of events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from agentnb.core.events import Event
from agentnb.notebook.bridge import Ask
from agentnb.trace import Trace
from agentnb.trace.otel import PHOENIX_ENDPOINT
from agentnb.views.trace import TraceView

_last: list[Any] = []  # the last run `remember` was given (the %%agentteam magic's result)


def remember(result: Any) -> None:
    """Keep ``result`` as the run ``%agenttrace`` shows when given no name."""
    _last[:] = [result]


def participants_of(value: Any) -> list[str]:
    """The team order of a `TeamResult` or a `Team` (their agents' colours), else none."""
    last = getattr(value, "last_result", None)
    names = getattr(value, "names", None) or getattr(last or value, "participants", None)
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def as_trace(value: Any, what: str = "the value") -> Trace:
    """A `Trace` of a `TeamResult`, a `Team`'s last run, a `Trace` or a list of events (content shown)."""
    if isinstance(value, Trace):
        return value
    if hasattr(value, "last_result") and hasattr(value, "participants"):  # a Team
        if value.last_result is None:
            raise UsageError(f"{what}: team {value.name!r} has not run yet; run it first")
        value = value.last_result
    messages = getattr(value, "messages", value)
    if isinstance(messages, list) and all(hasattr(e, "source") and hasattr(e, "at") for e in messages):
        return Trace.from_events(messages, capture_content=True)
    raise UsageError(
        f"{what} is a {type(value).__name__}; %agenttrace shows a TeamResult, a Team, a Trace "
        "or a list of events"
    )


class TraceWidget(widgets.HTML):
    """A live trace view: `feed` it a run's events; it redraws at most every ``interval`` seconds."""

    def __init__(
        self,
        trace: Trace | None = None,
        *,
        interval: float = 1.0,
        max_rows: int = 300,
        clock: Callable[[], float] = time.monotonic,
        participants: Sequence[str] = (),
    ) -> None:
        super().__init__(value="", _dom_classes=["agentnb-trace-live"])
        self.trace = trace if trace is not None else Trace(capture_content=True)
        self.interval = interval
        self.max_rows = max_rows
        self.participants = list(participants)
        self.clock = clock
        self.redraws = 0
        self._dirty = True
        self._drawn = float("-inf")

    def feed(self, event: Event) -> None:
        self.trace.feed(event)
        self._dirty = True

    def ask(self, ask: Ask) -> None:
        """Questions to humans are answered in the chat, not here."""

    def flush(self, *, force: bool = False) -> bool:
        """Redraw when something changed and the last redraw is ``interval`` seconds old (or ``force``)."""
        now = self.clock()
        if not self._dirty or (not force and now - self._drawn < self.interval):
            return False
        self.value = self._view(times=True).html()
        self._drawn = now
        self._dirty = False
        self.redraws += 1
        return True

    def finish(self, result: Any = None) -> None:
        """The run is over: draw its final state, from ``result.messages`` when given.

        The result holds every event of the run, including any the view was not fed (the
        closing `Stop` of a run that failed), so the final drawing is always complete.
        """
        if result is not None:
            self.trace = Trace.from_events(result.messages, capture_content=self.trace.capture_content)
            self._dirty = True
        self.flush(force=True)

    def static_bundle(self) -> dict[str, str]:
        """The trace without clock times: what a saved notebook keeps (the same on every run)."""
        return self._view(times=False)._repr_mimebundle_()

    def _view(self, *, times: bool) -> TraceView:
        return TraceView(self.trace, times=times, max_rows=self.max_rows, participants=self.participants)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle.update(self.static_bundle())
        return bundle


class Views:
    """Several views of one run (the chat first: it answers people's questions)."""

    def __init__(self, *views: Any) -> None:
        self.views = views

    def feed(self, event: Event) -> None:
        for view in self.views:
            view.feed(event)

    def ask(self, ask: Ask) -> None:
        self.views[0].ask(ask)

    def flush(self, *, force: bool = False) -> None:
        for view in self.views:
            view.flush(force=force)


@magic_arguments()
@argument("target", nargs="?", help="A TeamResult, Team, Trace or list of events; default: the last run.")
@argument("--no-times", action="store_true", help="No clock times: the same output on every run (lessons).")
@argument("--focus", type=int, metavar="ID", help="Show the subtree of one span (ids are in the view).")
@argument("--max-rows", type=int, default=300, metavar="N", help="Rows before grouping (default 300).")
@argument("--save", metavar="FILE", help="Also save the trace as JSON lines (Trace.from_jsonl reads it).")
@argument(
    "--otlp",
    nargs="?",
    const=PHOENIX_ENDPOINT,
    metavar="URL",
    help=f"Also send the trace to an OTLP/HTTP receiver (default: Phoenix at {PHOENIX_ENDPOINT}).",
)
def agenttrace(shell: Any, line: str) -> TraceView:
    """Show a run's trace: waterfall, tree, totals per agent, slowest and failed spans.

    ``%agenttrace`` shows the last ``%%agentteam`` run (or ``_``); ``%agenttrace result``
    shows the run in the variable ``result``. Click a span to see its details.
    """
    args = parse_argstring(agenttrace, line.strip().strip(";"))
    ns = shell.user_ns
    if args.target:
        if args.target not in ns:
            raise UsageError(f"%agenttrace: no variable {args.target!r}; name a TeamResult, Team or Trace")
        value, what = ns[args.target], repr(args.target)
    elif _last:
        value, what = _last[0], "the last run"
    elif ns.get("_") is not None:
        value, what = ns["_"], "the last output (_)"
    else:
        raise UsageError("%agenttrace: no run to show yet; run a team, or name one: %agenttrace result")
    trace = as_trace(value, what)
    if args.max_rows <= 0:
        raise UsageError(f"--max-rows: expected a positive number, got {args.max_rows}")
    try:
        view = TraceView(
            trace,
            times=not args.no_times,
            max_rows=args.max_rows,
            focus=args.focus,
            participants=participants_of(value),
        )
    except ValueError as exc:
        raise UsageError(f"--focus: {exc}") from None
    if args.save:
        try:
            trace.to_jsonl(args.save)
        except OSError as exc:
            raise UsageError(f"--save: cannot write {args.save!r}: {exc.strerror or exc}") from None
    if args.otlp:
        from agentnb.trace.otel import export_otlp

        try:
            export_otlp(trace, args.otlp)
        except (ImportError, ConnectionError) as exc:
            raise UsageError(f"--otlp: {exc}") from None
    return view


def register(shell: Any) -> None:
    """Add ``%agenttrace`` to ``shell`` (its help is `agenttrace`'s)."""

    def magic(line: str) -> TraceView:
        return agenttrace(shell, line)

    magic.__doc__ = agenttrace.__doc__
    shell.register_magic_function(magic, "line", "agenttrace")


def unregister(shell: Any) -> None:
    """Remove ``%agenttrace`` and forget the last run."""
    shell.magics_manager.magics["line"].pop("agenttrace", None)
    _last.clear()
