"""The chat's views in JupyterLab, in a real browser: plan board, live trace, X-ray, checkpoint browser.

Each test runs a notebook in the module's JupyterLab (see test_jupyterlab), clicks what a
person would click, and reads the rendered page; the checkpoint browser's test also saves
the notebook and reads the file, to check that closing the browser leaves no widget in it.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nbformat
import pytest

from agentnb.course.quiz import LETTERS, questions_of
from tests.browser import test_jupyterlab as jupyterlab

pytestmark = pytest.mark.browser
lab = jupyterlab.lab  # the module's JupyterLab server fixture
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show
WAIT = jupyterlab.RUN_TIMEOUT_MS  # every wait is bounded; the machine may be loaded

# Replies take a while, so the live chat is there to be looked at and clicked; the widget
# shown first makes JupyterLab load its widget manager before the run (a cold one takes seconds).
SLOW_TEAM = """
import asyncio
import ipywidgets
from agentnb import Agent, Team
from agentnb.models import FunctionModel
from agentnb.core.plan import Plan, Step

async def slow(request):
    await asyncio.sleep(1.5)
    return f"{request.agent} has done its part"

display(ipywidgets.HTML("widgets ready", _dom_classes=["warm-up"]))

team = Team([Agent("writer", "Write."), Agent("editor", "Edit.")], model=FunctionModel(slow), max_turns=10)
trip = Plan(steps=[
    Step(id="flights", description="Find flights", assignee="writer"),
    Step(id="hotels", description="Find hotels", assignee="editor"),
    Step(id="itinerary", description="Combine them", assignee="writer", depends_on=("flights", "hotels")),
])
planned = Team([Agent("writer"), Agent("editor")], mode="plan", planner=trip, model=FunctionModel(slow))
"""
HAIKU_TEAM = """
from agentnb import Agent, Team
from agentnb.models import ScriptedModel
script = {"poet": ["Draft one", "Draft two"], "critic": ["REVISE it", "APPROVED"]}
haiku = Team([Agent("poet", "You write."), Agent("critic", "You judge.")], until="APPROVED",
             model=ScriptedModel(script, stateless=True, loop=True))
"""
RUN_CELL = """async (index) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget;
  notebook.content.activeCellIndex = index;
  await app.commands.execute("notebook:run-cell");
}"""
SAVE = """async () => { await window.jupyterapp.commands.execute("docmanager:save"); }"""
KERNEL_READY = """async (ms) => {
  const context = window.jupyterapp.shell.currentWidget.sessionContext;
  const ready = (async () => { await context.ready; await context.session.kernel.info; })();
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error(`no kernel after ${ms} ms`)), ms));
  await Promise.race([ready, late]);
}"""


@contextmanager
def opened(lab: jupyterlab.Lab, name: str, cells: list[str], shot: str, width: int = 1400) -> Iterator[Any]:
    """A page ``width`` pixels wide with the notebook open; a screenshot is kept either way."""
    from playwright.sync_api import expect, sync_playwright

    jupyterlab.write_notebook(lab.root, name, cells)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=jupyterlab.CHROMIUM,
            args=jupyterlab.CHROMIUM_ARGS,
            timeout=jupyterlab.UI_TIMEOUT_MS,
        )
        page = browser.new_page(viewport={"width": width, "height": 1400})
        try:
            page.set_default_timeout(jupyterlab.UI_TIMEOUT_MS)
            # ?reset: a fresh workspace, so the notebooks of earlier tests are not reopened beside it
            page.goto(f"{lab.url}/lab/tree/{name}?reset", timeout=jupyterlab.UI_TIMEOUT_MS)
            expect(page.locator(f"{PANEL} .jp-Cell .cm-content")).to_have_count(len(cells), timeout=WAIT)
            yield page
            jupyterlab.ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(jupyterlab.ARTIFACTS / shot), full_page=True)
        except BaseException:
            jupyterlab.ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(jupyterlab.ARTIFACTS / f"failed-{shot}"), full_page=True)
            raise
        finally:
            browser.close()


def output(page: Any, cell: int) -> Any:
    return page.locator(f"{PANEL} .jp-Cell").nth(cell).locator(".jp-OutputArea-output")


def run_cell(page: Any, index: int) -> None:
    """Run one cell through JupyterLab's own command, once the kernel answers (as run_all does)."""
    page.evaluate(KERNEL_READY, jupyterlab.UI_TIMEOUT_MS)
    page.evaluate(RUN_CELL, index)
    prompt = page.locator(f"{PANEL} .jp-InputArea-prompt").nth(index)
    from playwright.sync_api import expect

    expect(prompt).not_to_have_text("[*]:", timeout=WAIT)


def test_a_plan_runs_with_its_board_and_the_trace_beside_the_chat(lab: jupyterlab.Lab) -> None:
    from playwright.sync_api import expect

    cells = ["%load_ext agentnb\n" + SLOW_TEAM, "%%agentteam planned --trace\nPlan a weekend."]
    with opened(lab, "plan.ipynb", cells, "jupyterlab-plan.png") as page:
        jupyterlab.run_all(page)
        expect(output(page, 0).locator(".warm-up")).to_be_visible(timeout=WAIT)
        chat = output(page, 1)
        live_board = chat.locator(".widget-html .agentnb-plan-board")
        expect(live_board).to_be_visible(timeout=WAIT)  # while the plan runs
        expect(chat.locator(".agentnb-trace-live .agentnb-trace")).to_be_visible(timeout=WAIT)
        running = live_board.locator('[data-status="running"]')
        expect(running.first).to_be_visible(timeout=WAIT)
        assert " s" in running.first.inner_text()  # live durations
        idle = page.locator(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]')
        expect(page.locator(f"{PANEL} .jp-InputArea-prompt").nth(1)).to_contain_text("[2]", timeout=WAIT)
        expect(idle).to_have_count(1, timeout=WAIT)
        saved_board = chat.locator(".agentnb-plan-board")
        expect(saved_board).to_have_count(1, timeout=WAIT)  # the transcript's, once the live chat is gone
        expect(saved_board.locator('[data-status="done"]')).to_have_count(3, timeout=WAIT)
        expect(chat.locator(".agentnb-trace")).to_have_count(1, timeout=WAIT)  # the trace in event order
        expect(chat.locator(".agentnb-checkpoint").first).to_be_visible(timeout=WAIT)


def test_the_xray_toggle_shows_the_next_speakers_context_while_the_team_runs(lab: jupyterlab.Lab) -> None:
    from playwright.sync_api import expect

    cells = ["%load_ext agentnb\n" + SLOW_TEAM, "%%agentteam team\nWrite about the park."]
    with opened(lab, "xray.ipynb", cells, "jupyterlab-xray.png") as page:
        jupyterlab.run_all(page)
        expect(output(page, 0).locator(".warm-up")).to_be_visible(timeout=WAIT)
        chat = output(page, 1)
        toggle = chat.locator(".agentnb-xray-button")
        expect(toggle).to_be_visible(timeout=WAIT)
        toggle.click()
        panel = chat.locator(".agentnb-xray")
        expect(panel).to_contain_text("receives next", timeout=WAIT)
        expect(panel.locator(".agentnb-context")).to_contain_text("Write about the park.", timeout=WAIT)
        page.screenshot(path=str(jupyterlab.ARTIFACTS / "jupyterlab-xray-live.png"), full_page=True)


def test_the_checkpoint_browser_forks_into_a_variable_and_closes_to_a_clean_saved_notebook(
    lab: jupyterlab.Lab,
) -> None:
    from playwright.sync_api import expect

    cells = [
        "%load_ext agentnb\n" + HAIKU_TEAM,
        "%%agentteam haiku\nA haiku about autumn.",
        "%agentcheckpoints haiku",
        "print('fork length:', len(kinder.transcript), kinder.transcript[-1].source)",
    ]
    with opened(lab, "checkpoints.ipynb", cells, "jupyterlab-checkpoints.png") as page:
        for index in range(3):
            run_cell(page, index)
        browser = output(page, 2).locator(".agentnb-checkpoints-browser")
        expect(browser).to_be_visible(timeout=WAIT)
        picker = browser.locator(".agentnb-checkpoint-picker select")
        expect(picker).to_contain_text("critic: APPROVED", timeout=WAIT)
        # ipywidgets writes an option's spaces as no-break spaces
        labels = [o.replace("\xa0", " ") for o in picker.locator("option").all_text_contents()]
        index, label = next((i, o) for i, o in enumerate(labels) if "critic: APPROVED" in o)
        picker.select_option(index=index)
        expect(browser.locator(".agentnb-checkpoint-message")).to_contain_text("APPROVED", timeout=WAIT)
        browser.locator(".agentnb-fork-name input").fill("kinder")
        browser.locator(".agentnb-xray-agent", has_text="critic").click()
        expect(browser.locator(".agentnb-xray")).to_contain_text("Draft two", timeout=WAIT)
        browser.locator(".agentnb-fork").click()
        expect(browser.locator(".agentnb-checkpoint-outcome")).to_contain_text(
            "kinder = haiku.fork(", timeout=WAIT
        )
        k = int(label.split()[0][1:])
        run_cell(page, 3)
        expect(output(page, 3)).to_contain_text(f"fork length: {k}", timeout=WAIT)
        browser.locator(".agentnb-checkpoints-close").click()
        expect(output(page, 2).locator(".agentnb-checkpoints")).to_be_visible(timeout=WAIT)
        expect(output(page, 2).locator(".agentnb-checkpoints-browser")).to_have_count(0, timeout=WAIT)
        page.evaluate(SAVE)
    saved = nbformat.read(lab.root / "checkpoints.ipynb", as_version=4)
    assert "application/vnd.jupyter.widget-view+json" not in json.dumps(saved.cells[1:3])
    assert "checkpoints of the team" in json.dumps(saved.cells[2].outputs)


def test_a_diagram_draws_and_a_concept_check_answered_by_a_click_is_kept_in_the_saved_notebook(
    lab: jupyterlab.Lab,
) -> None:
    from playwright.sync_api import expect

    cells = [
        "from agentnb import Agent, Edge, Team\n"
        "desk = Team([Agent('writer'), Agent('checker'), Agent('editor')], mode='graph', edges=[\n"
        "    ('writer', 'checker'), Edge('checker', 'writer', 'REVISE'),\n"
        "    Edge('checker', 'editor', 'CLEARED')])\n"
        "desk.diagram()",
        "from agentnb.course import quiz\nquiz('01.a')",
    ]
    with opened(lab, "diagram_quiz.ipynb", cells, "jupyterlab-diagram-quiz.png") as page:
        run_cell(page, 0)
        drawing = output(page, 0).locator(".agentnb-diagram svg")
        expect(drawing).to_be_visible(timeout=WAIT)
        expect(drawing.locator("rect")).to_have_count(5, timeout=WAIT)  # three boxes, two edge labels
        expect(drawing).to_contain_text("if 'REVISE'")
        box = drawing.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 50
        run_cell(page, 1)
        check = output(page, 1)
        expect(check.locator(".agentnb-quiz").first).to_contain_text("Concept check 01.a", timeout=WAIT)
        question = questions_of("01.a")[0]
        right, wrong = (LETTERS[[c.right for c in question.choices].index(ok)] for ok in (True, False))
        check.locator(".widget-toggle-buttons button", has_text=wrong).first.click()
        expect(check).to_contain_text("not quite", timeout=WAIT)
        check.locator(".widget-toggle-buttons button", has_text=right).first.click()
        expect(check).to_contain_text("✓ right", timeout=WAIT)
        page.evaluate(SAVE)
    saved = nbformat.read(lab.root / "diagram_quiz.ipynb", as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for o in saved.cells[1].outputs)
    assert f"✓ right</b> ({right}) 6" in html  # the answer given, in the saved output
