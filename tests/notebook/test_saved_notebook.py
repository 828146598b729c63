"""A notebook with a %%agentteam cell, executed by nbclient: deterministic, widget-free outputs."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELLS = [
    "%load_ext agentnb\nfrom agentnb.apps.demo import NEWSROOM_TASK, search_archive",
    "%%agentteam --model scripted:newsroom --until PUBLISHED --max-turns 12 --out story\n"
    "writer: You are a news writer.\n"
    "fact_checker: You check every claim with search_archive. tools=search_archive\n"
    "editor: You are the editor. Say REVISE until the story is right, then APPROVED.\n"
    "publisher: You publish approved stories.\n"
    "---\n"
    "{NEWSROOM_TASK}",
    "story.stop_reason",
]


def execute() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=False).execute()
    return nb


def test_agentteam_cell_saves_the_same_widget_free_transcript_every_time() -> None:
    first, second = execute(), execute()
    outputs = first.cells[1].outputs
    assert [o.output_type for o in outputs] == ["display_data", "execute_result"]
    header, transcript = outputs
    assert "application/vnd.jupyter.widget-view+json" not in json.dumps(first.cells[1].outputs)
    assert header.data["text/plain"].startswith("agentnb · team (round_robin): writer, fact_checker")
    html = transcript.data["text/html"]
    assert html.count('class="agentnb-msg ') == 9 and html.count('class="agentnb-tool ') == 3
    assert "<script" not in html and "Stopped: publisher said &#x27;PUBLISHED&#x27;" in html
    assert set(transcript.data) == {"text/plain", "text/markdown", "text/html"}
    strip = [{k: v for k, v in o.items() if k != "execution_count"} for o in outputs]
    assert strip == [{k: v for k, v in o.items() if k != "execution_count"} for o in second.cells[1].outputs]
    assert first.cells[2].outputs[0].data["text/plain"] == "\"publisher said 'PUBLISHED'\""
    assert "widgets" not in first.metadata


def test_a_human_cell_run_by_nbclient_fails_at_once_saying_a_person_is_needed() -> None:
    cells = [
        "%load_ext agentnb",
        "%%agentteam --model scripted:newsroom --max-turns 2 --human alice\n"
        "writer: You write.\n---\nA story.",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, kernel_name="python3", timeout=60, store_widget_state=False)
    # Without the check, the chat waits for alice's answer until this timeout: CellTimeoutError.
    with pytest.raises(CellExecutionError) as caught:
        client.execute()
    (shown,) = [o.text for o in nb.cells[1].outputs if o.output_type == "stream"]
    assert shown.startswith(
        "UsageError: --human alice: a person must answer in the chat, but this cell runs without one"
    )
    assert "Traceback" not in str(caught.value)
