"""Handoff, selector and graph modes: the cases a careless user hits, and AutoGen parity."""

from __future__ import annotations

import asyncio

import pytest

from agentnb import Agent, Human, Team, tool
from agentnb.core.events import Handoff, SpeakerSelected, TextMessage, ToolCalls, ToolResult
from agentnb.core.modes.graph import Edge
from agentnb.models import FunctionModel, ScriptedModel, call, handoff


def agents(*names, **options):
    return [Agent(n, f"You are the {n}.", description=f"The {n}.", **options) for n in names]


def speakers(result):
    return [e.speaker for e in result.messages if isinstance(e, SpeakerSelected)]


# ----- handoff mode -------------------------------------------------------------------------


def test_a_new_task_after_a_handoff_goes_to_the_target():
    model = ScriptedModel(
        {"triage": [handoff("billing")], "billing": ["refund sent", "invoice sent", "more"]}
    )
    team = Team(agents("triage", "billing"), mode="handoff", model=model, max_turns=2)
    team.run_sync("I was charged twice")
    result = team.run_sync("Also send me the invoice")
    assert speakers(result) == ["billing", "billing"]
    assert result.chat()[1].content == "invoice sent"


def test_continuing_without_a_task_after_a_handoff_goes_to_the_target_too():
    model = ScriptedModel({"triage": [handoff("billing")], "billing": ["done"]})
    team = Team(agents("triage", "billing"), mode="handoff", model=model, max_turns=1)
    team.run_sync("help")
    assert speakers(team.run_sync()) == ["billing"]


def test_after_a_handoff_to_a_human_the_next_task_is_the_humans_answer():
    model = ScriptedModel({"agent": [handoff("customer"), "Found order 42."]})
    human = Human("customer", input_fn=lambda prompt: pytest.fail("the task is the answer"))
    team = Team([*agents("agent"), human], mode="handoff", model=model, max_turns=1)
    assert speakers(team.run_sync("Where is my order?")) == ["agent"]  # handed to the customer, then stopped
    result = team.run_sync("It is order 42")
    assert speakers(result) == ["agent"]
    assert result.final == "Found order 42."


def test_a_human_first_in_handoff_mode_answers_once_then_the_first_agent_speaks():
    answers = iter(["my order is late", "thanks"])
    human = Human("customer", input_fn=lambda prompt: next(answers))
    model = ScriptedModel({"agent": ["On it."]})
    team = Team([human, *agents("agent")], mode="handoff", model=model, max_turns=3)
    assert speakers(team.run_sync()) == ["customer", "agent", "customer"]


def test_a_task_given_to_a_team_whose_first_participant_is_a_human_goes_to_the_first_agent():
    human = Human("customer", input_fn=lambda prompt: "thanks")
    model = ScriptedModel({"agent": ["On it."]})
    team = Team([human, *agents("agent")], mode="handoff", model=model, max_turns=1)
    assert speakers(team.run_sync("my order is late")) == ["agent"]


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (
            lambda: Team([Team(agents("x"), name="inner"), *agents("a")], mode="handoff"),
            "cannot call a transfer tool",
        ),
        (lambda: Team([Human("h")], mode="handoff"), "needs at least one Agent"),
        (lambda: Agent("a", handoffs=["b", "b"]), "listed twice"),
        (lambda: Agent("a", handoffs=3), "expected a participant name or a list of them"),
        (
            lambda: Team(
                [Agent("a", tools=[tool(lambda: "x", name="transfer_to_b")]), Agent("b")], mode="handoff"
            ),
            "clashes with the generated handoff",
        ),
        (lambda: Team([Agent("a", handoffs=["a"]), Agent("b")], mode="handoff"), "cannot hand off to itself"),
    ],
)
def test_handoff_teams_that_cannot_work_are_rejected_when_built(build, words):
    with pytest.raises(ValueError, match=words):
        build()


def test_a_single_handoff_target_is_a_list_of_one():
    """A student writes handoffs="editor" (or an agent) for the one target: it means what it says."""
    editor = Agent("editor", "Edits.")
    assert Agent("writer", handoffs="editor").handoffs == ["editor"]
    assert Agent("writer", handoffs=editor).handoffs == ["editor"]


def test_handoffs_accept_agents_as_well_as_names():
    billing = Agent("billing", "Billing.")
    triage = Agent("triage", "Triage.", handoffs=[billing])
    assert triage.handoffs == ["billing"]
    model = ScriptedModel({"triage": [handoff("billing")], "billing": ["ok"]})
    assert speakers(Team([triage, billing], mode="handoff", model=model, max_turns=2).run_sync("x")) == [
        "triage",
        "billing",
    ]


def test_a_handoff_target_sees_the_tool_calls_and_results_that_led_to_the_handoff():
    @tool(blocking=False)
    def lookup(order: int) -> str:
        """Look an order up."""
        return f"order {order}: paid twice"

    seen = []

    def reply(request):
        if request.agent == "triage":
            if request.messages[-1]["role"] == "tool":
                return handoff("billing")
            return call("lookup", order=42)
        seen.append(request.messages)
        return "refunded"

    triage = Agent("triage", tools=[lookup])
    team = Team([triage, Agent("billing")], mode="handoff", model=FunctionModel(reply), max_turns=2)
    team.run_sync("charged twice")
    note = seen[0][-1]["content"]
    assert "[triage handed the conversation to billing]" in note
    assert 'triage called lookup({"order": 42})' in note
    assert "lookup result: order 42: paid twice" in note


# ----- selector mode ------------------------------------------------------------------------


def test_selector_prompt_supports_history_and_rejects_unknown_placeholders():
    seen = []

    def reply(request):
        if request.agent == "selector":
            seen.append(request.messages)
            return "b"
        return "ok"

    prompt = "Pick from {participants}.\nRoles:\n{roles}\nChat:\n{history}"
    team = Team(
        agents("a", "b", "c"),
        mode="selector",
        selector_prompt=prompt,
        model=FunctionModel(reply),
        max_turns=1,
    )
    team.run_sync("start here")
    system = seen[0][0]["content"]
    assert "Pick from a, b, c." in system and "user: start here" in system
    assert "Conversation so far" not in seen[0][1]["content"]
    with pytest.raises(ValueError, match=r"unknown placeholder \{chat\}; the placeholders are \{roles\}"):
        Team(agents("a", "b"), mode="selector", selector_prompt="Choose: {chat}")


def test_no_selector_call_when_only_one_candidate_may_speak():
    calls = []

    def reply(request):
        calls.append(request.agent)
        return "a" if request.agent == "selector" else "ok"

    team = Team(agents("a", "b"), mode="selector", model=FunctionModel(reply), max_turns=4)
    result = team.run_sync("go")
    assert speakers(result) == ["a", "b", "a", "b"]
    assert calls.count("selector") == 1
    assert [e.reason for e in result.messages if isinstance(e, SpeakerSelected)][1:] == [
        "the only candidate"
    ] * 3


def test_selector_func_decides_or_falls_back_to_the_model():
    def choose(transcript):
        last = transcript[-1]
        return "critic" if isinstance(last, TextMessage) and last.source == "writer" else None

    model = ScriptedModel({"selector": ["writer", "writer"], "*": ["draft"] * 4})
    team = Team(
        agents("writer", "critic", "editor"), mode="selector", selector_func=choose, model=model, max_turns=3
    )
    result = team.run_sync("go")
    assert speakers(result) == ["writer", "critic", "writer"]
    reasons = [e.reason for e in result.messages if isinstance(e, SpeakerSelected)]
    assert reasons[1] == "chosen by selector_func"


def test_candidate_func_narrows_who_may_speak():
    model = ScriptedModel({"selector": ["editor"] * 6, "*": ["x"] * 3})
    team = Team(
        agents("writer", "editor", "critic"),
        mode="selector",
        candidate_func=lambda transcript: ["writer", "critic"],
        model=model,
        max_turns=2,
    )
    result = team.run_sync("go")
    assert all(s in ("writer", "critic") for s in speakers(result))
    with pytest.raises(Exception, match="not a participant"):
        Team(agents("a", "b"), mode="selector", candidate_func=lambda t: ["zed"], model=model).run_sync("x")


# ----- graph mode ---------------------------------------------------------------------------


def test_a_graph_of_one_node_and_no_edges_runs_it_once():
    result = Team(agents("solo"), mode="graph", edges=[], model=ScriptedModel({"solo": ["done"]})).run_sync(
        "go"
    )
    assert speakers(result) == ["solo"]
    assert result.stop_reason == "graph finished: no edge left to take"


def test_an_any_join_starts_on_the_first_parent_and_ignores_the_rest_of_the_wave():
    async def reply(request):
        if request.agent == "slow":
            await asyncio.sleep(0.2)
        return f"{request.agent} done"

    edges = [
        ("start", "fast"),
        ("start", "slow"),
        Edge("fast", "join", join="any"),
        Edge("slow", "join", join="any"),
    ]
    team = Team(
        agents("start", "fast", "slow", "join"), mode="graph", edges=edges, model=FunctionModel(reply)
    )
    result = team.run_sync("go")
    order = speakers(result)
    assert order.count("join") == 1
    assert order.index("join") < [e.source for e in result.chat()].index("slow")


def test_dict_conditions_read_structured_replies():
    from pydantic import BaseModel

    class Verdict(BaseModel):
        verdict: str
        note: str

    model = ScriptedModel(
        {
            "editor": [
                {"json": {"verdict": "REVISE", "note": "fix it"}},
                {"json": {"verdict": "APPROVED", "note": "ok"}},
            ],
            "writer": ["draft 1", "draft 2"],
            "publisher": ["published"],
        }
    )
    team = Team(
        [Agent("writer"), Agent("editor", output_type=Verdict), Agent("publisher")],
        mode="graph",
        edges=[
            ("writer", "editor"),
            ("editor", "writer", {"verdict": "REVISE"}),
            ("editor", "publisher", {"verdict": "APPROVED"}),
        ],
        model=model,
    )
    result = team.run_sync("write")
    assert speakers(result) == ["writer", "editor", "writer", "editor", "publisher"]
    assert "**Verdict:** REVISE" in result.chat()[2].content


def test_a_graph_stopped_part_way_resumes_where_it_stopped():
    model = ScriptedModel({"a": ["a1"], "b": ["b1"], "c": ["c1"]})
    team = Team(agents("a", "b", "c"), mode="sequential", model=model, max_turns=2)
    first = team.run_sync("go")
    assert speakers(first) == ["a", "b"]
    second = team.run_sync()
    assert speakers(second) == ["c"]
    assert second.stop_reason == "graph finished: no edge left to take"


# ----- tasks, tools and standalone agents -----------------------------------------------------


def test_a_task_may_be_a_list_of_messages_or_a_text_message():
    seen = []

    def reply(request):
        seen.append([m.get("content") for m in request.messages])
        return "ok"

    team = Team([Agent("a", model=FunctionModel(reply))], max_turns=1)
    team.run_sync(["first part", TextMessage(source="user", content="second part")])
    assert seen[-1][1:] == ["first part", "second part"]
    team.run_sync(TextMessage(source="user", content="third"))
    assert seen[-1][-1] == "third"


def test_reflect_on_tool_use_false_makes_the_tool_output_the_reply():
    @tool(blocking=False)
    def weather(city: str) -> str:
        """The weather."""
        return f"sunny in {city}"

    model = ScriptedModel({"a": [call("weather", city="Lisbon")]})
    agent = Agent("a", tools=[weather], reflect_on_tool_use=False, model=model)
    result = Team([agent], max_turns=1).run_sync("weather?")
    assert result.final == "sunny in Lisbon"
    assert model.calls == 1


def test_an_agent_and_a_team_can_be_tools_of_another_agent():
    researcher = Agent(
        "researcher", "You research.", model=ScriptedModel({"researcher": ["Lisbon is sunny"] * 2})
    )
    lead_model = ScriptedModel(
        {"lead": [call("researcher", task="weather in Lisbon"), call("desk", task="headline"), "done"]}
    )
    desk = Team(
        [Agent("editor", model=ScriptedModel({"editor": ["Sunny Lisbon"]}))], name="desk", max_turns=1
    )
    lead = Agent("lead", tools=[researcher.as_tool(), desk.as_tool()], model=lead_model)
    result = Team([lead], max_turns=1).run_sync("go")
    results = [e.content for e in result.messages if isinstance(e, ToolResult)]
    assert results == ["Lisbon is sunny", "Sunny Lisbon"]
    assert len(desk.transcript) == 0  # each call runs a fresh copy


def test_agent_stream_yields_the_events_of_one_turn():
    agent = Agent("a", model=ScriptedModel({"a": ["hello there"]}))

    async def collect():
        return [type(e).__name__ async for e in agent.stream("hi")]

    kinds = asyncio.run(collect())
    assert kinds[0] == "TextMessage" and "TokenDelta" in kinds and kinds[-1] == "Stop"


def test_an_edited_approval_runs_what_was_approved_and_records_both():
    ran = []

    @tool(requires_approval=True, blocking=False)
    def delete(path: str) -> str:
        """Delete a file."""
        ran.append(path)
        return f"deleted {path}"

    model = ScriptedModel({"a": [call("delete", path="/"), "ok"]})
    team = Team(
        [Agent("a", tools=[delete], model=model)],
        approver=lambda agent, c: (True, "narrowed it", {"path": "/tmp/x"}),
        max_turns=1,
    )
    result = team.run_sync("clean up")
    calls = next(e for e in result.messages if isinstance(e, ToolCalls))
    approval = next(e for e in result.messages if e.type == "approval")
    assert calls.calls[0].arguments == '{"path": "/"}'
    assert approval.arguments == '{"path": "/tmp/x"}' and approval.comment == "narrowed it"
    assert ran == ["/tmp/x"]


def test_handoff_events_are_recorded():
    model = ScriptedModel({"a": [handoff("b")], "b": ["hi"]})
    result = Team(agents("a", "b"), mode="handoff", model=model, max_turns=2).run_sync("x")
    assert [e.target for e in result.messages if isinstance(e, Handoff)] == ["b"]
