"""A tool that needs approval and records what it published, for the approval and waiting tests."""

from __future__ import annotations

from agentnb import tool

RAN: list[str] = []  # headlines published so far: a test clears it first


@tool(requires_approval=True)
def publish(headline: str) -> str:
    """Publish a story."""
    RAN.append(headline)
    return f"published {headline}"
