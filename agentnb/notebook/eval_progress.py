"""The eval progress bar in a notebook: a widget while the eval runs, a fixed line once it ends.

Like the live chat, the display carries a static bundle (the eval's title line) beside the
widget view; when the eval ends the display is replaced by that same bundle, so a saved
notebook holds no widget state and nbval sees the same text whether or not the update was
applied. `register(shell)` makes it the display of ``evaluate(progress="auto")``.
"""

from __future__ import annotations

from typing import Any

from agentnb.views.tables import title_line

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class NotebookProgress:
    """An `agentnb.evals.progress.Progress` drawn with ipywidgets: a bar and ``12/30 runs · 11 passed``."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.passed = 0
        self._handle: Any = None
        self._static: dict[str, str] = {}
        self._widgets: list[Any] = []

    def start(self, title: str, total: int) -> None:
        import ipywidgets as widgets
        from IPython.display import display

        self.total, self.done, self.passed = total, 0, 0
        self._bar = widgets.IntProgress(
            value=0, min=0, max=max(total, 1), layout=widgets.Layout(width="240px")
        )
        self._count = widgets.Label(self._counts())
        box = widgets.HBox([widgets.Label(title), self._bar, self._count])
        self._widgets = [self._bar, self._count, box]
        self._static = title_line(title)
        view = {"model_id": box.model_id, "version_major": 2, "version_minor": 0}
        self._handle = display({**self._static, WIDGET_VIEW: view}, raw=True, display_id=True)

    def advance(self, passed: bool) -> None:
        self.done += 1
        self.passed += passed
        if self._widgets:
            self._bar.value = self.done
            self._count.value = self._counts()

    def finish(self) -> None:
        if self._handle is not None:
            self._handle.update(self._static, raw=True)
        for widget in self._widgets:
            widget.close()
        self._widgets = []

    def _counts(self) -> str:
        return f"{self.done}/{self.total} runs · {self.passed} passed"


def register(shell: Any) -> None:
    """Show `NotebookProgress` for ``progress="auto"`` in a kernel with a front end; else nothing."""
    if getattr(shell, "kernel", None) is None:
        return
    try:
        from agentnb.evals.progress import register_display
    except ImportError:  # the evals extra is not installed: nothing to show progress for
        return
    register_display(NotebookProgress)


def unregister() -> None:
    try:
        from agentnb.evals.progress import unregister_display
    except ImportError:
        return
    unregister_display(NotebookProgress)
