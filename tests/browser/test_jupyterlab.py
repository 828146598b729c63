"""A `%%agentteam` cell really renders as a chat in JupyterLab, in a real browser.

A module fixture starts the venv's JupyterLab on 127.0.0.1 (free port, no token) in a temp
folder (the same server serves Notebook 7 when it is installed: see test_course.py); the test
opens a notebook in headless Debian Chromium through Playwright, runs the cells, and reads the
rendered page. Outputs are only looked for inside
``.jp-OutputArea-output``: the cell source mentions the same names. A screenshot is left in
test-artifacts/ for people to look at. Every wait is bounded.

While the fixture lives, the tests' process and everything it starts (JupyterLab, its
kernels, Playwright's Chromium) have a temp home (HOME, the Jupyter and XDG folders,
IPYTHONDIR): workspaces, settings, runtime files, npm logs and browser profiles stay there,
and the fixture checks that nothing appeared or changed where they write in the real home.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.conftest import require
from tests.nbtools import ROOT, offline_env

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
LABEXTENSIONS = ROOT / "share" / "jupyter"  # holds labextensions/agentnb, as installed by the wheel
SCREENSHOT = ARTIFACTS / "jupyterlab-chat.png"
FAILED_SCREENSHOT = ARTIFACTS / "jupyterlab-chat-failed.png"

SERVER_START_TIMEOUT = 60  # seconds; ~3 s on a warm machine
UI_TIMEOUT_MS = 60_000  # the notebook UI and kernel: ~7 s from a cold start
RUN_TIMEOUT_MS = 60_000  # a scripted run takes well under a second once the kernel is up

# JupyterLab's news and update check opens a pop-up that covers the notebook in screenshots.
NO_NEWS = ("@jupyterlab/apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False})
# Every cell attached to the page: by default cells out of view may wait for idle time (rare in
# a page that is not in front) before their outputs are drawn, and tests would not find them.
ALL_CELLS = ("@jupyterlab/notebook-extension", "tracker", {"windowingMode": "none"})
# Where JupyterLab, IPython, npm (JupyterLab asks it for its prefix) and Chromium write by default.
HOME_PLACES = (".jupyter", ".local/share/jupyter", ".ipython", ".npm/_logs", ".config", ".cache", ".pki")
SHARED_BY_EVERY_KERNEL = ("kernel-*.json", "history.sqlite*")  # every process's kernels touch these

RUN_ALL = """async (ms) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget;
  const ready = (async () => {
    await notebook.sessionContext.ready;
    await notebook.sessionContext.session.kernel.info;
  })();
  const late = new Promise((_, fail) => setTimeout(() => fail(new Error(`no kernel after ${ms} ms`)), ms));
  await Promise.race([ready, late]);
  app.commands.execute("notebook:run-all-cells");  // not awaited: the caller waits, bounded, for the cells
}"""
AGENTS = ("writer", "fact_checker", "editor", "publisher")
NOTEBOOK_CELLS = [
    "%load_ext agentnb\nfrom agentnb.apps.demo import NEWSROOM_TASK, search_archive",
    "%%agentteam --model scripted:newsroom --until PUBLISHED --max-turns 12 --out story\n"
    "writer: You are a news writer. Write short, factual stories and revise them when asked.\n"
    "fact_checker: You check every claim with search_archive. tools=search_archive\n"
    "editor: You are the editor. Say REVISE until the story is right, then APPROVED.\n"
    "publisher: You publish approved stories: reply PUBLISHED and the headline.\n"
    "---\n"
    "{NEWSROOM_TASK}",
]


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL, the folder it serves, and where it keeps workspaces."""

    url: str
    root: Path
    workspaces: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_home(home: Path) -> dict[str, str]:
    """Environment variables that keep what Jupyter, IPython, npm and Chromium write under ``home``."""
    folders = {
        "HOME": home,
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local" / "share" / "jupyter",
        "JUPYTER_RUNTIME_DIR": home / ".local" / "share" / "jupyter" / "runtime",
        "IPYTHONDIR": home / ".ipython",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local" / "share",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: str(folder) for name, folder in folders.items()}


def suppress_news_popup(user_settings: Path) -> None:
    """The user settings that turn JupyterLab's news and update check off and attach every cell."""
    for extension, plugin, values in (NO_NEWS, ALL_CELLS):
        path = user_settings / extension / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def home_state(home: Path) -> dict[str, float | None]:
    """What is in the places of ``home`` the lab would write to: file -> mtime, folder -> None.

    A folder's own time changes whenever any process adds or removes something in it, so
    only its existence counts.
    """
    state: dict[str, float | None] = {}
    for place in HOME_PLACES:
        for path in [home / place, *(home / place).rglob("*")]:
            if path.exists() and not any(fnmatch(path.name, shared) for shared in SHARED_BY_EVERY_KERNEL):
                state[str(path.relative_to(home))] = None if path.is_dir() else path.stat().st_mtime
    return state


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab from this venv, on 127.0.0.1, serving a fresh temp folder; stopped afterwards.

    Everything it writes stays in a temp home; the user's home is checked afterwards.
    """
    require(os.path.exists(CHROMIUM), "Debian's chromium (/usr/bin/chromium)")
    require(find_spec("playwright") is not None, "the playwright Python package")
    require(find_spec("jupyterlab") is not None, "jupyterlab")
    require(find_spec("ipywidgets") is not None, "ipywidgets")
    jupyter = Path(sys.prefix) / "bin" / "jupyter"
    require(jupyter.exists(), f"the venv's jupyter ({jupyter})")

    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("home")
    workspaces, user_settings = home / "lab-workspaces", home / "lab-settings"
    suppress_news_popup(user_settings)
    real_home = Path.home()
    before = home_state(real_home)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in private_home(home).items():
            patch.setenv(name, value)  # also for Chromium: Playwright's driver inherits it
        yield from serve(root, workspaces, user_settings)
    after = home_state(real_home)
    changed = sorted(path for path, mtime in after.items() if path not in before or before[path] != mtime)
    assert not changed, f"the browser tests wrote into {real_home}: {changed}"


def serve(root: Path, workspaces: Path, user_settings: Path) -> Iterator[Lab]:
    """Run JupyterLab on ``root`` until the generator is closed."""
    jupyter = Path(sys.prefix) / "bin" / "jupyter"
    log = root.parent / "jupyterlab.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        "--ServerApp.port_retries=0", "--allow-root", f"--notebook-dir={root}",
        f"--LabApp.workspaces_dir={workspaces}", f"--LabApp.user_settings_dir={user_settings}",
        "--LabApp.expose_app_in_browser=True",
        # Notebook 7, when installed, is served by the same server at /notebooks/<path>.
        f"--JupyterNotebookApp.workspaces_dir={workspaces}",
        f"--JupyterNotebookApp.user_settings_dir={user_settings}",
        "--JupyterNotebookApp.expose_app_in_browser=True",
    ]  # fmt: skip
    env = offline_env()
    # agentnb's JupyterLab extension from this checkout first (an installed copy may be older)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(LABEXTENSIONS), env.get("JUPYTER_PATH", "")) if p)
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(url, server, log)
        yield Lab(url, root, workspaces)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def run_all(page: Any) -> None:
    """Run every cell of the open notebook once its kernel has answered.

    Through JupyterLab's own command (the app is exposed to the page): the execution
    indicator reads "idle" before the kernel is connected, and a Run All clicked then does
    nothing; a key press per cell can be lost before the editor has focus.
    """
    page.evaluate(RUN_ALL, UI_TIMEOUT_MS)


def write_notebook(folder: Path, name: str, cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, folder / name)
    return name


def test_agentteam_cell_renders_a_bubble_per_agent_and_a_tool_panel(lab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    name = write_notebook(lab.root, "chat.ipynb", NOTEBOOK_CELLS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=UI_TIMEOUT_MS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(f"{lab.url}/lab/tree/{name}", timeout=UI_TIMEOUT_MS)
            editors = page.locator(".jp-NotebookPanel .jp-Cell .cm-content")
            expect(editors).to_have_count(len(NOTEBOOK_CELLS), timeout=UI_TIMEOUT_MS)
            run_all(page)
            prompts = page.locator(".jp-NotebookPanel .jp-InputArea-prompt")
            for index in range(len(NOTEBOOK_CELLS)):
                expect(prompts.nth(index)).to_contain_text(f"[{index + 1}]", timeout=RUN_TIMEOUT_MS)
            idle = page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')
            expect(idle).to_have_count(1, timeout=RUN_TIMEOUT_MS)

            output = page.locator(".jp-NotebookPanel .jp-Cell").nth(1).locator(".jp-OutputArea-output")
            bubbles = output.locator(".agentnb-msg")
            tools = output.locator(".agentnb-tool")
            expect(tools.first).to_be_visible(timeout=RUN_TIMEOUT_MS)
            expect(bubbles.last).to_contain_text("PUBLISHED", timeout=RUN_TIMEOUT_MS)

            texts = bubbles.all_inner_texts()
            names = {line.split(" #")[0] for text in texts for line in text.splitlines()}  # "writer #2"
            speakers = set(AGENTS) & names
            assert speakers == set(AGENTS), (
                f"bubbles found for {sorted(speakers)} of {list(AGENTS)}; "
                f"the output reads: {' | '.join(output.all_inner_texts())[:2000]}"
            )
            first_tool = tools.first
            assert "search_archive" in first_tool.inner_text()
            first_tool.locator("summary").click()
            expect(first_tool).to_contain_text("Harmon rail yard park vote")  # the arguments, once opened
            bubbles.first.scroll_into_view_if_needed()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(FAILED_SCREENSHOT))  # what the page showed when the test failed
            raise
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
    # JupyterLab saved the layout of the opened notebook: in the temp home, not the user's.
    assert list(lab.workspaces.glob("*.jupyterlab-workspace"))
