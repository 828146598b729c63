"""Choosing a sandbox's isolation: bubblewrap unless asked otherwise, and a refusal that says why."""

from __future__ import annotations

import sys

from agentnb.execution.bubblewrap import Bubblewrap, unavailable_reason
from agentnb.execution.isolation import (
    ISOLATIONS,
    Isolation,
    IsolationName,
    IsolationUnavailable,
    Limits,
    NoIsolation,
)


def choose_isolation(isolation: IsolationName, *, network: bool, limits: Limits | None) -> Isolation:
    """The isolation named ``auto`` (bubblewrap), ``bubblewrap`` or ``none``, or `IsolationUnavailable`."""
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {', '.join(map(repr, ISOLATIONS))}, got {isolation!r}")
    if limits is not None and not isinstance(limits, Limits):
        raise ValueError(f"limits must be an agentnb.execution.Limits, got {limits!r:.200}")
    if isolation == "none":
        if limits is not None:
            raise ValueError("limits need isolation: isolation='none' runs the code without any")
        return NoIsolation()
    reason = unavailable_reason()
    if reason is not None:
        raise IsolationUnavailable(refusal(reason))
    return Bubblewrap(network=network, limits=limits or Limits())


def refusal(reason: str) -> str:
    """Why model-written code will not run here, and the two ways forward."""
    install = " (Debian/Ubuntu: sudo apt install bubblewrap)" if sys.platform.startswith("linux") else ""
    return (
        f"code execution refuses to run model-written code unisolated: {reason}. "
        f"agentnb isolates the code's kernel with bubblewrap on Linux{install}. To run it without "
        "isolation, with your user's rights, your files and your network, say so explicitly: "
        "code_executor(isolation='none')"
    )
