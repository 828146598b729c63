"""How agentnb looks in JupyterLab and Notebook 7, in a real browser: editors and boards.

- A ``%%agentteam`` cell is plain text in the editor (its body is agents and a task, not
  Python), through agentnb's JupyterLab extension (share/jupyter/labextensions/agentnb); a
  Python cell stays Python, and a cell changes mode as its first line changes.
- A plan board in a narrow column wraps its labels instead of cutting them ("concier…").
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

import pytest

from tests.browser import test_jupyterlab as jupyterlab
from tests.browser.test_views import KERNEL_READY, PANEL, WAIT, opened, output, run_cell
from tests.conftest import require

pytestmark = pytest.mark.browser
lab = jupyterlab.lab  # the module's JupyterLab server fixture

CELLS = [
    "%load_ext agentnb",
    "%%agentteam --model scripted:newsroom --max-turns 1\n"
    'writer: You write for the paper. Is it "for" or "in"?\n'
    "---\n"
    "Write it.",
    "for word in ('is', 'in'):\n    print(word)",
]
MODES = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  return Array.from({length: cells.length}, (_, i) => cells.get(i).mimeType);
}"""
SET_SOURCE = """([index, text]) => {
  window.jupyterapp.shell.currentWidget.content.model.cells.get(index).sharedModel.setSource(text);
}"""
COLOURED = """(index) => window.jupyterapp.shell.currentWidget.content.widgets[index]
  .node.querySelectorAll('.cm-content .cm-line span').length"""
BOARD = """
from IPython.display import HTML, display
from agentnb.core.events import PlanCreated, Replanned, StepFailed, StepStarted, Stop
from agentnb.core.plan import Plan, Step
from agentnb.views.chat import render_html

venue = Step(id="book_the_riverside_venue", description="Book the venue", assignee="concierge")
cards = Step(id="write_the_invitations", description="Write them", assignee="correspondent",
             depends_on=("book_the_riverside_venue",))
first = Plan(steps=[venue, cards])
second = Plan(steps=[venue.model_copy(update={"id": "book_the_old_library"}),
                     cards.model_copy(update={"depends_on": ("book_the_old_library",)})])
events = [
    PlanCreated(source="planner", plan=first),
    StepStarted(source="t", step_id="book_the_riverside_venue", assignee="concierge"),
    StepStarted(source="t", step_id="book_the_riverside_venue", assignee="concierge", attempt=2),
    StepFailed(source="t", step_id="book_the_riverside_venue", assignee="concierge", error="closed",
               attempt=2),
    Replanned(source="planner", plan=second, revision=1, reason="the venue is closed"),
    Stop(source="t", reason="max turns reached (2)"),
]
display(HTML(render_html(events, participants=["concierge", "correspondent"])))
"""
CUT = """() => [...document.querySelectorAll('.agentnb-plan-step > span')]
  .filter(span => span.scrollWidth > span.clientWidth + 1)
  .map(span => span.textContent)"""


def modes(page: Any) -> list[str]:
    return page.evaluate(MODES)


def test_an_agentteam_cell_is_plain_text_and_a_python_cell_stays_python(lab: jupyterlab.Lab) -> None:
    from playwright.sync_api import expect

    with opened(lab, "modes.ipynb", CELLS, "jupyterlab-agentteam-plain.png") as page:
        page.evaluate(KERNEL_READY, jupyterlab.UI_TIMEOUT_MS)  # the notebook's language comes from its kernel
        expect(page.locator(f"{PANEL} .jp-Cell").nth(2).locator(".cm-line span").first).to_be_visible(
            timeout=WAIT
        )  # the Python cell is coloured
        page.wait_for_function(f"() => ({MODES})()[1] === 'text/plain'", timeout=WAIT)
        assert modes(page)[1:] == ["text/plain", "text/x-ipython"]
        page.wait_for_function(f"() => ({COLOURED})(1) === 0", timeout=WAIT)  # no Python colours left
        page.evaluate(SET_SOURCE, [2, "%%agentteam\nreporter: You find quotes.\n---\nGo."])
        page.wait_for_function(f"() => ({MODES})()[2] === 'text/plain'", timeout=WAIT)
        page.evaluate(SET_SOURCE, [2, "print('back to Python')"])
        page.wait_for_function(f"() => ({MODES})()[2] === 'text/x-ipython'", timeout=WAIT)
        run_cell(page, 0)
        run_cell(page, 1)  # and the cell still runs
        expect(output(page, 1).locator(".agentnb-msg").first).to_be_visible(timeout=WAIT)


def test_an_agentteam_cell_is_plain_text_in_notebook_7(lab: jupyterlab.Lab) -> None:
    from playwright.sync_api import sync_playwright

    require(find_spec("notebook") is not None, "Jupyter Notebook 7 (pip install 'notebook>=7')")
    name = jupyterlab.write_notebook(lab.root, "modes7.ipynb", CELLS)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=jupyterlab.CHROMIUM,
            args=jupyterlab.CHROMIUM_ARGS,
            timeout=jupyterlab.UI_TIMEOUT_MS,
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        try:
            page.goto(f"{lab.url}/notebooks/{name}", timeout=jupyterlab.UI_TIMEOUT_MS)
            page.wait_for_function(
                "() => !!window.jupyterapp?.shell.currentWidget?.content?.model", timeout=WAIT
            )
            page.evaluate(KERNEL_READY, jupyterlab.UI_TIMEOUT_MS)
            page.wait_for_function(f"() => ({MODES})()[1] === 'text/plain'", timeout=WAIT)
            assert modes(page)[1:] == ["text/plain", "text/x-ipython"]
            page.wait_for_function(f"() => ({COLOURED})(1) === 0", timeout=WAIT)
        finally:
            browser.close()


def test_a_plan_board_in_a_narrow_column_wraps_its_labels_instead_of_cutting_them(
    lab: jupyterlab.Lab,
) -> None:
    from playwright.sync_api import expect

    with opened(lab, "board.ipynb", [BOARD], "jupyterlab-plan-board-narrow.png", width=900) as page:
        run_cell(page, 0)
        board = output(page, 0).locator(".agentnb-plan-board")
        expect(board.locator(".agentnb-plan-revision")).to_have_count(2, timeout=WAIT)
        assert page.evaluate(CUT) == []
        text = board.inner_text()
        assert "failed after 2 attempts" in text and "correspondent" in text and "…" not in text
