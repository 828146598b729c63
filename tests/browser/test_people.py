"""A person at the live chat, in JupyterLab in a real browser: typing answers and pressing Stop.

A person types an answer key by key (ipywidgets syncs a text box one update at a time, so a
test that fills the box in one event would not see text go missing), and presses Stop while
a reply is still streaming. Each test runs a notebook in the module's JupyterLab (see
test_jupyterlab) and reads the page; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import test_jupyterlab as jupyterlab
from tests.browser.test_views import PANEL, WAIT, opened, output

pytestmark = pytest.mark.browser
lab = jupyterlab.lab  # the module's JupyterLab server fixture

WARM_UP = (
    "%load_ext agentnb\nimport ipywidgets\n"
    'display(ipywidgets.HTML("widgets ready", _dom_classes=["warm-up"]))'
)
HUMAN_CELL = (
    "%%agentteam --model auto --human chief --until PUBLISH --max-turns 6 --out run\n"
    "writer: You write short news stories.\n"
    "---\n"
    "Write two sentences on the park vote."
)
ANSWERS = ("Shorter please", "Good. PUBLISH")
KEY_DELAY_MS = 60  # a quick typist: every key is its own change of the box
STREAMING_SETUP = """
from agentnb import Agent, Team
from agentnb.models import ScriptedModel
story = " ".join(f"word{i}" for i in range(400))
slow = ScriptedModel({"writer": [story]}, token_latency=0.05)
team = Team([Agent("writer", "You write.")], model=slow, max_turns=1)
"""


def test_answers_typed_key_by_key_reach_the_transcript_and_the_until_text_stops_the_run(
    lab: jupyterlab.Lab,
) -> None:
    from playwright.sync_api import expect

    cells = [WARM_UP, HUMAN_CELL, "print([m.content for m in run.messages if m.source == 'chief'])"]
    with opened(lab, "people.ipynb", cells, "jupyterlab-human-typing.png") as page:
        jupyterlab.run_all(page)
        expect(output(page, 0).locator(".warm-up")).to_be_visible(timeout=WAIT)
        chat = output(page, 1)
        asking = chat.locator(".agentnb-ask")
        box = chat.locator(".agentnb-input input")
        for number, answer in enumerate(ANSWERS, 1):
            expect(asking).to_be_visible(timeout=WAIT)
            expect(asking).to_contain_text("chief, your turn:", timeout=WAIT)
            expect(box).to_have_value("", timeout=WAIT)  # the box of a new question starts empty
            box.click()
            page.keyboard.type(answer, delay=KEY_DELAY_MS)
            expect(box).to_have_value(answer)
            chat.locator(".agentnb-send").click()
            # the answer is the person's bubble in the chat
            bubble = chat.locator('.agentnb-msg[data-agent="chief"]').nth(number - 1)
            expect(bubble).to_contain_text(answer, timeout=WAIT)
        prompts = page.locator(f"{PANEL} .jp-InputArea-prompt")
        expect(prompts.nth(2)).to_contain_text("[3]", timeout=WAIT)
        said = output(page, 2).inner_text()
        assert said.strip() == repr(list(ANSWERS)), f"the transcript recorded {said.strip()}"
        result = " ".join(chat.all_inner_texts())
        assert "chief said 'PUBLISH'" in result, f"the run did not stop at the until-text: {result[-500:]}"


def test_stop_keeps_the_streamed_text_and_the_status_line_counts_it(lab: jupyterlab.Lab) -> None:
    """The status line counts tokens as they stream; Stop keeps the reply cut short in the chat
    (the core keeps a partly streamed reply in the transcript, marked as cut off, so the chat
    that replaces the live one when the run ends still shows it)."""
    from playwright.sync_api import expect

    cells = [WARM_UP + "\n" + STREAMING_SETUP, "%%agentteam team\nTell a long story."]
    with opened(lab, "stop.ipynb", cells, "jupyterlab-stop-streaming.png") as page:
        jupyterlab.run_all(page)
        expect(output(page, 0).locator(".warm-up")).to_be_visible(timeout=WAIT)
        chat = output(page, 1)
        streaming = chat.locator(".agentnb-msg", has=page.locator(".agentnb-cursor"))
        expect(streaming).to_contain_text("word20", timeout=WAIT)
        status = chat.locator(".agentnb-status")
        expect(status).to_contain_text(re.compile(r"[1-9][\d,]* tokens"), timeout=WAIT)
        chat.locator(".agentnb-stop-button").click()
        prompts = page.locator(f"{PANEL} .jp-InputArea-prompt")
        expect(prompts.nth(1)).to_contain_text("[2]", timeout=WAIT)
        result = " ".join(chat.all_inner_texts())
        assert "Stop button pressed" in result
        assert "word400" not in result and "word399" not in result  # it was cut short
        assert re.search(r"word0 word1 word2 .*word20\b", result), (
            f"the partly streamed reply is not in the chat after Stop: {result[-800:]}"
        )
