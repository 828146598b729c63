"""The live chat's question panel: what a person in the run is asked, and their answer.

A human participant's turn shows an answer box; a tool call waiting for approval shows
Approve and Reject (and, when the call runs code, that code in a box Edit unlocks: Approve
then sends the edited code, which is what runs; the transcript keeps both), with the tool's
note (where the code runs: isolated or not) right above the buttons. Questions wait their
turn, one at a time.
"""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as widgets

from agentnb.core.events import ToolCall
from agentnb.core.untrusted import approval_text, approval_warning
from agentnb.notebook.bridge import Ask
from agentnb.notebook.controls import button, show
from agentnb.views.chat import code_argument
from agentnb.views.chat.live import ask_note_html, ask_prompt_html


def code_of(call: ToolCall | None) -> str | None:
    """The ``code`` argument of a tool call (e.g. ``run_python``), which the person may edit."""
    found = code_argument(call)
    return None if found is None else found[0]


class AskPanel(widgets.VBox):
    """Questions and approvals from a run, answered one at a time (hidden while none waits)."""

    def __init__(self) -> None:
        self.asks: list[Ask] = []
        self.prompt = widgets.HTML()
        self.text = widgets.Text(placeholder="Type your answer", _dom_classes=["agentnb-input"])
        self.send_button = button("Send", "agentnb-send", self._send_clicked, button_style="primary")
        self.approve_button = button(
            "Approve", "agentnb-approve", lambda _: self._decide(True), button_style="success"
        )
        self.reject_button = button(
            "Reject", "agentnb-reject", lambda _: self._decide(False), button_style="danger"
        )
        self.code = widgets.Textarea(
            disabled=True, layout=widgets.Layout(width="100%"), _dom_classes=["agentnb-code"]
        )
        self.edit_button = button("Edit", "agentnb-edit", self._edit_clicked, icon="pencil")
        self.note = widgets.HTML(_dom_classes=["agentnb-approval-note"])
        row = widgets.HBox(
            [self.text, self.send_button, self.approve_button, self.edit_button, self.reject_button]
        )
        super().__init__([self.prompt, self.code, self.note, row], _dom_classes=["agentnb-ask"])
        for widget in (self, self.code, self.note, self.edit_button):
            show(widget, False)

    def ask(self, ask: Ask) -> None:
        """Show ``ask`` now, or after the questions before it."""
        self.asks.append(ask)
        if len(self.asks) == 1:
            self._show_next()

    def _show_next(self) -> None:
        while self.asks and self.asks[0].answered:  # e.g. the run was stopped meanwhile
            self.asks.pop(0)
        if not self.asks:
            show(self, False)
            return
        ask = self.asks[0]
        code = code_of(ask.call)
        prompt, note = ask.prompt, ""  # the full approval text names the tool's note itself
        if code is not None and ask.call is not None:  # the code shows in its box, not in the prompt
            prompt, note = f"{ask.agent} wants to run {ask.call.name} with this code:", ask.call.note
            if approval_warning(ask.call):  # the box cannot mark hidden characters: the prompt does
                prompt, note = approval_text(ask.agent, ask.call), ""
        self.prompt.value = ask_prompt_html(prompt, code=code is not None)
        self.note.value = ask_note_html(note) if note else ""
        show(self.note, bool(note))
        self.code.value = code or ""
        self.code.disabled = True
        self.code.rows = min(max(len(self.code.value.splitlines()), 3), 20)
        self.text.value = ""
        self.text.placeholder = "Optional comment" if ask.is_approval else "Type your answer"
        show(self.send_button, not ask.is_approval)
        show(self.approve_button, ask.is_approval)
        show(self.reject_button, ask.is_approval)
        show(self.code, code is not None)
        show(self.edit_button, code is not None)
        self.edit_button.disabled = False
        show(self, True)

    def _answer(self, value: str | tuple[Any, ...]) -> None:
        if self.asks:
            self.asks.pop(0).answer(value)
        self._show_next()

    def _send_clicked(self, _: Any) -> None:
        if self.asks and not self.asks[0].is_approval:
            self._answer(self.text.value)

    def _decide(self, approved: bool) -> None:
        if not self.asks or not self.asks[0].is_approval:
            return
        comment = self.text.value.strip()
        call = self.asks[0].call
        code = code_of(call)
        if approved and call is not None and code is not None and self.code.value != code:
            self._answer((True, comment, {**json.loads(call.arguments), "code": self.code.value}))
        else:
            self._answer((approved, comment))

    def _edit_clicked(self, _: Any) -> None:
        self.code.disabled = False
        self.edit_button.disabled = True
