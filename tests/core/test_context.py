"""Context policies: what an agent's model receives, never an orphaned tool result or a lost task."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentnb import Agent, Team
from agentnb.core.context import AgentContext
from agentnb.core.events import ContextSummary, TextMessage, ToolCall, ToolCalls, ToolResult
from agentnb.core.policies import Full, HeadAndTail, LastN, Summarize, TokenLimit
from agentnb.core.tools import tool
from agentnb.models import FunctionModel, ScriptedModel, call

POLICIES = [
    Full(),
    LastN(1),
    LastN(3),
    LastN(10),
    TokenLimit(20),
    TokenLimit(200),
    HeadAndTail(1, 2),
    HeadAndTail(3, 0),
]


@st.composite
def transcripts(draw):
    events = []
    n = draw(st.integers(0, 40))
    call_no = 0
    for _ in range(n):
        kind = draw(st.sampled_from(["user", "other", "mine", "tools", "other_tools"]))
        text = draw(st.text(max_size=40))
        if kind == "user":
            events.append(TextMessage(source="user", content=text))
        elif kind == "other":
            events.append(TextMessage(source="bob", content=text))
        elif kind == "mine":
            events.append(TextMessage(source="me", content=text))
        else:
            who = "me" if kind == "tools" else "bob"
            k = draw(st.integers(1, 3))
            calls = [ToolCall(id=f"c{call_no}_{i}", name="f", arguments="{}") for i in range(k)]
            call_no += 1
            events.append(ToolCalls(source=who, calls=calls))
            # a message from someone else may arrive before the results (parallel branches)
            if draw(st.booleans()):
                events.append(TextMessage(source="bob", content="meanwhile"))
            events.extend(ToolResult(source=who, call_id=c.id, name="f", content=text) for c in calls)
    return events


def well_formed(messages):
    pending: set[str] = set()
    for message in messages:
        if message["role"] == "tool":
            assert message["tool_call_id"] in pending, "a tool result without its call"
            pending.discard(message["tool_call_id"])
            continue
        assert not pending, "a tool call not followed by its results"
        if message.get("tool_calls"):
            pending = {c["id"] for c in message["tool_calls"]}
    assert not pending


@settings(max_examples=200, deadline=None)
@given(events=transcripts(), policy=st.sampled_from(POLICIES))
def test_no_policy_separates_a_tool_call_from_its_result_or_drops_the_task(events, policy):
    ctx = AgentContext("me", "You are me.")
    ctx.update(events)
    selection = policy.select(ctx)
    sent = selection.messages(ctx)
    assert sent[0]["role"] == "system"
    well_formed(sent)
    well_formed(ctx.messages)
    if ctx.task_index is not None:
        assert ctx.messages[ctx.task_index] in sent
    indexes = selection.indexes(ctx)
    assert indexes == sorted(indexes)
    assert indexes[-1] == len(ctx.messages) - 1  # the newest message is always sent
    assert selection.tokens(ctx) == sum(
        __import__("agentnb.core.model", fromlist=["message_tokens"]).message_tokens(m) for m in sent
    )


def test_last_n_keeps_the_task_and_the_last_messages():
    events = [TextMessage(source="user", content="the task")] + [
        TextMessage(source="bob" if i % 2 else "me", content=f"m{i}") for i in range(10)
    ]
    ctx = AgentContext("me", "role")
    ctx.update(events)
    sent = LastN(3).select(ctx).messages(ctx)
    assert [m["content"] for m in sent] == ["role", "the task", "m7", "m8", "m9"]


def test_token_limit_fits_the_budget_but_always_sends_the_newest_group():
    events = [TextMessage(source="user", content="task")] + [
        TextMessage(source="bob", content="x" * 400) for _ in range(5)
    ]
    ctx = AgentContext("me", "role")
    ctx.update(events)
    sent = TokenLimit(250).select(ctx).messages(ctx)
    assert [m["content"][:4] for m in sent] == ["role", "task", "xxxx", "xxxx"]
    tiny = TokenLimit(1).select(ctx).messages(ctx)
    assert tiny[-1]["content"] == "x" * 400


def test_head_and_tail_keep_both_ends():
    events = [TextMessage(source="bob", content=f"m{i}") for i in range(8)]
    ctx = AgentContext("me", "role")
    ctx.update(events)
    sent = HeadAndTail(2, 2).select(ctx).messages(ctx)
    assert [m["content"] for m in sent] == ["role", "m0", "m1", "m6", "m7"]


def test_an_agents_context_policy_limits_what_its_model_receives():
    seen = []

    def reply(request):
        if request.agent == "b":
            seen.append(len(request.messages))
        return "ok"

    team = Team([Agent("a"), Agent("b", context=LastN(2))], model=FunctionModel(reply), max_turns=10)
    team.run_sync("task")
    assert max(seen) <= 4  # system, task, the last 2


def test_summarize_replaces_older_messages_with_a_recorded_summary_and_reuses_it():
    calls = []

    def reply(request):
        calls.append(request.agent)
        if request.agent.endswith("-summary"):
            return "they talked about x"
        return "y" * 200

    team = Team(
        [Agent("a", context=Summarize(keep_last=2, max_tokens=100)), Agent("b")],
        model=FunctionModel(reply),
        max_turns=8,
    )
    team.run_sync("task")
    summaries = [e for e in team.transcript if isinstance(e, ContextSummary)]
    assert summaries and summaries[0].content == "they talked about x" and summaries[0].usage is not None
    preview = team.participant("a").context_preview(team)
    assert any("[summary of the earlier conversation]" in (m.get("content") or "") for m in preview.sent)
    assert preview.cut, "older messages are cut once summarized"
    # a fork keeps the summary: no new summary call is needed to rebuild the context
    before = calls.count("a-summary")
    fork = team.fork()
    fork.participant("a").context_preview(fork)
    assert calls.count("a-summary") == before


def test_context_preview_shows_exactly_what_is_sent_and_what_was_cut():
    model = ScriptedModel({"a": ["one", "two", "three"], "b": ["x", "y", "z"]})
    team = Team([Agent("a", context=LastN(2)), Agent("b")], model=model, max_turns=5)
    team.run_sync("the task")
    preview = team.participant("a").context_preview(team)
    assert [m["content"] for m in preview.sent] == ["You are a.", "the task", "y", "three"][
        : len(preview.sent)
    ]
    assert len(preview.rows) == len(team.context_of("a").messages)
    bundle = preview._repr_mimebundle_()
    assert "✂" in str(preview) and "✂" in bundle["text/markdown"] and "line-through" in bundle["text/html"]


def test_a_copy_with_another_policy_is_previewed_with_its_own_policy():
    model = ScriptedModel({"a": ["one", "two", "three"], "b": ["x", "y", "z"]})
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=5)
    team.run_sync("the task")
    trimmed = team.participant("a").copy(context=LastN(2)).context_preview(team)
    whole = team.participant("a").context_preview(team)
    assert [m["content"] for m in trimmed.sent] == ["You are a.", "the task", "y", "three"][
        : len(trimmed.sent)
    ]
    assert len(trimmed.sent) < len(whole.sent)
    assert team.participant("a").context.describe().startswith("Full")  # the team's agent is unchanged


def test_own_tool_calls_survive_trimming_as_a_whole_group():
    @tool(blocking=False)
    def f() -> str:
        """F."""
        return "r"

    model = ScriptedModel({"a": [{"calls": [call("f"), call("f")]}, "done", "again"], "b": ["b says"] * 3})
    team = Team([Agent("a", tools=[f], context=LastN(1)), Agent("b")], model=model, max_turns=3)
    team.run_sync("task")
    well_formed(team.participant("a").context_preview(team).sent)


@pytest.mark.parametrize(
    "bad",
    [lambda: LastN(0), lambda: TokenLimit(-1), lambda: HeadAndTail(0, 0), lambda: Agent("a", context=5)],
)
def test_bad_policies_are_clear_errors(bad):
    with pytest.raises(ValueError):
        bad()


def test_a_context_policy_set_on_an_existing_agent_is_checked_at_once():
    agent = Agent("a")
    with pytest.raises(ValueError, match="context: expected a context policy"):
        agent.context = 5
    agent.context = LastN(2)
    assert isinstance(agent.context, LastN)
    with pytest.raises(ValueError, match="unknown setting"):
        agent.model_settings = {"temp": 1}


def test_a_copy_with_another_policy_previews_its_own_policy_over_the_teams_conversation():
    """``agent.copy(context=LastN(1)).context_preview(team)`` showed the team's own agent (Full())."""
    from agentnb import LastN

    model = ScriptedModel({"a": ["one", "three"], "b": ["two", "four"]})
    team = Team([Agent("a"), Agent("b")], model=model, max_turns=4)
    team.run_sync("go")
    full = team.participant("a").context_preview(team)
    short = team.participant("a").copy(context=LastN(1)).context_preview(team)
    assert short.policy.startswith("LastN(1)") and full.policy.startswith("Full()")
    assert len(short.sent) < len(full.sent)


def test_the_preview_shows_the_memory_note_as_its_own_row_and_sends_it_joined_to_the_role(tmp_path):
    from agentnb import MemoryStore

    store = MemoryStore(tmp_path / "m.db")
    store.remember("The site covers 14 acres.", by="researcher")
    agent = Agent("researcher", "You research.", memory=store, model=ScriptedModel({"researcher": ["ok"]}))
    team = Team([agent], max_turns=1)
    team.run_sync("How big is the site?")
    seen = agent.context_preview(team)
    assert [(r.role, r.name) for r in seen.rows[:2]] == [("system", ""), ("system", "memory")]
    assert "14 acres" in seen.rows[1].content
    assert sum(m["role"] == "system" for m in seen.sent) == 1 and "14 acres" in seen.sent[0]["content"]
