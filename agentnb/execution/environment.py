"""The environment a sandbox kernel starts with: the caller's, minus anything that looks secret.

A subprocess inherits its parent's environment, API keys included, and code a model wrote
could print them. Variables are removed when agentnb's one rule for secrets says so (by
name or by value, see `agentnb.core.secrets`), and so are whole provider and agentnb
families. The removed values are returned too, so the sandbox can redact them from outputs
should code find them another way (a file, the parent process).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from agentnb.core import secrets
from agentnb.core.secrets import MIN_SECRET_LENGTH

SECRET_PREFIXES = ("AGENTNB_", "OPENAI_", "ANTHROPIC_", "AWS_", "AZURE_", "GH_", "GITHUB_", "HF_", "JPY_")
MATPLOTLIB_INLINE = "module://matplotlib_inline.backend_inline"


def is_secret(name: str, value: str) -> bool:
    """Whether the variable ``name=value`` may hold a credential (or ties the kernel to its parent)."""
    return name.upper().startswith(SECRET_PREFIXES) or secrets.is_secret(name, value)


def sandbox_environment(
    base: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The sandbox's variables (``base``, default ``os.environ``, without secrets, then ``extra``)
    and the secret values removed (those long enough to redact without mangling text).

    Plots use matplotlib's inline backend, so a figure comes back as an image.
    ``extra`` is passed as given: a key put there reaches the code on purpose.
    """
    base = os.environ if base is None else base
    env: dict[str, str] = {}
    removed: list[str] = []
    for name, value in base.items():
        if is_secret(name, value):
            if len(value) >= MIN_SECRET_LENGTH:
                removed.append(value)
        else:
            env[name] = value
    env["MPLBACKEND"] = MATPLOTLIB_INLINE
    env.update(extra or {})
    return env, removed
