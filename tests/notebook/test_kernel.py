"""%%agentteam in a real ipykernel: live updates, clickable Stop and input, interrupts, outputs."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.notebook.kernel import Kernel, Message, ThrottledBox, outputs, stream_text

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SETUP = """
%load_ext agentnb
from agentnb import Agent, Human, Team, models
def slow_team(latency=0.02, turns=30):
    model = models.ScriptedModel(
        {"a": ["alpha beta gamma delta"] * turns, "b": ["epsilon zeta eta"] * turns}, token_latency=latency
    )
    return Team([Agent("a", "A"), Agent("b", "B")], model=model, max_turns=turns)
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    _, reply = k.execute(SETUP)
    assert reply["content"]["status"] == "ok", reply["content"]
    yield k
    k.shutdown()


def test_the_kernel_is_this_venvs_python(kernel: Kernel) -> None:
    messages, _ = kernel.execute("import sys; print(sys.executable)")
    assert Path(stream_text(messages).strip()).resolve() == Path(sys.executable).resolve()


def test_chat_updates_reach_the_front_end_while_the_cell_runs(kernel: Kernel) -> None:
    kernel.execute("team = slow_team(turns=4)")
    messages, reply = kernel.execute("%%agentteam team\nGo.")
    assert reply["content"]["status"] == "ok"
    kinds = [m["msg_type"] for m in messages]
    first_result = kinds.index("execute_result")
    live = [
        m["content"]["data"]["state"]["value"]
        for m in messages[:first_result]
        if m["msg_type"] in ("comm_open", "comm_msg")
        and "agentnb-msg" in str(m["content"]["data"].get("state", {}))
    ]
    assert any("agentnb-cursor" in v for v in live), "no streaming bubble was sent before the result"
    assert any("epsilon zeta eta" in v and "agentnb-cursor" not in v for v in live)
    (opening,) = outputs(messages, "display_data")
    (closing,) = outputs(messages, "update_display_data")
    assert WIDGET_VIEW in opening and WIDGET_VIEW not in closing
    assert {k: v for k, v in opening.items() if k != WIDGET_VIEW} == closing  # nbval sees the same either way
    (result,) = outputs(messages, "execute_result")
    assert (
        result["text/html"].count('class="agentnb-msg ') == 5
        and "max turns reached (4)" in result["text/plain"]
    )


def test_stop_button_works_while_the_cell_blocks(kernel: Kernel) -> None:
    kernel.execute("team = slow_team(latency=0.05)")
    kernel.widgets.clear()
    clicked = threading.Event()

    def on_message(msg: Message) -> None:
        stop = kernel.find("agentnb-stop-button")
        if stop and not clicked.is_set() and "epsilon" in str(msg["content"]):
            clicked.set()
            kernel.click(stop)

    messages, _ = kernel.execute("%%agentteam team\nGo.", on_message=on_message)
    assert clicked.is_set()
    (result,) = outputs(messages, "execute_result")
    assert "stopped: Stop button pressed" in result["text/plain"]
    assert len(re.findall(r"\na: #\d+\n", result["text/plain"])) < 30


def test_a_human_types_an_answer_in_the_chat(kernel: Kernel) -> None:
    kernel.widgets.clear()
    answered = threading.Event()

    def on_message(msg: Message) -> None:
        if answered.is_set() or "alice, your turn:" not in str(msg["content"]):
            return
        answered.set()
        kernel.set_value(kernel.find("agentnb-input"), "Make it shorter")  # type: ignore[arg-type]
        kernel.click(kernel.find("agentnb-send"))  # type: ignore[arg-type]

    cell = (
        "%%agentteam --model scripted:newsroom --max-turns 2 --human alice\nwriter: You write.\n---\nA story."
    )
    messages, reply = kernel.execute(cell, on_message=on_message, timeout=30)
    assert answered.is_set() and reply["content"]["status"] == "ok"
    (result,) = outputs(messages, "execute_result")
    assert re.search(r"\nalice: #\d+\nMake it shorter", result["text/plain"])


def test_text_typed_key_by_key_reaches_the_kernel_while_the_cell_runs(kernel: Kernel) -> None:
    """ipywidgets sends a box's next change only once the kernel reports the last one idle."""
    kernel.widgets.clear()
    box: list[ThrottledBox] = []
    typed_at: list[float] = []
    clicked = threading.Event()

    def on_message(msg: Message) -> None:
        if box:
            box[0].seen(msg)
        if not box and "alice, your turn:" in str(msg["content"]):
            box.append(ThrottledBox(kernel, kernel.find("agentnb-input")))  # type: ignore[arg-type]
            box[0].type("Make it shorter")
            typed_at.append(time.monotonic())
        elif box and not clicked.is_set() and (box[0].synced or time.monotonic() - typed_at[0] > 5):
            clicked.set()  # a person clicks Send a moment after typing
            kernel.click(kernel.find("agentnb-send"))  # type: ignore[arg-type]

    cell = (
        "%%agentteam --model scripted:newsroom --max-turns 2 --human alice\nwriter: You write.\n---\nA story."
    )
    messages, reply = kernel.execute(cell, on_message=on_message, timeout=30, every=True)
    assert clicked.is_set() and reply["content"]["status"] == "ok"
    assert box[0].synced, f"the kernel never reported an update idle; sent only {box[0].sent}"
    (result,) = outputs(messages, "execute_result")
    assert re.search(r"\nalice: #\d+\nMake it shorter\n", result["text/plain"]), result["text/plain"]


def test_the_default_models_notice_is_an_ordinary_output_line_not_stderr(kernel: Kernel) -> None:
    code = (
        "import os\n"
        "from agentnb.models import local, spec\n"
        "saved = os.environ.pop('AGENTNB_MODEL'), local.available\n"
        "local.available, spec._notice_shown = (lambda: False), False\n"
        "try:\n"
        "    spec.default()\n"
        "finally:\n"
        "    os.environ['AGENTNB_MODEL'], local.available = saved\n"
    )
    messages, reply = kernel.execute(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    streams = [m["content"] for m in messages if m["msg_type"] == "stream"]
    assert [s["name"] for s in streams] == ["stdout"]  # stderr would show as a pink error box
    assert streams[0]["text"].startswith("agentnb: no model is configured")


def test_an_interrupt_stops_the_run_keeps_the_transcript_and_the_kernel(kernel: Kernel) -> None:
    kernel.execute("team = slow_team(latency=0.05)")
    interrupted = threading.Event()

    def on_message(msg: Message) -> None:
        if not interrupted.is_set() and "zeta" in str(msg["content"]):
            interrupted.set()
            kernel.km.interrupt_kernel()

    messages, reply = kernel.execute("%%agentteam team --out partial\nGo.", on_message=on_message)
    assert interrupted.is_set() and reply["content"]["status"] == "ok"
    (result,) = outputs(messages, "execute_result")
    assert "stopped: interrupted by the user" in result["text/plain"] and re.search(
        r"\na: #\d+\nalpha beta", result["text/plain"]
    )
    messages, _ = kernel.execute("print(partial.stop_reason, 6 * 7)")
    assert stream_text(messages) == "interrupted by the user 42\n"


def test_cells_queued_during_a_run_wait_and_run_in_order(kernel: Kernel) -> None:
    kernel.execute("team = slow_team(turns=6)")
    first = kernel.kc.execute("%%agentteam team\nGo.")
    second = kernel.kc.execute("order = [team.last_result.turns]")
    third = kernel.kc.execute("print(order, 'third')")
    _, reply1 = kernel.collect(first)
    _, reply2 = kernel.collect(second)
    messages, reply3 = kernel.collect(third)
    assert [r["content"]["status"] for r in (reply1, reply2, reply3)] == ["ok", "ok", "ok"]
    assert stream_text(messages) == "[6] third\n"


def test_await_run_sync_and_a_forgotten_await_in_a_kernel(kernel: Kernel) -> None:
    kernel.execute("team = slow_team(latency=0, turns=2)")
    messages, _ = kernel.execute("r = await team.run('Go'); print(r.turns, r.stop_reason)")
    assert stream_text(messages) == "2 max turns reached (2)\n"
    messages, _ = kernel.execute("r = team.run_sync('Go'); print(r.turns)")
    assert stream_text(messages) == "2\n"
    messages, _ = kernel.execute("team.run('Go')")
    (shown,) = outputs(messages, "execute_result")
    assert (
        shown["text/markdown"].startswith("**Not started.**") and "await team.run" in shown["text/markdown"]
    )


def test_a_broken_chat_stops_the_team_with_one_line_and_the_team_runs_again(kernel: Kernel) -> None:
    kernel.execute(
        "from agentnb.notebook.widget import ChatWidget\n"
        "feed = ChatWidget.feed\n"
        "def broken(self, event):\n"
        "    if len(self.events) > 3:\n"
        "        raise ZeroDivisionError('the chat broke')\n"
        "    feed(self, event)\n"
        "ChatWidget.feed = broken\n"
        "team = slow_team(latency=0.02)"
    )
    messages, reply = kernel.execute("%%agentteam team --out partial\nGo.")
    kernel.execute("ChatWidget.feed = feed")
    (error,) = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert error["ename"] == "ServeError" and len(error["traceback"]) == 1
    assert "because ChatWidget.feed(" in error["evalue"]
    assert "ZeroDivisionError: the chat broke" in error["evalue"]
    (closing,) = outputs(messages, "update_display_data")
    assert "alpha beta" in closing["text/plain"]  # the transcript so far stays in view
    messages, _ = kernel.execute("print(partial.stop_reason.endswith(' failed'), partial.turns < 30)")
    assert stream_text(messages) == "True True\n"
    messages, reply = kernel.execute("%%agentteam team\nGo on.")
    assert reply["content"]["status"] == "ok"  # not TeamBusyError: the team had ended


def test_the_kernel_reports_busy_until_the_cell_ends_while_other_requests_are_answered(
    kernel: Kernel,
) -> None:
    # JupyterLab shows the state of the last status message, whatever request it is about; its
    # widget manager sends create_subshell_request on the control channel when a chat appears.
    kernel.execute("team = slow_team(latency=0.02, turns=6)")
    control: list[str] = []

    def on_message(msg: Message) -> None:
        if len(control) < 2 and "epsilon" in str(msg["content"]):
            control.append(kernel.send_control("kernel_info_request"))

    messages, reply = kernel.execute("%%agentteam team\nGo.", on_message=on_message, every=True)
    assert reply["content"]["status"] == "ok"
    cell = reply["parent_header"]["msg_id"]
    statuses = [
        (m["content"]["execution_state"], m["parent_header"].get("msg_id"))
        for m in messages
        if m["msg_type"] == "status"
    ]
    assert statuses[0] == ("busy", cell) and statuses[-1] == ("idle", cell)
    during = statuses[1:-1]
    assert any(state == "idle" and parent in control for state, parent in during)  # answered meanwhile
    for index, (state, _) in enumerate(during):
        if state != "busy":  # another request's end: the very next status says the cell is busy
            assert during[index + 1 : index + 2] == [("busy", cell)], statuses


def test_a_run_error_is_shown_once_below_the_transcript(kernel: Kernel) -> None:
    kernel.execute("team = Team([Agent('a'), Agent('b')], model=models.ScriptedModel({'a': ['fine']}))")
    messages, _ = kernel.execute("%%agentteam team\nGo.")
    (error,) = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert error["ename"] == "RunError" and "has no script for agent 'b'" in error["evalue"]
    (closing,) = outputs(messages, "update_display_data")
    assert "a: #2\nfine" in closing["text/plain"]  # what happened before the error stays in view, numbered
    assert "no script" not in json.dumps(closing) and "Stopped" not in closing["text/html"]
