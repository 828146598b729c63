"""The progress bar: runs done and passed while an eval runs; nothing where nobody watches."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import ToolCorrectness

from agentnb.evals import TextProgress, evaluate_sync
from agentnb.evals import progress as progress_module
from agentnb.notebook import eval_progress

from .conftest import homework


def dataset() -> Dataset:
    return Dataset(
        name="sums",
        cases=[Case(name="add", inputs="What is 17 + 25?"), Case(name="times", inputs="What is 6 * 7?")],
        evaluators=[ToolCorrectness(["calculate"])],
    )


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def start(self, title: str, total: int) -> None:
        self.calls.append(("start", title, total))

    def advance(self, passed: bool) -> None:
        self.calls.append(("advance", passed))

    def finish(self) -> None:
        self.calls.append(("finish",))


def test_evaluate_reports_every_run_to_the_progress_display():
    shown = Recorder()
    report = evaluate_sync(lambda seed: homework(seed, skip=0.5), dataset(), repeat=3, progress=shown)
    assert shown.calls[0] == ("start", "Evaluating team on sums (2 cases × 3)", 6)
    advances = [c[1] for c in shown.calls[1:-1]]
    assert len(advances) == 6 and sum(advances) == report.pass_rate.passed
    assert shown.calls[-1] == ("finish",)


def test_the_text_bar_redraws_in_place_and_ends_with_a_newline():
    stream = io.StringIO()
    evaluate_sync(homework, dataset(), repeat=2, progress=TextProgress(stream))
    frames = stream.getvalue().split("\r")[1:]
    assert (
        frames[0]
        == "Evaluating homework on sums (2 cases × 2) [........................] 0/4 runs · 0 passed"
    )
    assert (
        frames[-1]
        == "Evaluating homework on sums (2 cases × 2) [########################] 4/4 runs · 4 passed\n"
    )


def test_auto_shows_nothing_where_nobody_watches(monkeypatch):
    monkeypatch.setattr(progress_module, "_displays", [])
    monkeypatch.setattr(progress_module.sys, "stderr", io.StringIO())  # not a terminal
    assert progress_module.choose("auto") is None and progress_module.choose(False) is None
    assert isinstance(progress_module.choose(True), TextProgress)
    with pytest.raises(ValueError, match="progress: expected True, False, 'auto' or a Progress"):
        progress_module.choose("yes")


def test_a_registered_display_is_used_for_auto(monkeypatch):
    monkeypatch.setattr(progress_module, "_displays", [])
    progress_module.register_display(Recorder)
    assert isinstance(progress_module.choose("auto"), Recorder)
    progress_module.unregister_display(Recorder)
    assert progress_module._displays == []


def test_the_notebook_bar_ends_as_the_same_fixed_line_it_started_with(monkeypatch):
    shown: list[dict[str, Any]] = []

    class Handle:
        def update(self, bundle: dict[str, Any], raw: bool) -> None:
            shown.append(bundle)

    def display(bundle: dict[str, Any], raw: bool, display_id: bool) -> Handle:
        shown.append(bundle)
        return Handle()

    monkeypatch.setattr("IPython.display.display", display)
    bar = eval_progress.NotebookProgress()
    report = evaluate_sync(homework, dataset(), repeat=2, progress=bar)
    opening, closing = shown
    assert eval_progress.WIDGET_VIEW in opening and eval_progress.WIDGET_VIEW not in closing
    assert {k: v for k, v in opening.items() if k != eval_progress.WIDGET_VIEW} == closing
    assert closing["text/plain"] == "Evaluating homework on sums (2 cases × 2)"
    assert (bar.done, bar.passed) == (4, report.pass_rate.passed) and bar._widgets == []


def test_the_notebook_registers_its_bar_only_in_a_kernel(monkeypatch):
    monkeypatch.setattr(progress_module, "_displays", [])

    class Shell:
        kernel = None

    eval_progress.register(Shell())
    assert progress_module._displays == []
    Shell.kernel = object()
    eval_progress.register(Shell())
    assert progress_module._displays == [eval_progress.NotebookProgress]
    eval_progress.unregister()
    assert progress_module._displays == []


def test_load_ext_agentnb_registers_the_bar_and_unload_removes_it(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr(progress_module, "_displays", [])
    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell, "kernel", object(), raising=False)
    shell.run_line_magic("load_ext", "agentnb")
    try:
        assert progress_module._displays == [eval_progress.NotebookProgress]
    finally:
        shell.run_line_magic("unload_ext", "agentnb")
    assert progress_module._displays == []
