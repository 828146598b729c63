"""Checkpoint numbers in static renderings, the checkpoint list, and the context X-ray at a checkpoint."""

from __future__ import annotations

import re

import pytest

from agentnb import Agent, Team
from agentnb.core.errors import UnknownParticipantError
from agentnb.core.events import TextMessage, ToolCall, ToolCalls, ToolResult
from agentnb.models import ScriptedModel
from agentnb.views import CheckpointList, context_at
from agentnb.views.chat import render_html, render_markdown, render_text, result_mimebundle

SCRIPT = {"poet": ["Draft one", "Draft two"], "critic": ["REVISE it", "APPROVED"]}


def haiku_team() -> Team:
    return Team(
        [Agent("poet", "You write."), Agent("critic", "You judge.")],
        until="APPROVED",
        model=ScriptedModel(SCRIPT, stateless=True, loop=True),
    )


def numbered(html: str) -> dict[str, list[int]]:
    """Who said what at which checkpoint, read from the bubbles."""
    found: dict[str, list[int]] = {}
    for name, k in re.findall(r'data-agent="([^"]+)".*?class="agentnb-checkpoint"[^>]*>#(\d+)<', html):
        found.setdefault(name, []).append(int(k))
    return found


def test_each_message_shows_the_checkpoint_just_before_it_in_every_format() -> None:
    team = haiku_team()
    result = team.run_sync("A haiku")
    bundle = result_mimebundle(result)
    marks = numbered(bundle["text/html"])
    for name, ks in marks.items():
        for k in ks:
            assert team.transcript[k].source == name and isinstance(team.transcript[k], TextMessage)
    assert marks["critic"] == [k for k, e in enumerate(team.transcript) if e.source == "critic"]
    verdict = marks["critic"][-1]
    assert f"**critic** · #{verdict}\n\n> APPROVED" in bundle["text/markdown"]
    assert f"critic: #{verdict}\nAPPROVED" in bundle["text/plain"]
    assert "team.rewind(k) or team.fork(k)" in bundle["text/html"]  # the summary says what #k is for


def test_rewinding_to_a_shown_number_redoes_that_message() -> None:
    team = haiku_team()
    result = team.run_sync("A haiku")
    verdict = numbered(result_mimebundle(result)["text/html"])["critic"][-1]
    team.rewind(verdict)
    said = [e for e in team.transcript if isinstance(e, TextMessage)]
    assert len(team.transcript) == verdict and said[-1].content == "Draft two"
    team.run_sync()  # the run goes on from the checkpoint: the critic speaks again
    redone = team.transcript[verdict]
    assert isinstance(redone, TextMessage) and (redone.source, redone.content) == ("critic", "APPROVED")


def test_a_later_run_numbers_on_from_where_it_starts() -> None:
    team = haiku_team()
    team.run_sync("A haiku")
    second = team.run_sync("Another")
    assert second.start > 0
    marks = numbered(result_mimebundle(second)["text/html"])
    assert marks["user"] == [second.start]  # the new task is the run's first event
    assert all(team.transcript[k].source == name for name, ks in marks.items() for k in ks)


def test_tool_panels_carry_the_checkpoint_of_the_call_and_plain_renderings_carry_none() -> None:
    events = [
        TextMessage(source="user", content="go"),
        ToolCalls(source="a", calls=[ToolCall(id="c", name="search", arguments="{}")]),
        ToolResult(source="a", call_id="c", name="search", content="ok"),
    ]
    html = render_html(events, start=10)
    assert re.search(r'class="agentnb-tool-item.*?search.*?#11</span></summary>', html)
    assert "search({}) #11" in render_text(events, start=10)
    assert "`search({})` · #11" in render_markdown(events, start=10)
    for plain in (render_html(events), render_text(events), render_markdown(events)):
        assert "#10" not in plain and "#11" not in plain and "agentnb-checkpoint" not in plain


def test_the_checkpoint_list_names_each_message_with_its_number() -> None:
    team = haiku_team()
    team.run_sync("A haiku")
    listing = CheckpointList.of(team)
    ks = [k for k, _ in listing.rows]
    assert ks == [k for k, e in enumerate(team.transcript) if isinstance(e, TextMessage)]
    text = listing.text()
    assert f"#{ks[-1]}  critic: APPROVED" in text and text == CheckpointList.of(team).text()
    assert f'data-checkpoint="{ks[-1]}"' in listing.html()
    assert f"| {ks[-1]} | critic | APPROVED |" in listing.markdown()


def test_the_xray_at_a_checkpoint_shows_what_the_agent_would_receive_and_leaves_the_team_alone() -> None:
    team = haiku_team()
    team.run_sync("A haiku")
    before = len(team.transcript)
    verdict = team.checkpoints.find(source="critic", contains="APPROVED")[0]
    preview = context_at(team, verdict, "critic")
    assert preview.agent == "critic" and preview.rows[-1].content == "Draft two"  # the draft it judged
    assert len(team.transcript) == before
    with pytest.raises(UnknownParticipantError, match="no participant 'nobody'"):
        context_at(team, verdict, "nobody")
