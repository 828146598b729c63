"""An opt-in response cache: an identical request is answered from disk, with no API call.

``cached(model)`` wraps a model. Each reply is stored as one JSON file named by the sha256
of the model's name and the canonical request (the cassette format's interaction), in
``$AGENTNB_CACHE_DIR``, else ``$XDG_CACHE_HOME/agentnb/responses``, else
``~/.cache/agentnb/responses``; pass ``directory=`` to keep a notebook's cache next to it.
Re-running a cell then costs nothing. Delete the directory (or call `clear`) to forget.

An entry is a saved file like the others (`agentnb.core.saved`): an ``agentnb-cached-reply``
envelope around the interaction, written atomically. A missing or damaged entry is a miss (the
call's reply replaces it); an entry of another format or written by a newer agentnb (a cache
directory shared by two versions) is refused with `SavedFileError`, not served nor overwritten.
Entries from before the envelope (an interaction alone) are read as version 1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from agentnb.core.errors import SavedFileError
from agentnb.core.model import Model, ModelError, ModelReply, ModelRequest
from agentnb.core.saved import check_envelope, envelope, load_json, write_json
from agentnb.core.secrets import Scrubber, model_secrets
from agentnb.models.stored import decode, encode, replay_chunks, request_key

CACHE_ENV_VAR = "AGENTNB_CACHE_DIR"
KIND, VERSION = "cached-reply", 1


def default_directory() -> Path:
    """Where `cached` stores replies unless told otherwise (see the module docstring)."""
    explicit = os.environ.get(CACHE_ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agentnb" / "responses"


class CachedModel:
    """Serves stored replies for requests ``inner`` has answered before; calls it otherwise.

    ``hits`` and ``misses`` count how calls were served. Failed calls are not stored.
    Secrets are scrubbed from stored replies as in cassettes (see `RecordingModel`).
    """

    def __init__(
        self, inner: Model, directory: str | Path | None = None, *, secrets: Iterable[str] = ()
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.directory = Path(directory).expanduser() if directory is not None else default_directory()
        self.extra_secrets = list(secrets)
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"CachedModel({self.inner!r}, {str(self.directory)!r})"

    def secrets(self) -> list[str]:
        """The inner model's secrets and the extra ones given (what this cache scrubs)."""
        return [*model_secrets(self.inner), *self.extra_secrets]

    def path_for(self, request: ModelRequest) -> Path:
        """The file that holds (or will hold) the reply to ``request``."""
        key = request_key(request, salt=f"{self.inner.name}\n")
        return self.directory / f"{key}.json"

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        path = self.path_for(request)
        stored = _read(path)
        if stored is not None:
            self.hits += 1
            chunks, reply = stored
            async for chunk in replay_chunks(chunks, reply):
                yield chunk
            return
        self.misses += 1
        chunks: list[str] = []
        async for chunk in self.inner.stream(request):
            if isinstance(chunk, str):
                chunks.append(chunk)
            else:
                entry = encode(request, path.stem, chunk, chunks, Scrubber(self.secrets()))
                write_json(path, envelope(KIND, VERSION, **entry))
            yield chunk

    def clear(self) -> None:
        """Forget every stored reply in this cache's directory."""
        shutil.rmtree(self.directory, ignore_errors=True)


def _read(path: Path) -> tuple[list[str], ModelReply] | None:
    """A stored reply's chunks and reply, or None when there is none (nor a readable one).

    `SavedFileError` for an entry this agentnb must not serve nor overwrite: another format's,
    or a newer version's.
    """
    try:
        data = load_json(path, KIND)
    except SavedFileError:  # missing, unreadable or not JSON: a miss
        return None
    how = "this cache did not write it: move it out of the cache directory"
    entry = check_envelope(data, KIND, {VERSION}, f"cached reply {path}", how=how, unversioned=1)
    try:
        return decode(entry, f"cached reply {path}")
    except ModelError:  # the envelope is right but the interaction is damaged: a miss
        return None


def cached(model: Model | str, directory: str | Path | None = None) -> CachedModel:
    """Wrap ``model`` (a model or a spec string) with the response cache."""
    from agentnb.models.spec import resolve

    return CachedModel(resolve(model), directory)
