"""What a memory store hands out: facts, audit rows, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentnb.core.errors import AgentnbError

Status = Literal["active", "superseded", "forgotten", "expired"]
Action = Literal["remember", "update", "forget", "restore", "expire"]
DEFAULT_NAMESPACE = "default"


class MemoryStoreError(AgentnbError):
    """A memory store cannot be opened, read or written; the message says where and what to do."""


class UnknownFactError(MemoryStoreError, LookupError):
    """A fact id that the store does not hold."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One remembered fact. Its text never changes: an update writes a new version.

    ``status`` is ``active`` (recalled), ``superseded`` (an older version; ``superseded_by``
    names the newer one), ``forgotten`` (kept and restorable, never recalled) or ``expired``
    (an active fact past ``expires_at``: never recalled, removed by ``forget_expired``).
    ``replaces`` links a version to the one it replaced. ``namespace`` is the memory it belongs
    to (see `MemoryStore.scope`). ``score`` is set on recall results only; it orders one
    recall's results and means nothing across recalls.
    """

    id: int
    text: str
    by: str
    why: str
    at: float
    status: Status = "active"
    changed_at: float = 0.0
    tags: tuple[str, ...] = ()
    replaces: int | None = None
    superseded_by: int | None = None
    score: float | None = None
    namespace: str = DEFAULT_NAMESPACE
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One audit row: who changed which fact, how and why.

    ``action`` is ``remember`` (``new_text``), ``update`` (``fact_id`` is the new version,
    ``previous_id`` the replaced one, with ``old_text`` and ``new_text``), ``forget``
    (``old_text``), ``restore`` (``new_text``) or ``expire`` (``old_text``: the fact, past its
    time to live, was removed from the store by ``forget_expired``).
    """

    seq: int
    at: float
    action: Action
    fact_id: int
    by: str
    why: str
    old_text: str | None = None
    new_text: str | None = None
    previous_id: int | None = None
    namespace: str = DEFAULT_NAMESPACE
