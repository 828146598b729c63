"""The environment a sandbox kernel starts with: a short allowlist of the caller's, never the rest.

A subprocess inherits its parent's environment, and keys hide under any name
(``DATABASE_URL=postgres://app:password@...``, ``SLACK_WEBHOOK_URL``), so nothing passes
but what the kernel needs: where programs are (``PATH``, with this Python's folder first),
language and terminal settings, the active virtualenv or conda environment. ``HOME`` is
the work folder. Even these are dropped if agentnb's one rule for secrets
(`agentnb.core.secrets`) says so. The secret values of the whole environment are returned
too, so outputs can be redacted should code find them another way (a file it was given).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from agentnb.core import secrets
from agentnb.core.secrets import MIN_SECRET_LENGTH

ALLOWED = frozenset(
    {"PATH", "LANG", "LANGUAGE", "TERM", "TZ", "NO_COLOR", "PYTHONIOENCODING", "PYTHONUTF8"}
    | {"VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV"}
)
ALLOWED_PREFIXES = ("LC_",)
SECRET_PREFIXES = ("AGENTNB_", "OPENAI_", "ANTHROPIC_", "AWS_", "AZURE_", "GH_", "GITHUB_", "HF_", "JPY_")
MATPLOTLIB_INLINE = "module://matplotlib_inline.backend_inline"


def is_secret(name: str, value: str) -> bool:
    """Whether the variable ``name=value`` may hold a credential (or ties the kernel to its parent)."""
    return name.upper().startswith(SECRET_PREFIXES) or secrets.is_secret(name, value)


def sandbox_environment(
    base: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
    *,
    home: str | Path | None = None,
) -> tuple[dict[str, str], list[str]]:
    """The sandbox's variables and the secret values of ``base`` (default ``os.environ``).

    The variables are the allowed ones of ``base`` that do not look secret, ``HOME`` set to
    ``home``, matplotlib's inline backend (a figure comes back as an image), then ``extra``,
    passed as given: a key put there reaches the code on purpose.
    """
    base = os.environ if base is None else base
    env = {
        name: value
        for name, value in base.items()
        if (name in ALLOWED or name.startswith(ALLOWED_PREFIXES)) and not is_secret(name, value)
    }
    python_bin = os.path.dirname(sys.executable)
    path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p != python_bin]
    env["PATH"] = os.pathsep.join([python_bin, *path])
    if home is not None:
        env["HOME"] = str(home)
    env["MPLBACKEND"] = MATPLOTLIB_INLINE
    env.update(extra or {})
    removed = [v for n, v in base.items() if is_secret(n, v) and len(v) >= MIN_SECRET_LENGTH]
    return env, removed
