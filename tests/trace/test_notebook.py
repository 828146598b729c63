"""The trace in Jupyter: %agenttrace in an IPython shell, and the live trace widget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from agentnb import Agent, Team
from agentnb.models import ScriptedModel
from agentnb.notebook import trace_view
from agentnb.trace import Trace
from agentnb.views.trace import TraceView
from tests.trace.test_spans import round_robin_with_tool


@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    trace_view.register(shell)
    saved = dict(shell.user_ns)
    try:
        yield shell
    finally:
        shell.magics_manager.magics["line"].pop("agenttrace", None)
        shell.user_ns.clear()
        shell.user_ns.update(saved)
        trace_view._last.clear()


def run_team() -> Team:
    model = ScriptedModel({"writer": ["Draft"], "editor": ["APPROVED"]})
    team = Team([Agent("writer"), Agent("editor")], model=model, until="APPROVED", name="desk")
    team.run_sync("Write")
    return team


def test_agenttrace_shows_the_trace_of_a_named_result(ip):
    ip.user_ns["result"] = run_team().last_result
    view = ip.run_line_magic("agenttrace", "result --no-times")
    assert isinstance(view, TraceView)
    text = view.text()
    assert text.startswith("trace desk · ok · 5 spans")
    assert "invoke_agent editor" in text and " ms" not in text
    assert "APPROVED" in view.html()  # the notebook view shows content


def test_agenttrace_without_a_name_shows_the_last_run(ip):
    team = run_team()
    ip.user_ns["_"] = team.last_result
    assert "trace desk" in ip.run_line_magic("agenttrace", "").text()
    trace_view.remember(team)  # what %%agentteam will record
    ip.user_ns["_"] = None
    assert "trace desk" in ip.run_line_magic("agenttrace", "").text()


def test_agenttrace_saves_jsonl(ip, tmp_path):
    ip.user_ns["t"] = Trace.from_events(round_robin_with_tool())
    path = tmp_path / "run.jsonl"
    ip.run_line_magic("agenttrace", f"t --save {path}")
    assert Trace.from_jsonl(path).summary().spans == 7


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("missing", "no variable 'missing'"),
        ("number", "'number' is a int"),
        ("team", "has not run yet"),
        ("t --focus 99", "--focus: focus: the trace has spans 0 to 6"),
        ("t --max-rows 0", "--max-rows: expected a positive number"),
        ("", "no run to show yet"),
    ],
)
def test_agenttrace_says_what_is_wrong_in_one_line(ip, line, message):
    ip.user_ns.update(number=3, team=Team([Agent("a")]), t=Trace.from_events(round_robin_with_tool()))
    ip.user_ns.pop("_", None)
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("agenttrace", line)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_live_trace_redraws_at_most_once_per_interval():
    clock = Clock()
    widget = trace_view.TraceWidget(interval=1.0, clock=clock)
    events = round_robin_with_tool()
    widget.feed(events[0])
    assert widget.flush() and "invoke_workflow" in widget.value
    for event in events[1:4]:
        widget.feed(event)
        clock.now += 0.1
        assert not widget.flush()
    clock.now += 1.0
    assert widget.flush() and "invoke_agent checker" in widget.value
    assert not widget.flush(force=True)  # nothing new to draw
    for event in events[4:]:
        widget.feed(event)
    assert widget.flush(force=True) and widget.redraws == 3


def test_the_live_trace_ends_with_the_whole_run_even_if_it_missed_events():
    widget = trace_view.TraceWidget()
    team = run_team()
    for event in team.last_result.messages[:-1]:  # the runner may hold back a failed run's Stop
        widget.feed(event)
    widget.flush(force=True)
    assert "running" in widget.value
    widget.finish(team.last_result)
    assert "running" not in widget.value and "trace desk · ok" in widget.value


def test_the_live_traces_saved_output_has_no_clock_times():
    widget = trace_view.TraceWidget()
    for event in round_robin_with_tool():
        widget.feed(event)
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == Trace.from_events(round_robin_with_tool()).view(times=False).text()


def test_views_feed_the_chat_and_the_trace_and_only_the_chat_answers_people():
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def feed(self, event) -> None:
            self.calls.append("feed")

        def ask(self, ask) -> None:
            self.calls.append("ask")

        def flush(self, *, force: bool = False) -> None:
            self.calls.append("flush")

    chat, trace = Recorder(), Recorder()
    views = trace_view.Views(chat, trace)
    views.feed(round_robin_with_tool()[0])
    views.ask(object())
    views.flush(force=True)
    assert chat.calls == ["feed", "ask", "flush"] and trace.calls == ["feed", "flush"]
