"""`paused_collector`: build a batch of long-lived objects without the cyclic collector running.

A trace builds its spans in batches (every span of a finished run at once, or those of the
last second's events in a live view) and keeps every one of them as long as it lives. While
a batch grows, CPython's collector would run every 700 new objects and scan the young spans
again at each older generation, only to find that nothing can be freed: about half the cost
of building a span. Paused, the batch is scanned once, by the first collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collector() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, if it runs (nested pauses are free)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
