"""Keep the kernel reported busy for the whole of a blocking ``%%agentteam`` cell.

While a cell runs, ipykernel still answers requests on other threads: the control channel
(``create_subshell_request``, which JupyterLab's widget manager sends when a session shows
its first widget; the debugger's ``debug_request``; ``kernel_info_request``) and subshells.
Each answer goes out between its own ``busy`` and ``idle`` status messages on iopub, and
JupyterLab shows the kernel state of the last status message whatever its parent: its
status bar reads "Idle" while the cell still runs. Inside `reported_busy`, every status
other than ``busy`` is followed by a ``busy`` for the running cell.

This reaches into ipykernel (``Kernel._publish_status``); without it, nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PUBLISH = "_publish_status"


@contextmanager
def reported_busy(kernel: Any) -> Iterator[None]:
    """Within the block (run from the cell's thread), ``kernel`` keeps saying the cell is busy."""
    publish = getattr(kernel, PUBLISH, None)
    get_parent = getattr(kernel, "get_parent", None)
    if publish is None or get_parent is None:
        yield
        return
    cell = get_parent("shell")  # the running execute_request

    def publish_status(status: str, *args: Any, **kwargs: Any) -> None:
        publish(status, *args, **kwargs)
        if status != "busy":  # another request's end: the cell has not ended
            publish("busy", "shell", cell)

    shadowed = vars(kernel).get(PUBLISH)
    setattr(kernel, PUBLISH, publish_status)
    try:
        yield
    finally:
        if shadowed is None:
            delattr(kernel, PUBLISH)  # the class's method again
        else:
            setattr(kernel, PUBLISH, shadowed)
