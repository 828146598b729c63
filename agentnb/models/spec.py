"""Model spec strings and the default model.

A spec names a model wherever one is expected (Python, magic options, ``AGENTNB_MODEL``):
``scripted:<name or file.json>``, ``auto[:seed]``. `default` picks the model a team uses
when none is given, and `describe_default` says which one and where that choice came from.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agentnb.models.auto import AutoModel
from agentnb.models.base import Model
from agentnb.models.scripted import ScriptedModel

ENV_VAR = "AGENTNB_MODEL"
SCRIPTS_PACKAGE = "agentnb.scripts"


@dataclass(frozen=True)
class Choice:
    """The default model's spec and the source of that choice, for status displays."""

    spec: str
    source: str


_explicit: str | Model | None = None
_notice_shown = False


def builtin_scripts() -> list[str]:
    """Names accepted by ``scripted:<name>`` (files shipped in agentnb/scripts)."""
    return sorted(
        p.name.removesuffix(".json")
        for p in resources.files(SCRIPTS_PACKAGE).iterdir()
        if p.name.endswith(".json")
    )


def scripted(name: str = "newsroom") -> ScriptedModel:
    """A built-in script by name, or a JSON script file; unscripted agents get AutoModel."""
    if name in builtin_scripts():
        path = resources.files(SCRIPTS_PACKAGE) / f"{name}.json"
        model = ScriptedModel.from_file(Path(str(path)), fallback=AutoModel())
        model.name = f"scripted:{name}"
        return model
    path = Path(name).expanduser()
    if path.suffix == ".json" or path.exists():
        if not path.exists():
            raise ValueError(f"model spec 'scripted:{name}': no such script file {str(path)!r}")
        return ScriptedModel.from_file(path, fallback=AutoModel())
    raise ValueError(
        f"model spec 'scripted:{name}': no built-in script {name!r} (built-in: "
        f"{', '.join(builtin_scripts())}) and no such file"
    )


def resolve(spec: str | Model | None) -> Model:
    """A model from a spec string, an existing model, or ``None`` (the default)."""
    if spec is None:
        return default()
    if isinstance(spec, Model):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"model: expected a Model or a spec string, got {type(spec).__name__}")
    kind, _, rest = spec.strip().partition(":")
    if kind == "scripted":
        return scripted(rest or "newsroom")
    if kind == "auto":
        try:
            return AutoModel(int(rest or 0))
        except ValueError:
            raise ValueError(f"model spec {spec!r}: the seed after 'auto:' must be an integer") from None
    raise ValueError(
        f"model: unknown spec {spec!r}; expected one of: scripted:<name or file.json>, auto[:seed]"
    )


def set_default(spec: str | Model | None) -> None:
    """Set the model used when none is given (``None`` goes back to automatic choice)."""
    global _explicit
    if isinstance(spec, str):
        resolve(spec)  # fail now, not at the first run
    _explicit = spec


def describe_default() -> Choice:
    """Which model `default` would use, and why."""
    if _explicit is not None:
        name = _explicit if isinstance(_explicit, str) else _explicit.name
        return Choice(name, "set explicitly (models.set_default or %agentnb model)")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Choice(env, f"the {ENV_VAR} environment variable")
    return Choice("scripted:newsroom", "fallback: no live model configured")


def default() -> Model:
    """The default model: explicit setting, then AGENTNB_MODEL, then the scripted fallback."""
    global _notice_shown
    if isinstance(_explicit, Model):
        return _explicit
    choice = describe_default()
    if choice.source.startswith("fallback") and not _notice_shown:
        _notice_shown = True
        print(
            "agentnb: using the offline scripted model; to go live set AGENTNB_MODEL "
            "(e.g. openai:gpt-4o-mini) or OPENAI_API_KEY.",
            file=sys.stderr,
        )
    return resolve(choice.spec)
