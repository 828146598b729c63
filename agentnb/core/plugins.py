"""Where the layers above the core plug in, so the core never imports them.

The core is the bottom layer: it may not import the model implementations, the views or
the tracer, yet a team takes ``model="openai:gpt-4o-mini"``, a result shows as a chat in
a notebook and ``result.trace()`` gives its spans. So the core calls the functions here,
and ``agentnb/__init__.py`` (the top of the package, above every layer) fills them in
when the package is imported. Each slot says what it does when nothing was plugged in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentnb.core.errors import ConfigError

_slots: dict[str, Callable[..., Any]] = {}
_renderers: dict[type | str, Callable[..., Any]] = {}


def plug(name: str, fn: Callable[..., Any]) -> None:
    """Fill slot ``name`` (one of: resolve_model, check_model, solo_team, load_views, trace_of,
    open_store)."""
    _slots[name] = fn


def _slot(name: str) -> Callable[..., Any]:
    fn = _slots.get(name)
    if fn is None:
        raise ConfigError(f"agentnb: nothing provides {name}; import agentnb (the package) before its core")
    return fn


def resolve_model(spec: Any) -> Any:
    """A `Model` for a spec string, ``None`` (the default model) or a model object."""
    return _slot("resolve_model")(spec)


def check_model(spec: str) -> None:
    """Raise `ConfigError` when a model spec string cannot work (checked when it is given)."""
    _slot("check_model")(spec)


def solo_team(agent: Any, name: str) -> Any:
    """A one-turn team of ``agent`` alone (an agent's standalone run lives in a team: the
    agent module sits below the team's, so it asks for one here)."""
    return _slot("solo_team")(agent, name)


def open_store(spec: Any) -> Any:
    """The run store a path, a ``postgresql://`` URL or a store object names (`agentnb.store`)."""
    return _slot("open_store")(spec)


def trace_of(events: Any, **options: Any) -> Any:
    """The `Trace` (spans) of a run's events."""
    return _slot("trace_of")(events, **options)


def register_renderer(kind: type | str, render: Callable[..., Any]) -> None:
    """``render(obj, format, **options)`` draws objects of ``kind``: format "text", "markdown",
    "html", "mimebundle" or "view" (an object with its own display, e.g. a trace view with
    options). ``kind`` may be named by its import path (``"agentnb.evals.report.EvalReport"``),
    so registering a renderer imports nothing: eval reports need pydantic-evals, an extra."""
    _renderers[kind] = render


def render(obj: Any, fmt: str, **options: Any) -> Any:
    """``obj`` drawn as ``fmt`` by the views (loaded on first use); text falls back to repr."""
    renderer = _find(type(obj))
    if renderer is None and "load_views" in _slots:
        _slots["load_views"]()
        renderer = _find(type(obj))
    if renderer is None:
        if fmt == "mimebundle":
            return {"text/plain": repr(obj)}
        if fmt == "text":
            return repr(obj)
        raise ConfigError(f"agentnb: no view draws a {type(obj).__name__} as {fmt!r}")
    return renderer(obj, fmt, **options)


def _find(kind: type) -> Callable[..., Any] | None:
    for base in kind.__mro__:
        renderer = _renderers.get(base) or _renderers.get(f"{base.__module__}.{base.__qualname__}")
        if renderer is not None:
            return renderer
    return None


class Displayed:
    """Mixin: an object the views draw (notebook display, ``print``) through `render`."""

    __slots__ = ()

    def __str__(self) -> str:
        return render(self, "text")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return render(self, "mimebundle")


class Readable(Displayed):
    """Mixin: a `Displayed` object that also gives its renderings on request (tests, files, a
    terminal): ``text()``, ``markdown()`` and ``html()``."""

    __slots__ = ()

    def text(self) -> str:
        return render(self, "text")

    def markdown(self) -> str:
        return render(self, "markdown")

    def html(self) -> str:
        return render(self, "html")
