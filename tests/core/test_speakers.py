"""Selector and handoff modes: who speaks next, guards and fallbacks."""

from __future__ import annotations

from agentnb import Agent, Human, Team
from agentnb.core.events import Handoff, SpeakerSelected
from agentnb.models import ScriptedModel, handoff


def agents(*names):
    return [Agent(n, f"You are the {n}.", description=f"The {n}.") for n in names]


def chosen(result):
    return [(e.speaker, e.reason) for e in result.messages if isinstance(e, SpeakerSelected)]


def test_selector_model_picks_the_next_speaker_from_descriptions():
    model = ScriptedModel(
        {
            "selector": ["writer", "Editor.", "the writer should go"],
            "*": ["text"] * 5,
        }
    )
    team = Team(agents("writer", "editor", "critic"), mode="selector", model=model, max_turns=3)
    result = team.run_sync("go")
    assert [s for s, _ in chosen(result)] == ["writer", "editor", "writer"]
    assert all(reason == "chosen by the selector model" for _, reason in chosen(result))
    selections = [e for e in result.messages if isinstance(e, SpeakerSelected)]
    assert all(e.usage is not None and e.usage.total_tokens > 0 for e in selections)


def test_selector_request_lists_participants_and_recent_history():
    seen = []

    from agentnb.models import FunctionModel

    def reply(request):
        if request.agent == "selector":
            seen.append(request.messages)
            return "critic"
        return "ok"

    team = Team(agents("author", "critic"), mode="selector", model=FunctionModel(reply), max_turns=1)
    team.run_sync("Review the plan")
    system, user = seen[0]
    assert "- author: The author." in system["content"] and "- critic: The critic." in system["content"]
    assert "user: Review the plan" in user["content"]


def test_selector_retries_an_invalid_name_then_accepts_a_valid_one():
    model = ScriptedModel({"selector": ["nobody", "editor"], "*": ["text"]})
    result = Team(agents("writer", "editor"), mode="selector", model=model, max_turns=1).run_sync("go")
    assert chosen(result) == [("editor", "chosen by the selector model")]


def test_selector_falls_back_deterministically_after_repeated_invalid_answers():
    model = ScriptedModel({"selector": ["???"] * 3 + ["writer"] * 3 + ["writer"] * 3, "*": ["t"] * 9})
    team = Team(agents("writer", "editor", "critic"), mode="selector", model=model, max_turns=3)
    result = team.run_sync("go")
    picks = chosen(result)
    assert picks[0][0] == "writer" and picks[0][1].startswith("fallback after 3 tries")
    assert "not a participant" in picks[0][1]
    # writer just spoke, so choosing writer again is refused and the fallback moves on
    assert picks[1][0] == "editor" and "again" in picks[1][1]


def test_selector_may_repeat_a_speaker_when_allowed():
    model = ScriptedModel({"selector": ["writer", "writer"], "*": ["t", "t"]})
    team = Team(
        agents("writer", "editor"), mode="selector", model=model, max_turns=2, allow_repeated_speaker=True
    )
    assert [s for s, _ in chosen(team.run_sync("go"))] == ["writer", "writer"]


def test_handoff_mode_passes_control_through_transfer_tools():
    model = ScriptedModel(
        {
            "triage": [handoff("billing")],
            "billing": ["Your refund is on its way. DONE"],
            "tech": ["unused"],
        }
    )
    team = Team(agents("triage", "billing", "tech"), mode="handoff", model=model, until="DONE")
    result = team.run_sync("I was charged twice")
    assert [e.target for e in result.messages if isinstance(e, Handoff)] == ["billing"]
    assert [s for s, _ in chosen(result)] == ["triage", "billing"]
    assert result.final == "Your refund is on its way. DONE"


def test_handoff_tools_are_offered_with_target_descriptions():
    seen = []

    from agentnb.models import FunctionModel

    def reply(request):
        seen.append(request.tools)
        return "hello"

    team = Team(agents("triage", "billing"), mode="handoff", model=FunctionModel(reply), max_turns=1)
    team.run_sync("hi")
    tool = seen[0][0]["function"]
    assert tool["name"] == "transfer_to_billing"
    assert "The billing." in tool["description"]


def test_agents_may_restrict_their_handoff_targets():
    seen = []

    from agentnb.models import FunctionModel

    def reply(request):
        seen.append([t["function"]["name"] for t in request.tools])
        return "hi"

    a, b, c = agents("a", "b", "c")
    a.handoffs = ["c"]
    Team([a, b, c], mode="handoff", model=FunctionModel(reply), max_turns=1).run_sync("x")
    assert seen[0] == ["transfer_to_c"]


def test_handoff_without_transfer_goes_to_the_human_and_back():
    model = ScriptedModel({"agent": ["What is your order number?", "Found order 42. DONE"]})
    human = Human("customer", input_fn=lambda prompt: "It is 42")
    team = Team([*agents("agent"), human], mode="handoff", model=model, until="DONE")
    result = team.run_sync("Where is my order?")
    assert [(m.source, m.content) for m in result.chat()][1:] == [
        ("agent", "What is your order number?"),
        ("customer", "It is 42"),
        ("agent", "Found order 42. DONE"),
    ]


def test_handoff_agent_without_human_keeps_the_floor():
    model = ScriptedModel({"a": ["thinking", "still thinking"], "b": []})
    result = Team(agents("a", "b"), mode="handoff", model=model, max_turns=2).run_sync("go")
    assert [s for s, _ in chosen(result)] == ["a", "a"]


def test_a_failed_handoff_call_does_not_hand_off():
    model = ScriptedModel(
        {"a": [{"tool": "transfer_to_b", "raw": "{broken"}, "I'll answer myself."], "b": []}
    )
    result = Team(agents("a", "b"), mode="handoff", model=model, max_turns=1).run_sync("go")
    assert not [e for e in result.messages if isinstance(e, Handoff)]
    assert [r.is_error for r in result.messages if r.type == "tool_result"] == [True]
    assert result.final == "I'll answer myself."
