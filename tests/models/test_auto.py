"""AutoModel in handoff teams: it uses its own tools, then passes control with a transfer tool."""

from __future__ import annotations

import asyncio

from agentnb import Agent, Team, tool
from agentnb.core.events import Handoff, TextMessage, ToolCalls, ToolResult
from agentnb.models import AutoModel, ModelRequest, complete
from tests.models.schemas import ADD


def transfer(target: str) -> dict:
    return {
        "type": "function",
        "function": {
            "name": f"transfer_to_{target}",
            "description": f"Hand over to {target}.",
            "parameters": {"type": "object", "properties": {}},
        },
    }


def handoff_team(seed: int, **options: object) -> Team:
    agents = [Agent("triage"), Agent("billing"), Agent("support")]
    return Team(agents, mode="handoff", model=AutoModel(seed, **options), max_turns=6)  # type: ignore[arg-type]


def test_a_handoff_team_on_auto_hands_off() -> None:
    result = handoff_team(1).run_sync("my invoice is wrong")
    handoffs = [m for m in result.messages if isinstance(m, Handoff)]
    assert handoffs and handoffs[0].source == "triage"
    assert {h.target for h in handoffs} <= {"triage", "billing", "support"}
    assert all(h.source != h.target for h in handoffs)
    speakers = [m.source for m in result.messages if isinstance(m, ToolCalls)]
    assert speakers[1:] == [h.target for h in handoffs][: len(speakers) - 1]  # the target speaks next


def test_the_handoff_targets_follow_the_seed() -> None:
    def route(seed: int) -> list[str]:
        return [m.target for m in handoff_team(seed).run_sync("go").messages if isinstance(m, Handoff)]

    assert route(1) == route(1)
    assert len({tuple(route(seed)) for seed in range(6)}) > 1


def test_handoffs_false_replies_with_text_instead() -> None:
    result = handoff_team(1, handoffs=False).run_sync("go")
    assert not [m for m in result.messages if isinstance(m, Handoff)]
    replies = [m for m in result.messages if isinstance(m, TextMessage) and m.source != "user"]
    assert replies and {m.source for m in replies} == {"triage"}  # no handoff: triage keeps the floor


def test_own_tools_run_first_then_one_transfer() -> None:
    @tool(blocking=False)
    def lookup(order: int) -> str:
        """Look an order up."""
        return f"order {order}: shipped"

    agents = [Agent("clerk", tools=[lookup]), Agent("manager")]
    result = Team(agents, mode="handoff", model=AutoModel(3), max_turns=1).run_sync("where is my order?")
    rounds = [[c.name for c in m.calls] for m in result.messages if isinstance(m, ToolCalls)]
    assert rounds == [["lookup"], ["transfer_to_manager"]]
    assert next(m.content for m in result.messages if isinstance(m, ToolResult)).endswith("shipped")
    assert [(m.source, m.target) for m in result.messages if isinstance(m, Handoff)] == [("clerk", "manager")]


def test_outside_handoff_teams_nothing_changes() -> None:
    request = ModelRequest(
        agent="a", messages=[{"role": "tool", "tool_call_id": "c", "content": "3"}], tools=[ADD]
    )
    reply = asyncio.run(complete(AutoModel(0), request))
    assert reply.text and not reply.tool_calls  # tool results are back: it answers
    forced = ModelRequest(
        agent="a", messages=[{"role": "user", "content": "x"}], tools=[ADD, transfer("b")], tool_choice="add"
    )
    assert [c.name for c in asyncio.run(complete(AutoModel(0), forced)).tool_calls] == ["add"]
