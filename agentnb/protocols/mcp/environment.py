"""The environment an MCP server started over stdio gets: a few harmless variables, no secret
unless the caller passes it.

A subprocess would otherwise inherit every API key of the notebook. The names inherited by
default are the ones programs need to start (PATH, HOME, the locale, Python's and node's
search paths); each is still dropped when the secret rule of `agentnb.execution.environment`
says it may hold a credential. ``env`` and ``inherit`` are passed as asked: a key put there
reaches the server on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from agentnb.execution.environment import is_secret

INHERITED = (
    "HOME", "LOGNAME", "USER", "SHELL", "TERM", "PATH", "TMPDIR",
    "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "VIRTUAL_ENV", "NODE_PATH",
)  # fmt: skip


def server_environment(env: Mapping[str, str] | None = None, inherit: Iterable[str] = ()) -> dict[str, str]:
    """The variables a stdio server starts with: `INHERITED` ones that are not secret, the
    ``inherit`` names as they are, then ``env``."""
    chosen = {name: value for name in INHERITED if (value := os.environ.get(name)) is not None}
    result = {name: value for name, value in chosen.items() if not is_secret(name, value)}
    for name in inherit:
        if name in os.environ:
            result[name] = os.environ[name]
    result.update(env or {})
    return result


def check_env(env: object, what: str = "env") -> dict[str, str]:
    """``env`` as a dict of str to str, or a ValueError that says what was wrong."""
    if env is None:
        return {}
    if not isinstance(env, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ValueError(f"{what}: expected a dict of variable names to string values, got {env!r:.200}")
    return dict(env)
