"""The newsroom demo's structure: narrowed requests, tailored contexts, the graph, offline models."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentnb.apps import newsroom_desk, newsroom_reading
from agentnb.apps.demo import ARCHIVE, NEWSROOM_TASK, newsroom
from agentnb.core.events import TextMessage, ToolCalls, ToolResult
from agentnb.models import FunctionModel, ModelRequest
from agentnb.models.scripted import call

INVENTED = (
    "The council voted 12-3 on Tuesday to turn the Harmon rail yard into a park. Mayor Jo Chen cheered."
)
FROM_THE_ARCHIVE = (
    "The council voted 7-2 to convert the Harmon rail yard into a park. "
    "A state parks grant of $3.9 million was awarded for the project."
)


def first_choice(schema: dict[str, Any]) -> Any:
    """A schema-following stand-in for a model: the first allowed value of everything."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "object":
        return {name: first_choice(sub) for name, sub in schema.get("properties", {}).items()}
    if "pattern" in schema:
        return "Council turns rail yard into park"
    return "text"


def newsroom_model(drafts: list[str]) -> tuple[FunctionModel, list[ModelRequest]]:
    seen: list[ModelRequest] = []

    def reply(request: ModelRequest) -> Any:
        seen.append(request)
        if request.agent == "writer":
            return drafts[min(sum(r.agent == "writer" for r in seen), len(drafts)) - 1]
        if request.tools:
            fn = request.tools[0]["function"]
            return call(fn["name"], **first_choice(fn["parameters"]))
        return {"json": first_choice(request.output_schema or {})}

    return FunctionModel(reply), seen


def test_a_draft_with_invented_facts_goes_back_and_the_revision_is_published() -> None:
    model, seen = newsroom_model([INVENTED, FROM_THE_ARCHIVE])
    result = newsroom(model).run_sync(NEWSROOM_TASK)
    replies = [e for e in result.messages if isinstance(e, TextMessage) and e.source != "user"]
    assert [m.source for m in replies] == [
        "writer", "fact_checker", "editor", "writer", "fact_checker", "editor", "publisher",
    ]  # fmt: skip
    assert [m.data["verdict"] for m in replies if m.source == "editor"] == ["REVISE", "APPROVED"]
    assert replies[1].content.startswith("✗ sentence 1: not in the archive\n✗ sentence 2: not in the archive")
    assert result.stop_reason == "publisher said 'PUBLISHED'"
    assert replies[-1].data == {"headline": "Council turns rail yard into park", "story": FROM_THE_ARCHIVE}
    assert str(replies[-1].content).startswith("PUBLISHED: Council turns rail yard into park\n\n")
    searches = [c for e in result.messages if isinstance(e, ToolCalls) for c in e.calls]
    queries = [
        json.loads(c.arguments)["query"] for c in searches
    ]  # two per check, each a phrase of its draft
    assert queries == ["council voted 12-3", "Tuesday", "council voted 7-2", "Harmon rail yard"]
    assert all(not r.is_error for r in result.messages if isinstance(r, ToolResult))
    assert all(r.tool_choice == "search_archive" for r in seen if r.tools)


def test_the_published_story_keeps_only_the_sentences_the_archive_backs() -> None:
    mixed = FROM_THE_ARCHIVE + " The park opens with a concert by Mayor Jo Chen."
    model, _ = newsroom_model([mixed])
    result = newsroom(model).run_sync(NEWSROOM_TASK)
    verdict = next(e for e in result.messages if isinstance(e, TextMessage) and e.source == "editor")
    assert verdict.data == {"verdict": "APPROVED", "keep": [1, 2], "cut": [3]}
    assert verdict.content == "APPROVED: print sentences 1, 2, cut sentence 3."
    assert result.output.story == FROM_THE_ARCHIVE


def test_the_publisher_sees_only_the_story_it_prints() -> None:
    mixed = FROM_THE_ARCHIVE + " The park opens with a concert by Mayor Jo Chen."
    model, seen = newsroom_model([mixed])
    newsroom(model).run_sync(NEWSROOM_TASK)
    publisher = next(r for r in seen if r.agent == "publisher")
    assert publisher.messages[1:] == [
        {"role": "user", "content": f"{FROM_THE_ARCHIVE}\n\nWrite a short headline for this story."}
    ]


def test_each_agent_sees_the_task_and_only_its_colleagues_latest_messages() -> None:
    model, seen = newsroom_model([INVENTED, FROM_THE_ARCHIVE])
    newsroom(model).run_sync(NEWSROOM_TASK)
    first_draft = next(r.messages for r in seen if r.agent == "writer")
    assert [m.get("name", m["role"]) for m in first_draft] == ["system", "user"]
    editor = [r for r in seen if r.agent == "editor"][1].messages
    assert [m.get("name", m["role"]) for m in editor] == ["system", "fact_checker"]
    report = [r for r in seen if r.agent == "fact_checker" and not r.tools][1].messages
    shown = [m.get("name", m["role"]) for m in report]
    assert shown == ["system", "user", "writer", "assistant", "tool", "assistant", "tool"]
    assert report[2]["content"] == FROM_THE_ARCHIVE


def test_a_revision_is_asked_for_with_the_facts_found_not_the_report_or_the_old_draft() -> None:
    model, seen = newsroom_model([INVENTED, FROM_THE_ARCHIVE])
    newsroom(model).run_sync(NEWSROOM_TASK)
    revision = [r for r in seen if r.agent == "writer"][1]
    assert [m["role"] for m in revision.messages] == ["system", "user"]
    ask = revision.messages[1]["content"]
    found = [e for e in ARCHIVE if e in ask]
    assert ask.startswith(f"Facts from the archive: {' '.join(found)}\n\nAssignment: {NEWSROOM_TASK}")
    assert found and "Mayor" not in ask and "✗" not in ask and "Searched" not in ask
    assert revision.settings["temperature"] < seen[0].settings["temperature"]
    assert revision.settings["repeat_penalty"] == 1.0


def test_the_search_may_only_use_phrases_of_the_draft() -> None:
    assert newsroom_reading.phrases(INVENTED) == [
        "council voted 12-3",
        "Tuesday",
        "Harmon rail yard",
        "Mayor",
        "Chen cheered",
    ]
    assert newsroom_reading.phrases(FROM_THE_ARCHIVE) == [
        "council voted 7-2",
        "Harmon rail yard",
        "state parks grant",
        "$3.9 million",
    ]


@pytest.mark.parametrize(
    ("sentence", "backed"),
    [
        ("The council voted 7-2 to convert the Harmon rail yard into a park.", True),
        ("The council voted 12-3 to convert the Harmon rail yard into a park.", False),  # a number
        ("Mayor Jo Chen praised the Harmon rail yard park.", False),  # a name the archive lacks
        ("Riverside will get a new park on the old rail yard.", True),  # names from the assignment
        ("Fireworks lit the sky over the river.", False),  # nothing in common
        ("The council voted on November 17, 2026 to convert the Harmon rail yard.", True),  # 2026-11-17
        ("The council voted on March 17, 2026 to convert the Harmon rail yard.", False),  # not in March
        ("The Harmon rail yard park has sparked debate among worried local residents.", False),  # new words
    ],
)
def test_an_entry_backs_a_sentence_that_shares_its_words_numbers_and_names(
    sentence: str, backed: bool
) -> None:
    assert any(newsroom_reading.backs(entry, sentence, NEWSROOM_TASK) for entry in ARCHIVE) is backed


def test_the_verdict_follows_the_fact_check() -> None:
    def verdicts(report: str) -> list[str]:
        request = ModelRequest(
            agent="editor", messages=[{"role": "user", "name": "fact_checker", "content": report}]
        )
        return newsroom_desk.verdict_request(request).output_schema["properties"]["verdict"]["enum"]  # type: ignore[index]

    assert verdicts("✗ sentence 1: not in the archive") == ["REVISE"]
    assert verdicts("✓ sentence 1: backed by [2]") == ["APPROVED"]
    assert verdicts("✓ sentence 1: backed by [2]\n✗ sentence 2: not in the archive") == ["APPROVED"]
    invented = "✗ sentence 2: not in the archive\n✗ sentence 3: not in the archive"
    assert verdicts(f"✓ sentence 1: backed by [2]\n{invented}") == ["APPROVED", "REVISE"]  # a choice


def test_on_auto_models_the_same_team_runs_without_errors() -> None:
    for seed in range(3):
        result = newsroom(f"auto:{seed}", max_turns=8).run_sync(NEWSROOM_TASK)
        checks = [e for e in result.messages if isinstance(e, TextMessage) and e.source == "fact_checker"]
        assert result.turns == 8 and checks and all(isinstance(c.data, dict) for c in checks)


def test_the_newsroom_script_plays_the_round_robin_team() -> None:
    team = newsroom("scripted:newsroom")
    assert team.mode == "round_robin" and team.names == ["writer", "fact_checker", "editor", "publisher"]
    result = team.run_sync(NEWSROOM_TASK)
    assert result.stop_reason == "publisher said 'PUBLISHED'"
    cleared = [
        e.content for e in result.messages if isinstance(e, TextMessage) and e.source == "fact_checker"
    ]
    assert "14 acres" in cleared[-1]


def test_a_headline_opens_with_a_name_from_the_story_but_not_with_its_opening_words() -> None:
    import re

    pattern = newsroom_desk.headline_pattern(FROM_THE_ARCHIVE)
    assert re.match(pattern, "Harmon rail yard becomes a park")
    assert re.match(pattern, "Harmon yard, $3.9 million grant")
    assert not re.match(pattern, "The council voted 7-2 to convert the Harmon rail yard")  # the opening
    assert not re.match(pattern, "Harmon railyard intoPublicPark")  # words run together
    assert not re.match(pattern, "Harmon park")  # too short to be a headline
    no_name = newsroom_desk.headline_pattern("the council voted.")  # no name to open a headline with
    assert no_name == newsroom_desk.HEADLINE
