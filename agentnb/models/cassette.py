"""Record a live run to a JSON cassette, and replay it offline, deterministically.

``record(model, "run.json")`` (`agentnb.models.spec.record`: it also takes a spec string)
wraps a model in a `RecordingModel`: every call goes through to it, and each
finished interaction (request, reply, usage, model name and the streamed deltas) is appended
to the cassette file at once, so an interrupted run still leaves a valid cassette and a long
recording writes each interaction once (see `cassette_file`).
``replay("run.json")`` is a model that answers from the file, streaming the same deltas.

Interactions are keyed by the sha256 of the canonical request (`stored.request_key`).
Strict replay fails on a request the cassette does not hold, with a diff against the
nearest recorded request; lenient replay (``strict=False``) serves interactions in
recorded order whatever is asked. Secrets never enter a cassette (see `secrets`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from agentnb.core.errors import SavedFileError
from agentnb.core.model import Model, ModelError, ModelReply, ModelRequest
from agentnb.core.saved import envelope
from agentnb.core.secrets import Scrubber, model_secrets
from agentnb.models import cassette_file
from agentnb.models.stored import decode, encode, normalize, replay_chunks, request_key

MAX_DIFF_LINES = 40


class CassetteError(SavedFileError, ModelError):
    """A cassette file that cannot be replayed (unreadable, another format, a newer version, a
    damaged interaction): a `SavedFileError` like every saved file's, and a `ModelError` like
    replay's other failures, so ``except ModelError`` around a replay keeps catching it."""


class RecordingModel:
    """Passes calls through to ``inner`` and writes each interaction to ``path``.

    Recording starts a new cassette (an existing file is replaced). ``secrets`` are extra
    strings to scrub, on top of the inner models' (see `model_secrets`) and the environment's,
    all read again for each interaction, so a key set after the wrapping is scrubbed too.
    """

    def __init__(self, inner: Model, path: str | Path, *, secrets: Iterable[str] = ()) -> None:
        self.inner = inner
        self.path = Path(path)
        self.name = inner.name
        self.extra_secrets = list(secrets)
        self.interactions: list[dict[str, Any]] = []
        header = envelope(
            cassette_file.KIND, cassette_file.VERSION, model=Scrubber(self.secrets()).text(inner.name)
        )
        self._file = cassette_file.CassetteWriter(self.path, header)

    def __repr__(self) -> str:
        return f"RecordingModel({self.inner!r}, {str(self.path)!r})"

    def secrets(self) -> list[str]:
        """The inner model's secrets and the extra ones given (what this recorder scrubs)."""
        return [*model_secrets(self.inner), *self.extra_secrets]

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        chunks: list[str] = []
        async for chunk in self.inner.stream(request):
            if isinstance(chunk, str):
                chunks.append(chunk)
            else:
                entry = encode(request, request_key(request), chunk, chunks, Scrubber(self.secrets()))
                self.interactions.append(entry)
                self._file.append(entry)
            yield chunk


class ReplayModel:
    """Answers from a cassette file; see the module docstring for strict and lenient mode.

    In strict mode a request recorded several times gets its recorded replies in order,
    and the last one again if it is asked more often than it was recorded.
    """

    def __init__(self, path: str | Path, *, strict: bool = True) -> None:
        self.path = Path(path)
        self.strict = strict
        self.interactions = load(self.path)
        self.name = f"replay:{self.path.name}"
        self.calls = 0
        self._by_key: dict[str, list[int]] = {}
        for i, entry in enumerate(self.interactions):
            self._by_key.setdefault(entry.get("key", ""), []).append(i)
        self._served: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"ReplayModel({str(self.path)!r}, strict={self.strict})"

    def reset(self) -> None:
        """Serve the cassette from its start again."""
        self.calls = 0
        self._served.clear()

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        index = self._find(request) if self.strict else self._next(request)
        self.calls += 1
        chunks, reply = decode(self.interactions[index], f"{self.path} interaction {index + 1}")
        async for chunk in replay_chunks(chunks, reply):
            yield chunk

    def _next(self, request: ModelRequest) -> int:
        if self.calls >= len(self.interactions):
            raise ModelError(
                f"cassette {self.path} has {len(self.interactions)} interactions and the run asked "
                f"for call {self.calls + 1} (agent {request.agent!r}); record the run again"
            )
        return self.calls

    def _find(self, request: ModelRequest) -> int:
        key = request_key(request)
        indexes = self._by_key.get(key)
        if not indexes:
            raise ModelError(self._mismatch(request))
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        return indexes[min(served, len(indexes) - 1)]

    def _mismatch(self, request: ModelRequest) -> str:
        """Say which request was not found and how it differs from the nearest recorded one."""
        where = f"cassette {self.path}: no recorded interaction matches call {self.calls + 1} "
        where += f"(agent {request.agent!r})"
        if not self.interactions:
            return f"{where}; the cassette is empty. Record the run again."
        wanted = _lines(Scrubber().data(normalize(request)))
        candidates = [_lines(entry.get("request", {})) for entry in self.interactions]
        ratios = [difflib.SequenceMatcher(None, c, wanted).ratio() for c in candidates]
        best = max(range(len(candidates)), key=ratios.__getitem__)
        diff = list(
            difflib.unified_diff(
                candidates[best],
                wanted,
                f"recorded interaction {best + 1}",
                "this request",
                n=1,
                lineterm="",
            )
        )
        if len(diff) > MAX_DIFF_LINES:
            diff = [*diff[:MAX_DIFF_LINES], f"... ({len(diff) - MAX_DIFF_LINES} more diff lines)"]
        return (
            f"{where}. The run changed since it was recorded; record it again, or replay with "
            f"strict=False to serve the recorded replies in order. Nearest recorded request:\n"
            + "\n".join(diff)
        )


def _lines(data: Any) -> list[str]:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).splitlines()


def load(path: str | Path) -> list[dict[str, Any]]:
    """The interactions of a cassette file, each checked; `CassetteError` names the file and what
    is wrong (not JSON, another format, a newer version, which interaction is damaged).

    A recording cut in the middle of an interaction loads the interactions before the cut.
    """
    path = Path(path)
    try:
        data = cassette_file.read(path)
        interactions = data.get("interactions")
        if not isinstance(interactions, list):
            raise SavedFileError(f"cassette {path} has no interactions list")
        for number, entry in enumerate(interactions, 1):
            decode(entry, f"cassette {path} interaction {number}")  # fail now, naming the bad one
    except (SavedFileError, ModelError) as exc:  # one error type for every problem in the file
        raise CassetteError(str(exc)) from None
    return interactions


def replay(path: str | Path, *, strict: bool = True) -> ReplayModel:
    """A model that replays the cassette at ``path`` offline."""
    return ReplayModel(path, strict=strict)
