"""What agents and notebooks see: the tools, the pre-turn note, and the audit and fact tables."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentnb import Agent, Team
from agentnb.memory import MemoryStore
from agentnb.memory.agents import render_note
from agentnb.models import ScriptedModel, call


def run_tool(tool, **arguments):
    return asyncio.run(tool.run(json.dumps(arguments)))


@pytest.fixture
def store():
    with MemoryStore() as opened:
        yield opened


def test_the_remember_tool_records_the_agent_as_the_writer(store):
    remember, _ = store.tools("writer")
    outcome = run_tool(remember, fact="The council meets on Tuesdays", why="for the story")
    assert (outcome.content, outcome.is_error) == ("Remembered as #1.", False)
    fact = store.get(1)
    assert (fact.by, fact.why) == ("writer", "for the story")
    assert run_tool(remember, fact="the council meets on tuesdays", why="again").content == (
        "Already remembered as #1."
    )


def test_the_remember_tool_replaces_a_fact_and_keeps_the_old_one(store):
    store.remember("The council meets on Tuesdays", by="teacher")
    remember, _ = store.tools("fact_checker")
    outcome = run_tool(remember, fact="The council meets on Wednesdays", why="new schedule", replaces="#1")
    assert outcome.content == "Remembered as #2; it replaces #1, which is kept as history."
    assert store.get(1).status == "superseded" and store.get(2).by == "fact_checker"
    again = run_tool(remember, fact="The council meets on Mondays", why="x", replaces=1)
    assert again.is_error and "#1 was already replaced by #2" in again.content


def test_the_forget_tool_is_restorable_and_can_be_left_out(store):
    store.remember("The printer is broken", by="teacher")
    _, forget = store.tools("editor")
    assert run_tool(forget, fact_id=1, why="it was fixed").content == "Forgot #1; a person can restore it."
    assert store.audit()[-1].by == "editor"
    missing = run_tool(forget, fact_id=7, why="x")
    assert missing.is_error and "no fact #7" in missing.content
    assert [t.name for t in store.tools("editor", forget=False)] == ["remember"]


def test_tools_called_concurrently_from_asyncio_tasks_all_land(store):
    remember, _ = store.tools("writer")

    async def many() -> list:
        calls = [
            remember.run(json.dumps({"fact": f"Note {i} on the harbour", "why": "t"})) for i in range(40)
        ]
        recalls = [asyncio.to_thread(store.recall, "harbour") for _ in range(10)]
        return await asyncio.gather(*calls, *recalls)

    outcomes = asyncio.run(many())
    assert not any(o.is_error for o in outcomes[:40])
    assert len(store) == 40 and {c.by for c in store.audit()} == {"writer"}


def test_tool_schemas_ask_for_a_reason(store):
    remember, forget = store.tools("writer")
    assert remember.schema["function"]["parameters"]["required"] == ["fact", "why"]
    assert forget.schema["function"]["parameters"]["required"] == ["fact_id", "why"]
    assert run_tool(remember, fact="No reason").is_error


def test_an_agent_in_a_team_remembers_through_its_tool(store):
    writer = Agent(
        "writer",
        tools=store.tools("writer"),
        model=ScriptedModel(
            {"writer": [call("remember", fact="Readers prefer short stories", why="survey"), "Noted."]}
        ),
    )
    result = Team([writer], max_turns=1).run_sync("Remember what the survey said.")
    assert result.final == "Noted."
    assert [(f.text, f.by) for f in store.facts()] == [("Readers prefer short stories", "writer")]


def test_the_context_note_lists_recalled_facts_with_ids_writers_and_replaced_text(store):
    store.remember("The park vote is on Friday", by="writer")
    old = store.remember("The mayor is Ana", by="writer")
    store.update(old.id, "The mayor is Tom", by="fact_checker", why="election")
    assert store.context_note("Who is the mayor? When is the park vote?") == (
        "Things you remember (long-term memory, most relevant first):\n"
        "- #1 The park vote is on Friday (from writer)\n"
        '- #3 The mayor is Tom (from fact_checker; replaces #2: "The mayor is Ana")'
    )
    assert store.context_note("weather forecast") is None
    assert store.context_note("") is None


def test_a_note_can_be_rendered_from_facts_already_recalled(store):
    store.remember("The park vote is on Friday", by="writer")
    facts = store.recall("park")
    assert render_note(facts, {}) == store.context_note("park")
    assert render_note([], {}) is None


def test_the_context_note_is_the_same_for_the_same_store_contents():
    notes = []
    for _ in range(2):
        with MemoryStore() as store:
            store.remember_many(["Alice covers the park", "Bob covers the\nharbour"], by="editor")
            notes.append(store.context_note("park harbour"))
    assert notes[0] == notes[1] and "Bob covers the harbour" in notes[0]


def build(times: bool):
    store = MemoryStore()
    store.remember("Use <b>bold</b> | pipes & ampersands", by="writer", why="formatting", tags=["style"])
    store.update(1, "Never use pipes", by="editor", why="house style")
    store.forget(2, by="editor", why="style guide changed")
    return store.audit(times=times), store.facts(include_forgotten=True, include_superseded=True, times=times)


def test_audit_and_fact_tables_render_identically_without_times():
    first, second = build(times=False), build(times=False)
    for a, b in zip(first, second, strict=True):
        assert (a.html(), a.markdown(), str(a)) == (
            b.html(),
            b.markdown(),
            str(b),
        )
        assert "when" not in str(a).splitlines()[1]
    audit, _ = build(times=True)
    assert str(audit).splitlines()[1].split()[-1] == "when"


def test_the_audit_table_shows_each_change_in_every_format():
    audit, _ = build(times=False)
    assert str(audit).splitlines()[0] == "Memory audit · 3"
    assert [row.split()[1] for row in str(audit).splitlines()[3:]] == ["remember", "update", "forget"]
    markdown = audit.markdown()
    assert (
        "| 2 | update | #1 → #2 | editor | house style | ~~Use &lt;b&gt;bold&lt;/b&gt; \\| pipes" in markdown
    )
    html = audit.html()
    assert "<del>Use &lt;b&gt;bold&lt;/b&gt; | pipes &amp; ampersands</del> → Never use pipes" in html
    assert "<b>bold</b>" not in html and "tex2jax_ignore" in html


def test_the_fact_table_shows_status_and_links():
    _, facts = build(times=False)
    text = str(facts)
    assert "superseded by #2" in text and "forgotten, replaces #1" in text and "style" in text
    assert len(facts) == 2 and facts[0].id == 1 and [f.id for f in facts[0:2]] == [1, 2]


def test_empty_tables_say_so():
    with MemoryStore() as store:
        assert str(store.audit()) == "Memory audit · 0: no changes yet"
        assert "<i>no facts</i>" in store.facts().html()
        assert store.facts().markdown() == "**Facts · 0**\n\n*no facts*"


def test_the_text_audit_keeps_both_sides_of_a_long_update_visible():
    from agentnb.memory import MemoryStore

    store = MemoryStore()
    fact = store.remember("x" * 60, by="a", why="first")
    store.update(fact.id, "y" * 60, by="b", why="fix")
    row = str(store.audit(times=False)).splitlines()[-1]
    assert "xxxx" in row and "yyyy" in row


def test_facts_remembered_in_one_reply_get_ids_in_the_order_of_the_calls(store, monkeypatch):
    """Ids must not depend on which worker thread wins (a saved notebook shows them)."""
    import time

    write = store._remember

    def slow_first(text, **options):
        if text.startswith("first"):
            time.sleep(0.05)  # in a worker thread the second call would finish first
        return write(text, **options)

    monkeypatch.setattr(store, "_remember", slow_first)
    both = {"calls": [call("remember", fact=f"{n} fact", why=n) for n in ("first", "second")]}
    writer = Agent("writer", tools=store.tools("writer"), model=ScriptedModel({"writer": [both, "Noted."]}))
    Team([writer], max_turns=1).run_sync("Remember two things.")
    assert [(f.id, f.text) for f in store.facts()] == [(1, "first fact"), (2, "second fact")]


HOSTILE = (
    "See [the notes](javascript:alert(1)) ![x](javascript:steal()) <javascript:go()> `x` *y* ~~z~~ a|b \\"
)


def test_links_and_markup_in_facts_stay_plain_text_in_markdown_and_html():
    from markdown_it import MarkdownIt

    store = MemoryStore()
    store.remember(HOSTILE, by="model", why="[why](javascript:why())", tags=["[t](javascript:t())"])
    store.update(1, "Fixed [link](javascript:fixed())", by="model", why="x")
    renderer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    renderer.validateLink = lambda url: True  # as permissive as the laxest renderer a notebook meets
    for table in (store.facts(include_superseded=True, times=False), store.audit(times=False)):
        shown = renderer.render(table.markdown())
        for rendered in (shown, table.html()):
            assert "<a " not in rendered and "<img" not in rendered and "href" not in rendered
            assert "<code>" not in rendered and "<em>" not in rendered
        assert "<table>" in shown  # still one table: a '|' in a fact does not split its cell
    facts = renderer.render(store.facts(include_superseded=True, times=False).markdown())
    assert "See [the notes](javascript:alert(1)) ![x](javascript:steal()) &lt;javascript:go()&gt;" in facts
    assert "`x` *y* ~~z~~ a|b \\" in facts
