"""Every lesson and classroom demo runs in a real browser, in JupyterLab and in Notebook 7, and
what it shows renders.

One server (the `lab` fixture of test_jupyterlab) serves both front ends: Notebook 7 is a
server extension, so ``/lab/...`` and ``/notebooks/...`` open the same kind of file. The course
is copied into the served folder once per front end, so the two never share a kernel session
or the files a notebook writes. Each notebook is opened (in Notebook 7 as a page of its own; in
JupyterLab in a tab of a page kept open, because booting JupyterLab costs as much as running a
notebook), its saved outputs cleared, and run top to bottom in a fresh kernel. Then, cell by
cell, every agentnb view its saved copy shows (a chat, a trace, an eval report, a memory table,
a context preview, an exercise check) must be on the page again, every chat with as many
messages as saved, every image (a plot in a chat) loaded, and no cell may have failed or
written to stderr. A screenshot of each notebook, at its first view, goes to
test-artifacts/course/.

The selected notebooks run a few at a time (`AT_ONCE` workers in one Chromium) before the first
test asserts on its own. Solutions and going-further notebooks are left out: they are the
lessons' exercises filled in and their sections that did not fit, drawn by the same renderers,
and nbval runs them.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import nbformat
import pytest

from agentnb.apps.lab import copy_course
from tests.browser import test_jupyterlab as jupyterlab
from tests.conftest import require
from tests.nbtools import ROOT, notebook_paths

pytestmark = pytest.mark.browser
lab = jupyterlab.lab  # the module's server fixture

NOTEBOOKS = [path for path in notebook_paths() if not {"solutions", "going_further"} & set(path.parts)]
FRONT_ENDS = {"lab": "/lab/tree/{path}", "notebook": "/notebooks/{path}"}  # JupyterLab, Notebook 7
AT_ONCE = 3  # notebooks running at the same time
SHOTS = jupyterlab.ARTIFACTS / "course"
NOTEBOOK_TIMEOUT_MS = 240_000  # one notebook, top to bottom; the slowest takes ~10 s alone
MESSAGE = "agentnb-msg"
VIEW = re.compile(r'class="(?:[^"]*\s)?(agentnb-[\w-]+)')  # an output's outermost agentnb class
MESSAGES = re.compile(r'class="(?:[^"]*\s)?agentnb-msg[\s"]')

LOADED = "(n) => window.jupyterapp?.shell.currentWidget?.content?.widgets?.length === n"
RESTORED = """async (ms) => {
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error(`not restored after ${ms} ms`)), ms));
  await Promise.race([window.jupyterapp.restored, late]);
}"""
OPEN = """async (path) => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute("docmanager:open", {path, factory: "Notebook"});
  app.shell.activateById(widget.id);
}"""
RUN_FRESH = """async (ms) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const ready = (async () => {
    await panel.context.ready;
    await panel.sessionContext.ready;
    await panel.sessionContext.session.kernel.info;
  })();
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error(`no kernel after ${ms} ms`)), ms));
  await Promise.race([ready, late]);
  await app.commands.execute("notebook:clear-all-cell-outputs");  // also clears the execution counts
  app.commands.execute("notebook:run-all-cells");  // not awaited: the caller waits, bounded
}"""
FINISHED = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
  const failed = code.some(cell => cell.model.outputs.toJSON().some(o => o.output_type === 'error'));
  const ran = code.every(cell => cell.model.executionCount !== null);
  return failed || (ran && panel.sessionContext.session?.kernel?.status === 'idle');
}"""
REPORT = """(kinds) => window.jupyterapp.shell.currentWidget.content.widgets.map(cell => {
  if (cell.model.type !== 'code') return null;
  const outputs = cell.model.outputs.toJSON();
  const views = Object.fromEntries(kinds.map(kind =>
    [kind, cell.node.querySelectorAll(`.jp-OutputArea-output .${kind}`).length]));
  return {
    count: cell.model.executionCount,
    views,
    problems: outputs
      .filter(o => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
      .map(o => o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : String(o.text).slice(0, 500)),
    images: [...cell.node.querySelectorAll('.jp-OutputArea-output img')]
      .map(img => img.complete && img.naturalWidth > 0),
  };
})"""
SCROLL_TO = "(index) => window.jupyterapp.shell.currentWidget.content.widgets[index].node.scrollIntoView()"
CLOSE = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.sessionContext.shutdown();
  panel.dispose();  // in JupyterLab: the tab closes, unsaved; in Notebook 7 the page goes next
}"""


@dataclass(frozen=True)
class Job:
    """One notebook in one front end."""

    front: str
    path: Path

    @property
    def relative(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def shot(self) -> Path:
        return SHOTS / f"{self.front}-{self.path.stem}.png"

    @property
    def served(self) -> str:
        """Its path in the served folder (which holds a copy of the course per front end)."""
        return f"{self.front}/{self.relative}"


def saved_views(path: Path) -> dict[int, Counter[str]]:
    """Cell index -> the agentnb views its saved outputs show (and its chat messages)."""
    views: dict[int, Counter[str]] = {}
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        found: Counter[str] = Counter()
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            html = output.get("data", {}).get("text/html", "")
            view = VIEW.search(html)
            if view:
                found[view.group(1)] += 1
                found[MESSAGE] += len(MESSAGES.findall(html))
        if found:
            views[index] = +found
    return views


def missing_views(saved: dict[int, Counter[str]], report: list[dict[str, Any] | None]) -> list[str]:
    """What the page lacks of the saved views: a view kind, or a chat's exact message count."""
    missing = []
    for index, views in saved.items():
        shown = (report[index] or {}).get("views", {})
        for kind, count in views.items():
            found = shown.get(kind, 0)
            if found < count or (kind == MESSAGE and found != count):
                missing.append(f"cell {index}: {count} .{kind} saved, {found} on the page")
    return missing


class Worker:
    """Runs notebooks one after another; keeps one JupyterLab page (booting it is half the cost
    of a notebook) and opens each lab notebook in it, while each Notebook 7 notebook is a page."""

    def __init__(self, browser: Any, base: str, number: int) -> None:
        self.browser, self.base, self.number = browser, base, number
        self.lab_page: Any = None
        self.lab_pages = 0

    async def new_page(self, url: str) -> Any:
        page = await self.browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(jupyterlab.UI_TIMEOUT_MS)
        await page.goto(url)
        await page.wait_for_function("() => !!window.jupyterapp")
        return page

    async def open(self, job: Job) -> Any:
        """A page showing the job's notebook."""
        if job.front != "lab":
            return await self.new_page(self.base + FRONT_ENDS[job.front].format(path=job.served))
        if self.lab_page is None:  # an empty workspace of its own: no tab is restored
            self.lab_pages += 1
            workspace = f"worker{self.number}-{self.lab_pages}"
            self.lab_page = await self.new_page(f"{self.base}/lab/workspaces/{workspace}")
            await self.lab_page.evaluate(RESTORED, jupyterlab.UI_TIMEOUT_MS)
        await self.lab_page.evaluate(OPEN, job.served)
        return self.lab_page

    async def run(self, job: Job) -> list[dict[str, Any] | None]:
        """Open, clear, run and read one notebook; leave its screenshot; stop its kernel."""
        saved = saved_views(job.path)
        kinds = sorted({kind for views in saved.values() for kind in views})
        page = None
        try:
            page = await self.open(job)
            await page.wait_for_function(LOADED, arg=len(nbformat.read(job.path, as_version=4).cells))
            await page.evaluate(RUN_FRESH, jupyterlab.UI_TIMEOUT_MS)
            await page.wait_for_function(FINISHED, timeout=NOTEBOOK_TIMEOUT_MS, polling=250)
            report = await page.evaluate(REPORT, kinds)
            if saved:
                await page.evaluate(SCROLL_TO, min(saved))
            await page.screenshot(path=str(job.shot))
            await page.evaluate(CLOSE)
        except BaseException:
            if page is not None:
                await page.screenshot(path=str(job.shot.with_name(f"{job.shot.stem}-failed.png")))
            if self.lab_page is not None:  # start the next lab notebook from a fresh page
                await self.lab_page.close()
                self.lab_page = None
            raise
        finally:
            if page is not None and page is not self.lab_page and not page.is_closed():
                await page.close()
        return report


async def run_notebooks(base: str, jobs: list[Job]) -> dict[Job, Any]:
    """Every job's report (or the exception it raised), `AT_ONCE` workers taking turns."""
    from playwright.async_api import async_playwright

    results: dict[Job, Any] = {}
    waiting = list(jobs)

    async def work(worker: Worker) -> None:
        while waiting:
            job = waiting.pop(0)
            try:
                results[job] = await worker.run(job)
            except Exception as exc:  # reported by that notebook's test
                results[job] = exc

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=jupyterlab.CHROMIUM,
            args=jupyterlab.CHROMIUM_ARGS,
            timeout=jupyterlab.UI_TIMEOUT_MS,
        )
        try:
            await asyncio.gather(*(work(Worker(browser, base, n)) for n in range(AT_ONCE)))
        finally:
            await browser.close()
    return results


@pytest.fixture(scope="module")
def runs(lab: jupyterlab.Lab, request: pytest.FixtureRequest) -> dict[Job, Any]:
    """The run of every notebook whose test is selected (e.g. with -k), done together up front."""
    for front in FRONT_ENDS:
        copy_course(ROOT, lab.root / front)
    SHOTS.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(item.callspec.params["front"], item.callspec.params["path"])
        for item in request.session.items
        if getattr(item, "originalname", "") == test_the_notebook_runs_and_its_views_render.__name__
        and (item.callspec.params["front"] != "notebook" or find_spec("notebook") is not None)
    ]
    return asyncio.run(run_notebooks(lab.url, jobs))


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=[p.relative_to(ROOT).with_suffix("").as_posix() for p in NOTEBOOKS]
)
@pytest.mark.parametrize("front", list(FRONT_ENDS))
def test_the_notebook_runs_and_its_views_render(runs: dict[Job, Any], front: str, path: Path) -> None:
    if front == "notebook":
        require(find_spec("notebook") is not None, "Jupyter Notebook 7 (pip install 'notebook>=7')")
    job = Job(front, path)
    saved = saved_views(path)
    assert saved, f"{job.relative} shows no agentnb view in its saved outputs: nothing to check it renders"
    report = runs[job]
    if isinstance(report, Exception):
        pytest.fail(f"{job.relative} in {front} did not run through: {report}", pytrace=False)
    code = [cell for cell in report if cell is not None]
    problems = [f"cell {i}: {p}" for i, cell in enumerate(report) if cell for p in cell["problems"]]
    assert not problems, f"{job.relative} in {front}: {problems}"
    assert [cell["count"] for cell in code] == list(range(1, len(code) + 1)), (
        f"{job.relative} did not run in full"
    )
    missing = missing_views(saved, report)
    assert not missing, f"{job.relative} in {front} lacks what its saved copy shows: {missing}"
    broken = [i for i, cell in enumerate(report) if cell and not all(cell["images"])]
    assert not broken, f"{job.relative} in {front}: images that did not load in cells {broken}"
    assert job.shot.stat().st_size > 10_000
