"""The live chat and the saved transcript lay out the same in JupyterLab: no jump when a run ends.

The same finished events are shown twice in one notebook, as a live `ChatWidget` and as the
static HTML that replaces it, and every entry's box (position, size, font, line height) and
the gaps between entries are compared in headless Chromium.
"""

from __future__ import annotations

import pytest

from tests.browser import test_jupyterlab as jupyterlab

pytestmark = pytest.mark.browser
lab = jupyterlab.lab  # the module's JupyterLab server fixture

SETUP = """
from IPython.display import HTML, display
from agentnb.core.events import Handoff, TextMessage, ToolCall, ToolCalls, ToolResult
from agentnb.notebook.widget import ChatWidget
from agentnb.views.chat import render_html
long = "A paragraph long enough to wrap over more than one line of the bubble. " * 4
events = [
    TextMessage(source="user", content="Write it."),
    TextMessage(source="writer", content=long + "\\n\\n- one\\n- two\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |"),
    ToolCalls(source="checker", calls=[ToolCall(id="c", name="search", arguments='{"q": "x"}')]),
    ToolResult(source="checker", call_id="c", name="search", content="3 hits"),
    Handoff(source="checker", target="editor"),
    TextMessage(source="editor", content="Short."),
]
"""
LIVE = """
chat = ChatWidget("t", max_rate=0)
for event in events:
    chat.feed(event)
chat.flush(force=True)
display(chat)
"""
STATIC = "display(HTML(render_html(events)))"
MEASURE = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')].slice(1, 3).map(cell =>
  [...cell.querySelectorAll('.agentnb-msg, .agentnb-tool-item, .agentnb-handoff')].map(entry => {
    const box = entry.getBoundingClientRect();
    const style = getComputedStyle(entry.querySelector('.agentnb-body') || entry);
    return {x: box.x, top: box.top, width: box.width, height: box.height,
            font: style.fontSize, lineHeight: style.lineHeight};
  }))"""


def test_a_finished_chat_has_the_same_layout_live_and_saved(lab: jupyterlab.Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    name = jupyterlab.write_notebook(lab.root, "layout.ipynb", [SETUP, LIVE, STATIC])
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=jupyterlab.CHROMIUM,
            args=jupyterlab.CHROMIUM_ARGS,
            timeout=jupyterlab.UI_TIMEOUT_MS,
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.set_default_timeout(jupyterlab.UI_TIMEOUT_MS)
            page.goto(f"{lab.url}/lab/tree/{name}", timeout=jupyterlab.UI_TIMEOUT_MS)
            cells = page.locator(".jp-NotebookPanel .jp-Cell .cm-content")
            expect(cells).to_have_count(3, timeout=jupyterlab.UI_TIMEOUT_MS)
            idle = page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')
            jupyterlab.run_all(page)  # once the kernel answers: a menu click before that runs nothing
            prompts = page.locator(".jp-NotebookPanel .jp-InputArea-prompt")
            expect(prompts.nth(2)).to_contain_text("[3]", timeout=jupyterlab.RUN_TIMEOUT_MS)
            expect(idle).to_have_count(1, timeout=jupyterlab.RUN_TIMEOUT_MS)
            for cell in (1, 2):
                entries = page.locator(".jp-NotebookPanel .jp-Cell").nth(cell).locator(".agentnb-msg")
                expect(entries).to_have_count(3, timeout=jupyterlab.RUN_TIMEOUT_MS)
            live, saved = page.evaluate(MEASURE)
        finally:
            browser.close()
    assert len(live) == len(saved) == 5
    offset = saved[0]["top"] - live[0]["top"]  # the static copy sits lower in the notebook
    for shown, kept in zip(live, saved, strict=True):
        shown["top"] += offset
        assert _rounded(shown) == _rounded(kept)  # the same place, size, font and line height


def _rounded(box: dict[str, float | str]) -> dict[str, float | str]:
    return {key: round(value, 1) if isinstance(value, float | int) else value for key, value in box.items()}
