"""What agents get from a memory store: a note to read before a turn, and tools to write with.

Both work on what a store hands them (recalled facts, the facts they replaced, its write
methods), so this module never imports the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator

from agentnb.core.tools import Tool, tool
from agentnb.memory.records import Fact
from agentnb.memory.text import one_line, short

NOTE_TITLE = "Things you remember (long-term memory, most relevant first):"

Remember = Callable[[str, str, str], tuple[Fact, bool]]  # (text, by, why) -> (fact, whether new)
Update = Callable[[int, str, str, str], Fact]  # (fact_id, text, by, why) -> the new version
Forget = Callable[[int, str, str], Fact]  # (fact_id, by, why) -> the forgotten fact


def render_note(facts: Sequence[Fact], replaced: Mapping[int, Fact]) -> str | None:
    """The note for recalled ``facts``; ``replaced`` holds the facts they replaced, by id.

    A fact that replaced another shows the text it replaced, so an agent knows the older
    statement is outdated. Deterministic: no times, no scores. None when nothing is recalled.
    """
    if not facts:
        return None
    lines = [NOTE_TITLE]
    for fact in facts:
        notes = [f"from {fact.by}"]
        if fact.replaces in replaced:
            notes.append(f'replaces #{fact.replaces}: "{short(one_line(replaced[fact.replaces].text), 120)}"')
        lines.append(f"- #{fact.id} {one_line(fact.text)} ({'; '.join(notes)})")
    return "\n".join(lines)


def strip_hash(value: Any) -> Any:
    """Models copy ids as the note writes them ("#3"); accept that for 3."""
    return value.strip().lstrip("#") if isinstance(value, str) else value


def memory_tools(
    agent: str, *, remember: Remember, update: Update, forget: Forget | None, inline: bool
) -> list[Tool]:
    """``remember(fact, why, replaces=None)`` and ``forget(fact_id, why)``, written as ``agent``.

    ``forget=None`` leaves the forget tool out. Several calls in one reply run in the order
    the model made them, so fact ids never depend on which worker thread wins: a write takes
    well under a millisecond, so with ``inline`` the tools run in the event loop's thread
    (a store that embeds its facts passes False: an embed function may be a model call).
    """

    def remember_fact(
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
            saved = update(replaces, fact, agent, why)
            if saved.id == replaces:
                return f"#{replaces} already says that; nothing changed."
            return f"Remembered as #{saved.id}; it replaces #{replaces}, which is kept as history."
        saved, new = remember(fact, agent, why)
        return f"Remembered as #{saved.id}." if new else f"Already remembered as #{saved.id}."

    tools = [
        tool(
            remember_fact,
            name="remember",
            blocking=not inline,
            description="Save a fact to long-term memory, so that you and your team recall it in later "
            "turns and runs. To correct or contradict a remembered fact, pass its id as `replaces`.",
        )
    ]
    if forget is not None:
        write_forget = forget

        def forget_fact(
            fact_id: Annotated[int, BeforeValidator(strip_hash), "the id (#id) of the remembered fact"],
            why: Annotated[str, "why it should no longer be recalled"],
        ) -> str:
            write_forget(fact_id, agent, why)
            return f"Forgot #{fact_id}; a person can restore it."

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
