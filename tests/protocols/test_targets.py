"""What a served team answers (``final_message``, used by the MCP and A2A servers)."""

from __future__ import annotations

from agentnb import Agent, Human, Team
from agentnb.models import ScriptedModel
from agentnb.protocols.targets import final_message


def test_a_served_run_answers_with_its_last_message() -> None:
    model = ScriptedModel({"writer": ["Draft."], "editor": ["OK."]})
    result = Team([Agent("writer"), Agent("editor")], model=model, max_turns=2).run_sync("Write.")
    answer = final_message(result)
    assert answer is not None and (answer.source, answer.content) == ("editor", "OK.")


def test_a_served_run_that_ends_waiting_for_a_person_has_no_answer_not_the_draft_before_the_wait() -> None:
    """The client is told 'stopped without an answer: awaiting ...', not given the writer's draft."""
    team = Team(
        [Agent("writer"), Human("chief", input_fn="later")],
        model=ScriptedModel({"writer": ["Draft."]}),
        max_turns=3,
    )
    result = team.run_sync("Write.")
    assert result.stop_reason == "awaiting an answer from chief"
    assert final_message(result) is None
