"""Where prompts and keys may go: a model server named by a file needs the caller's say.

A file someone sends you (a saved team, a dataset with a judge) is data. It may name a
model, but a model spec with a server (``openai:<model>@<url>``) would send your prompts,
and perhaps a key, wherever the file says. `check_spec_from_file` refuses such a spec
unless the caller confirms that server (or it is the ``OPENAI_BASE_URL`` they set). It
lives in the core so that `Team.load` can call it as well as the evals.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from agentnb.core.secrets import public_url

BASE_URL_ENV = "OPENAI_BASE_URL"


class UntrustedServerError(ValueError):
    """A file named a model server the caller did not choose; the message says which file and server."""


def spec_server(spec: object) -> str | None:
    """The server an ``openai:<model>@<url>`` spec sends requests to; ``None`` for other specs."""
    if not isinstance(spec, str):
        return None
    kind, _, rest = spec.strip().partition(":")
    server = rest.partition("@")[2].strip() if kind == "openai" else ""
    return server.rstrip("/") or None


def check_spec_from_file(spec: object, path: str | Path, *, allow: Iterable[str] = ()) -> None:
    """Refuse a model spec read from ``path`` that sends requests to a server of the file's choosing.

    A spec naming a server passes only when that server is in ``allow`` (the caller
    confirms it) or is the ``OPENAI_BASE_URL`` you set; other specs (and models that are
    not specs) pass. The error names the file, the server and the two ways on.
    """
    server = spec_server(spec)
    if server is None:
        return
    allowed = {str(url).strip().rstrip("/") for url in allow}
    allowed.add(os.environ.get(BASE_URL_ENV, "").strip().rstrip("/"))
    if server in allowed:
        return
    shown = public_url(server)
    raise UntrustedServerError(
        f"{path} names the model server {shown} (model {public_url(str(spec))!r}); a file does not "
        "choose where your prompts and keys go. Pass the model yourself, or confirm the server with "
        f"allow_servers=[{shown!r}]"
    )
