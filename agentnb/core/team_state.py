"""A team's state as a value you can hold (``team.state()``), and its saved form.

`TeamState` answers what LangGraph and AutoGen users ask of a paused team — who runs next,
is a run open, what did it cost — and `to_dict` is what ``team.save`` writes: the
transcript (everything else is a fold of it) and the options that are data. Options that
are code (a function, a condition object, a model object) are listed, not saved: they are
passed again to ``Team.load``. A model spec naming a server is not taken from a file unless
the caller passes it or confirms the server (``allow_servers=``): a file from someone else
must not send your prompts or key to their server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentnb.core.errors import AgentnbError, SavedFileError
from agentnb.core.events import Usage, event_from_data, events_to_data
from agentnb.core.saved import check_envelope, envelope, read_json, write_json
from agentnb.core.secrets import scrub_state
from agentnb.core.servers import UntrustedServerError, check_spec_from_file

KIND, VERSION = "team", 1
SIMPLE_MODES = ("RoundRobin()", "Handoff()", "Sequential()")
PLAIN = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class TeamState:
    """A team after its last event: ``next`` runs first on ``run()`` (empty: nothing is left
    to run). ``running`` says a run is open with no `Stop` yet (rewound into, or cut off by a
    crash); a paused run has ended with its reason, and ``run()`` goes on with ``next``."""

    name: str
    mode: str
    events: int
    turns: int
    usage: Usage
    stop_reason: str
    running: bool
    next: tuple[str, ...]
    waiting: bool
    values: Any  # the mode's own state (round-robin position, graph or plan progress)
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The saved form (JSON-ready): what `Team.save` writes and `Team.load_state` reads."""
        return dict(self.data)


def saved_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The options that can be saved as data; ``code`` lists those that must be passed again."""
    from agentnb.core.modes.graph import Edge

    saved: dict[str, Any] = {}
    code: list[str] = []
    for key, value in config.items():
        if key == "mode" and not isinstance(value, str) and value.describe() in SIMPLE_MODES:
            saved[key] = value.name  # a mode object without options is saved by its name
        elif isinstance(value, PLAIN):
            saved[key] = value
        elif key == "edges":
            edges = [Edge(*e) if isinstance(e, tuple) else e for e in value]
            if all(e.condition is None or isinstance(e.condition, str | dict) for e in edges):
                saved[key] = [[e.source, e.target, e.condition, e.join] for e in edges]
            else:
                code.append(key)
        elif key == "interrupt_before" and isinstance(value, list | tuple):
            saved[key] = list(value)
        else:
            code.append(key)
    saved["code"] = code
    return saved


def state_data(
    name: str,
    mode: str,
    names: Sequence[str],
    config: Mapping[str, Any],
    events: Any,
    nested: Mapping[str, Any],
) -> dict[str, Any]:
    """The saved form of a team: its envelope, options, participants, transcript, nested teams."""
    return envelope(
        KIND,
        VERSION,
        name=name,
        mode=mode,
        participants=list(names),
        config=saved_config(config),
        transcript=events_to_data(events),
        nested=dict(nested),
    )


def check_state(data: Any, where: str, names: Sequence[str], mode: str) -> list[Any]:
    """The events of a saved team that fits ``names`` and ``mode``; `SavedFileError` otherwise."""
    check_envelope(data, KIND, {VERSION}, where)
    if data.get("participants") != list(names):
        raise SavedFileError(
            f"{where}: the saved team had participants {data.get('participants')}, "
            f"this one has {list(names)}; "
            "build the team with the same participants (agents, tools and models are code, not state)"
        )
    if data.get("mode") != mode:
        raise SavedFileError(
            f"{where}: the saved team ran in mode {data.get('mode')!r}, this one is {mode!r}"
        )
    events = []
    for i, item in enumerate(data.get("transcript") or []):
        try:
            events.append(event_from_data(item))
        except (ValueError, TypeError, AgentnbError) as exc:  # a plan edited into a cycle: PlanError
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            first = str(exc).splitlines()
            detail = "; ".join(line.strip() for line in first[1:3]) or first[0]
            raise SavedFileError(
                f"{where}: event {i} ({kind!r}) of the saved transcript is damaged: {detail[:300]}"
            ) from None
    return events


def config_for_load(data: Mapping[str, Any], where: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Team`` options of a saved team, with ``options`` (given to load) taking precedence."""
    from agentnb.core.modes.graph import Edge

    config = dict(data.get("config") or {})
    if not isinstance(config, dict):
        raise SavedFileError(f"{where}: the saved options are not a JSON object")
    try:
        if config.get("edges") is not None:
            config["edges"] = [Edge(*edge) for edge in config["edges"]]
    except TypeError as exc:
        raise SavedFileError(f"{where}: the saved edges are damaged ({exc})") from None
    missing = [k for k in config.pop("code", []) if k not in options]
    if missing:
        raise SavedFileError(
            f"team {data.get('name')!r} was saved with {', '.join(missing)} set to objects "
            "(a model, a function or a stop condition): they are code, not state, so they are not saved; "
            f"pass {', '.join(f'{m}=...' for m in missing)} to Team.load"
        )
    options = dict(options)
    allow = options.pop("allow_servers", ())
    if "model" not in options:
        try:
            check_spec_from_file(config.get("model"), where, allow=allow)
        except UntrustedServerError as exc:
            raise SavedFileError(str(exc)) from None
    return {**config, **options}


def state_of(team: Any, nested_teams: Sequence[Any]) -> TeamState:
    """``team.state()``: the state now, who runs next, and the saved form (with its nested teams')."""
    state = team.history.state
    following = (state.open_turn,) if state.open_turn else team.mode_object.peek(state.mode, team.names)
    nested = {p.name: p.state().to_dict() for p in nested_teams}
    return TeamState(
        name=team.name,
        mode=team.mode,
        events=len(team.transcript),
        turns=state.turns,
        usage=Usage(prompt_tokens=state.prompt_tokens, completion_tokens=state.completion_tokens),
        stop_reason=state.stop_reason,
        running=state.running,
        next=tuple(following),
        waiting=state.waiting,
        values=state.mode,
        data=state_data(team.name, team.mode, team.names, team.options, team.transcript, nested),
    )


def restore(team: Any, state: TeamState | Mapping[str, Any], where: str, nested_teams: Sequence[Any]) -> None:
    """``team.load_state``: put back a saved state that fits the team (and its nested teams)."""
    data = state.to_dict() if isinstance(state, TeamState) else state
    events = check_state(data, where, team.names, team.mode)
    history = team.history.prefix(0)  # a stored team's loaded events are a new run
    for event in events:
        history.record(event)
    team.replace_history(history)
    nested = data.get("nested") or {}
    for p in nested_teams:
        if p.name in nested:
            p.load_state(nested[p.name], where=f"{where} (nested team {p.name!r})")


def save(team: Any, path: str | Path) -> Path:
    """``team.save``: the saved form, with every secret scrubbed, written atomically."""
    path = Path(path)
    try:
        return write_json(path, scrub_state(team.state().to_dict()))
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise SavedFileError(f"cannot save team {team.name!r} to {path}: {why}") from None


def load(cls: type, path: str | Path, participants: Sequence[Any], options: Mapping[str, Any]) -> Any:
    """``Team.load``: a team of ``participants`` with the state and options saved at ``path``."""
    where = str(path)
    data = read_json(path, KIND, {VERSION})
    config = config_for_load(data, where, options)
    try:
        team = cls(participants, **config)
    except (ValueError, TypeError) as exc:
        raise SavedFileError(f"{where}: the saved team cannot be rebuilt: {exc}") from None
    team.load_state(data, where=where)
    return team
