"""run_blocking: the worker-thread run, the main-thread view, interrupts and human answers."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from agentnb import Agent, Human, Team, models, tool
from agentnb.core.errors import RunError
from agentnb.core.events import Approval, Event, Stop, TextMessage, TokenDelta, ToolResult
from agentnb.notebook.bridge import Ask, HumanBridge
from agentnb.notebook.runner import INTERRUPTED, ServeError, run_blocking


class Recorder:
    """A view that records what it is given and answers questions with canned replies."""

    def __init__(self, answers: list[Any] | None = None) -> None:
        self.events: list[Event] = []
        self.asks: list[Ask] = []
        self.answers = list(answers or [])
        self.flushes = 0

    def feed(self, event: Event) -> None:
        self.events.append(event)

    def ask(self, ask: Ask) -> None:
        self.asks.append(ask)
        ask.answer(self.answers.pop(0))

    def flush(self, *, force: bool = False) -> None:
        self.flushes += 1


def two_agents(**options: Any) -> Team:
    model = models.ScriptedModel({"a": ["alpha beta gamma"] * 20, "b": ["delta epsilon"] * 20}, **options)
    return Team([Agent("a"), Agent("b")], model=model, max_turns=6)


def test_the_view_sees_every_event_in_order_including_tokens() -> None:
    view = Recorder()
    result = run_blocking(two_agents(), "go", view=view)
    assert [e for e in view.events if not isinstance(e, TokenDelta)] == result.messages
    assert (
        "".join(e.text for e in view.events if isinstance(e, TokenDelta) and e.source == "b")
        == "delta epsilon" * 3
    )
    assert view.flushes >= 1 and isinstance(view.events[-1], Stop)


def test_an_interrupt_stops_the_run_and_keeps_the_transcript() -> None:
    team = two_agents(token_latency=0.02)
    view = Recorder()
    raised = []

    def pump() -> None:
        if len(view.events) > 5 and not raised:
            raised.append(True)
            raise KeyboardInterrupt

    result = run_blocking(team, "go", view=view, pump=pump)
    assert raised and result.stop_reason == INTERRUPTED
    assert result.turns < 6 and result.chat()[0].content == "go"
    assert team.transcript[-1] == result.messages[-1]
    assert team.run_sync("again").turns == 6  # the team (and the process) stay usable


def test_a_human_answers_through_the_bridge() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    human = Human("alice")
    team = Team([Agent("a"), human], model=models.ScriptedModel({"a": ["Question?"]}), max_turns=2)
    view = Recorder(answers=["My answer"])
    with HumanBridge(inbox.put).attached(human):
        result = run_blocking(team, "go", inbox=inbox, view=view)
    assert [a.prompt for a in view.asks] == ["alice, your turn:"]
    assert result.chat()[-1] == TextMessage(source="alice", content="My answer", at=result.chat()[-1].at)
    assert human.input_fn is input  # restored after the run


@tool(requires_approval=True)
def publish(title: str) -> str:
    """Publish a story."""
    return f"published {title}"


@pytest.mark.parametrize(("verdict", "content"), [(True, "published Park"), (False, "rejected")])
def test_approval_requests_go_to_the_view(verdict: bool, content: str) -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    human = Human("alice")
    script = {"a": [{"tool": "publish", "args": {"title": "Park"}}, "done"]}
    team = Team([Agent("a", tools=[publish]), human], model=models.ScriptedModel(script), max_turns=1)
    view = Recorder(answers=[(verdict, "my note")])
    with HumanBridge(inbox.put).attached(human):
        result = run_blocking(team, "go", inbox=inbox, view=view)
    (ask,) = view.asks
    assert ask.is_approval and ask.prompt.startswith("a wants to run publish(")
    approvals = [e for e in result.messages if isinstance(e, Approval)]
    assert [(e.approved, e.comment) for e in approvals] == [(verdict, "my note")]
    (outcome,) = [e for e in result.messages if isinstance(e, ToolResult)]
    assert content in outcome.content


def test_run_errors_reach_the_caller_with_the_partial_result_and_only_there() -> None:
    team = Team([Agent("a"), Agent("b")], model=models.ScriptedModel({"a": ["fine"]}), max_turns=4)
    view = Recorder()
    with pytest.raises(RunError) as caught:
        run_blocking(team, "go", view=view)
    result = caught.value.result
    assert [m.content for m in result.chat()] == ["go", "fine"] and isinstance(result.messages[-1], Stop)
    shown = [e for e in view.events if not isinstance(e, TokenDelta)]
    assert shown == result.messages[:-1]  # the error says why the run stopped; the view does not


class Broken(Recorder):
    """A view whose ``method`` raises once it has seen ``after`` events."""

    def __init__(self, method: str, after: int = 0, answers: list[Any] | None = None) -> None:
        super().__init__(answers)
        self.method, self.after = method, after

    def _maybe_fail(self, method: str) -> None:
        if method == self.method and len(self.events) >= self.after:
            raise ZeroDivisionError("the view broke")

    def feed(self, event: Event) -> None:
        self._maybe_fail("feed")
        super().feed(event)

    def ask(self, ask: Ask) -> None:
        self._maybe_fail("ask")
        super().ask(ask)

    def flush(self, *, force: bool = False) -> None:
        self._maybe_fail("flush")
        super().flush(force=force)


@pytest.mark.parametrize(
    ("method", "after", "where"),
    [
        ("feed", 0, "Broken.feed(TextMessage)"),  # the very first event: the run has barely begun
        ("feed", 8, "Broken.feed("),
        ("flush", 8, "Broken.flush()"),
    ],
)
def test_a_failing_view_stops_the_team_and_says_what_failed(method: str, after: int, where: str) -> None:
    team = two_agents(token_latency=0.01)
    with pytest.raises(ServeError) as caught:
        run_blocking(team, "go", view=Broken(method, after))
    message = str(caught.value)
    assert message.startswith(f"team 'team' was stopped because {where}")
    assert "failed: ZeroDivisionError: the view broke" in message and "--no-stream" in message
    result = caught.value.result
    assert result.stop_reason.startswith(where) and result.stop_reason.endswith(" failed")
    assert result.turns < 6 and result.chat()[0].content == "go" and team.transcript == result.messages
    assert team.run_sync("again").turns == 6  # ended, not left running: no TeamBusyError


def test_a_failing_pump_stops_the_team_and_says_so() -> None:
    team = two_agents(token_latency=0.01)

    def pump() -> None:
        raise OSError("socket closed")

    with pytest.raises(ServeError, match=r"the kernel pump \(function\) failed: OSError: socket closed"):
        run_blocking(team, "go", view=Recorder(), pump=pump)
    assert team.run_sync("again").turns == 6


def test_a_view_failing_on_a_question_stops_a_team_waiting_for_its_answer() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    human = Human("alice")
    team = Team([Agent("a"), human], model=models.ScriptedModel({"a": ["Question?"] * 4}), max_turns=4)
    with HumanBridge(inbox.put).attached(human), pytest.raises(ServeError, match=r"Broken\.ask\(Ask\)"):
        run_blocking(team, "go", inbox=inbox, view=Broken("ask"))
    assert team.last_result is not None and team.last_result.stop_reason == "Broken.ask(Ask) failed"
    with HumanBridge(inbox.put).attached(human):
        again = run_blocking(team, None, inbox=inbox, view=Recorder(answers=["fine"] * 2))
    assert (again.chat()[0].source, again.chat()[0].content) == ("alice", "fine")  # her turn goes first


def test_an_interrupt_before_the_run_has_begun_still_stops_it() -> None:
    team = two_agents(token_latency=0.01)
    begin = threading.Event()
    stream = team.stream

    async def late(task: str | None) -> Any:
        begin.wait()  # the run begins only after the interrupt was handled
        async for event in stream(task):
            yield event

    team.stream = late  # type: ignore[method-assign]
    rounds: list[int] = []

    def pump() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            raise KeyboardInterrupt
        begin.set()

    result = run_blocking(team, "go", view=Recorder(), pump=pump)
    assert result.stop_reason == INTERRUPTED and result.turns < 6


def test_a_run_waiting_for_an_approval_is_decided_in_the_view_and_goes_on() -> None:
    published: list[str] = []

    @tool(requires_approval=True, blocking=False)
    def publish(headline: str) -> str:
        """Publish a story."""
        published.append(headline)
        return f"published {headline}"

    script = {"desk": [{"tool": "publish", "args": {"headline": "Park"}}, "Done."], "editor": ["Good."]}
    model = models.ScriptedModel(script, stateless=True)
    team = Team([Agent("desk", tools=[publish]), Agent("editor")], model=model, approver="later", max_turns=2)
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    view = Recorder(answers=[(True, "go ahead", {"headline": "Park opens"})])
    result = run_blocking(team, "go", inbox=inbox, view=view, decide=HumanBridge(inbox.put).decider(team))
    assert [a.human for a in view.asks] == ["approver"] and view.asks[0].call.name == "publish"  # type: ignore[union-attr]
    stops = [e for e in view.events if isinstance(e, Stop)]
    assert [s.waiting for s in stops] == [True, False]  # the wait was shown as it happened
    assert published == ["Park opens"] and result.stop_reason == "max turns reached (2)"
    approval = next(e for e in team.transcript if isinstance(e, Approval))
    assert (approval.comment, approval.arguments) == ("go ahead", '{"headline": "Park opens"}')


def test_without_a_person_to_decide_the_run_ends_waiting() -> None:
    script = {"desk": ["Ask Alice."]}
    team = Team(
        [Agent("desk"), Human("alice", input_fn="later")], model=models.ScriptedModel(script), max_turns=2
    )
    view = Recorder()
    result = run_blocking(team, "go", view=view)
    assert result.stop_reason == "awaiting an answer from alice" and view.asks == []
    assert isinstance(view.events[-1], Stop) and view.events[-1].waiting


def test_a_view_failing_while_a_decision_is_asked_for_ends_the_wait() -> None:
    class Broken(Recorder):
        def ask(self, ask: Ask) -> None:
            raise RuntimeError("comm closed")

    script = {"desk": ["Ask Alice."]}
    team = Team(
        [Agent("desk"), Human("alice", input_fn="later")], model=models.ScriptedModel(script), max_turns=2
    )
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    with pytest.raises(ServeError, match=r"Broken.ask\(Ask\) failed: RuntimeError: comm closed"):
        run_blocking(team, "go", inbox=inbox, view=Broken(), decide=HumanBridge(inbox.put).decider(team))
    assert [p.who for p in team.pending()] == ["alice"] and not team.busy  # still waiting, nothing stuck
