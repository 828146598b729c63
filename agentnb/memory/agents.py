"""What agents get from a memory store: a note to read before a turn, and tools to write with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator

from agentnb.core.tools import Tool, tool
from agentnb.core.words import short
from agentnb.memory.tables import one_line

if TYPE_CHECKING:
    from agentnb.memory.records import Fact
    from agentnb.memory.store import MemoryStore

NOTE_TITLE = "Things you remember (long-term memory, most relevant first):"


def context_note(store: MemoryStore, query: str, k: int = 5) -> str | None:
    """Facts recalled for ``query`` as a short list with ids and writers; None if none."""
    return render_note(store, store.recall(query, k))


def render_note(store: MemoryStore, facts: Sequence[Fact]) -> str | None:
    """The note for already recalled ``facts`` (for a caller that also reports their ids).

    A fact that replaced another shows the text it replaced, so an agent knows the older
    statement is outdated. Deterministic: no times, no scores.
    """
    if not facts:
        return None
    earlier = store.get_many(f.replaces for f in facts if f.replaces is not None)
    lines = [NOTE_TITLE]
    for fact in facts:
        notes = [f"from {fact.by}"]
        if fact.replaces in earlier:
            notes.append(f'replaces #{fact.replaces}: "{short(one_line(earlier[fact.replaces].text), 120)}"')
        lines.append(f"- #{fact.id} {one_line(fact.text)} ({'; '.join(notes)})")
    return "\n".join(lines)


def strip_hash(value: Any) -> Any:
    """Models copy ids as the note writes them ("#3"); accept that for 3."""
    return value.strip().lstrip("#") if isinstance(value, str) else value


def memory_tools(store: MemoryStore, agent: str, *, forget: bool = True) -> list[Tool]:
    """``remember(fact, why, replaces=None)`` and ``forget(fact_id, why)``, written as ``agent``.

    Several calls in one reply run in the order the model made them, so fact ids never depend
    on which worker thread wins: a write takes well under a millisecond, so the tools run
    inline, unless the store embeds its facts (an embed function may be a model call).
    """
    inline = store.embed is None

    def remember(
        fact: Annotated[str, "the fact, as one sentence that makes sense on its own later"],
        why: Annotated[str, "why it is worth remembering"],
        replaces: Annotated[
            int | None,
            BeforeValidator(strip_hash),
            "the id (#id) of a remembered fact that this one corrects or contradicts; "
            "the old fact is kept as history",
        ] = None,
    ) -> str:
        if replaces is not None:
            saved = store.update(replaces, fact, by=agent, why=why)
            if saved.id == replaces:
                return f"#{replaces} already says that; nothing changed."
            return f"Remembered as #{saved.id}; it replaces #{replaces}, which is kept as history."
        saved, new = store._remember(fact, by=agent, why=why, tags=())
        return f"Remembered as #{saved.id}." if new else f"Already remembered as #{saved.id}."

    def forget_fact(
        fact_id: Annotated[int, BeforeValidator(strip_hash), "the id (#id) of the remembered fact"],
        why: Annotated[str, "why it should no longer be recalled"],
    ) -> str:
        store.forget(fact_id, by=agent, why=why)
        return f"Forgot #{fact_id}; a person can restore it."

    tools = [
        tool(
            remember,
            blocking=not inline,
            description="Save a fact to long-term memory, so that you and your team recall it in later "
            "turns and runs. To correct or contradict a remembered fact, pass its id as `replaces`.",
        )
    ]
    if forget:
        tools.append(
            tool(
                forget_fact,
                name="forget",
                blocking=not inline,
                description="Stop recalling a remembered fact that is wrong or no longer useful (it is "
                "kept, and a person can restore it).",
            )
        )
    return tools
