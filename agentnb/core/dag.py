"""Dependency graphs: finding a cycle (plans and graph teams must not have one without a way out)."""

from __future__ import annotations

from collections.abc import Sequence


def find_cycle(deps: dict[str, Sequence[str]]) -> list[str] | None:
    """A cycle in a dependency map as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, ()):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state and dep in deps:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in deps:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
