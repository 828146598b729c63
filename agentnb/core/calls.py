"""Running one reply's tool calls: which tool, the approval a tool needs, the call itself.

Every failure becomes an error result the model reads (an unknown tool, a tool no longer
offered, invalid arguments, a rejection); calls of one reply run concurrently and their
results come back in call order. An approver answers True/False, or (approved, comment[,
edited arguments]) — anything else is an error, never an approval: approval fails closed.
It may also answer `LATER`: a person decides later, so the call is recorded as an
`ApprovalRequested` and waits (`waiting`) while the run ends; a resumed turn finds the
decision in the transcript (`decided`) and runs or rejects the call then.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentnb.core.errors import ConfigError
from agentnb.core.events import Approval, ApprovalRequested, Event, ToolCall, ToolProgress, ToolResult
from agentnb.core.tools import Tool, describe_call
from agentnb.core.toolsets import reporting_progress

Approver = Callable[[str, ToolCall], Any]  # answers (maybe awaitably) True/False or a tuple
APPROVER = "approver"  # the source of decisions made by an approver function (not a person)
LATER = "later"
"""What an approver answers (and ``Team(approver="later")`` means): a person decides later."""


@dataclass(frozen=True, slots=True)
class Decision:
    """A checked approval: approved or not, why, and the arguments to run instead (if edited)."""

    approved: bool
    comment: str = ""
    arguments: str | None = None


def decision(verdict: Any, call: ToolCall) -> Decision:
    """An approver's answer as a `Decision`; a `ConfigError` unless it is a real yes or no."""
    if isinstance(verdict, bool):
        return Decision(verdict)
    if not isinstance(verdict, tuple) or not 1 <= len(verdict) <= 3 or not isinstance(verdict[0], bool):
        raise ConfigError(
            f"approver: for {describe_call(call)} it answered {verdict!r}; answer True or False, or "
            "(approved, comment[, edited_arguments]) with approved True or False (the call did not run)"
        )
    comment = str(verdict[1]) if len(verdict) > 1 and verdict[1] is not None else ""
    edited = verdict[2] if len(verdict) > 2 else None
    if edited is not None and not isinstance(edited, str):
        edited = json.dumps(edited)
    return Decision(verdict[0], comment, None if edited == call.arguments else edited)


def awaiting_approval(calls: Sequence[ToolCall]) -> str:
    """What a run waits for, in words: ``awaiting approval of run_python (call 3)``."""
    return "awaiting approval of " + " and ".join(f"{c.name} (call {c.id})" for c in calls)


def error_result(source: str, call: ToolCall, content: str, step: str, scope: str = "") -> ToolResult:
    """The result of ``call`` that did not run (or failed): ``content`` says why, to the model."""
    return ToolResult(
        source=source, call_id=call.id, name=call.name, is_error=True, content=content, step=step, scope=scope
    )


@dataclass
class CallRunner:
    """Runs the calls of one agent's replies: ``offered`` are the tools it may call now,
    ``known`` every tool it has (a known tool not offered ran out of rounds)."""

    agent: str
    step: str
    approver: Approver | None
    approver_name: str
    max_rounds: int
    decided: dict[str, Approval] = field(default_factory=dict)  # decisions already in the transcript
    asked: set[str] = field(default_factory=set)  # calls whose approval was already requested there
    waiting: list[ToolCall] = field(default_factory=list)  # calls waiting for a person's decision

    async def run(
        self,
        calls: Sequence[ToolCall],
        offered: Mapping[str, Tool],
        known: Mapping[str, Tool],
        report: Any = None,
    ) -> list[Event]:
        """Results (and approvals) of ``calls``, in call order (``report``: where progress goes)."""
        if len(calls) == 1:
            return await self.one(calls[0], offered, known, report)
        groups = await asyncio.gather(*(self.one(c, offered, known, report) for c in calls))
        return [event for group in groups for event in group]

    async def run_live(
        self, calls: Sequence[ToolCall], offered: Mapping[str, Tool], known: Mapping[str, Tool]
    ) -> AsyncIterator[Event]:
        """`run`, yielding the `ToolProgress` the tools report while they run, then the results.

        Cancelling (a stopped run) cancels the calls: an MCP server is told to stop its work.
        """
        loop = asyncio.get_running_loop()
        reports: list[ToolProgress] = []
        wake = loop.create_future()

        def report(event: ToolProgress) -> None:
            reports.append(event)
            if not wake.done():
                wake.set_result(None)

        work = asyncio.ensure_future(self.run(calls, offered, known, report))
        try:
            while not work.done():
                await asyncio.wait((work, wake), return_when=asyncio.FIRST_COMPLETED)
                if wake.done():
                    wake = loop.create_future()
                while reports:
                    yield reports.pop(0)
            for event in work.result():
                yield event
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)

    async def one(
        self, call: ToolCall, offered: Mapping[str, Tool], known: Mapping[str, Tool], report: Any = None
    ) -> list[Event]:
        tool = offered.get(call.name)
        if tool is None:
            if call.name in known:
                why = (
                    f"Error: {call.name!r} is not available now: this turn has used its "
                    f"{self.max_rounds} rounds of tool calls. Reply with text."
                )
            else:
                why = f"Error: unknown tool {call.name!r}. Available tools: {', '.join(offered) or 'none'}."
            return [error_result(self.agent, call, why, self.step)]
        events: list[Event] = []
        arguments = call.arguments
        if tool.requires_approval:
            approval = self.decided.get(call.id) or await self.approve(call, tool)
            if approval == LATER:
                self.waiting.append(call)
                if call.id in self.asked:
                    return []
                asked = ApprovalRequested(
                    source=self.agent,
                    call_id=call.id,
                    tool=call.name,
                    arguments=call.arguments,
                    origin=tool.origin,
                    note=tool.approval_note,
                    step=self.step,
                )
                return [asked]
            if isinstance(approval, ToolResult):
                return [approval]
            if approval is not self.decided.get(call.id):
                events.append(approval)
            if not approval.approved:
                note = f" They said: {approval.comment}" if approval.comment else ""
                who = (
                    "The approver" if self.approver_name == APPROVER else f"The human ({self.approver_name})"
                )
                message = f"{who} rejected the call {describe_call(call)}.{note}"
                return [*events, error_result(self.agent, call, message, self.step)]
            arguments = approval.arguments or arguments
        if report is None:
            outcome = await tool.run(arguments)
        else:
            with reporting_progress(self._reporter(call, report), self._nested(call, report)):
                outcome = await tool.run(arguments)
        events.append(
            ToolResult(
                source=self.agent,
                call_id=call.id,
                name=call.name,
                content=outcome.content,
                is_error=outcome.is_error,
                duration=outcome.duration,
                display=tuple(outcome.display) if outcome.display else None,
                step=self.step,
            )
        )
        return events

    def _reporter(self, call: ToolCall, report: Any) -> Any:
        def progress(done: float, total: float | None, message: str) -> None:
            report(
                ToolProgress(
                    source=self.agent,
                    call_id=call.id,
                    name=call.name,
                    progress=done,
                    total=total,
                    message=message,
                    step=self.step,
                )
            )

        return progress

    def _nested(self, call: ToolCall, report: Any) -> Any:
        """Events of a run the tool makes, scoped under the tool's name, as a nested team's are."""

        def nested(event: Event) -> None:
            scope = f"{call.name}/{event.scope}" if event.scope else call.name
            report(dataclasses.replace(event, scope=scope, step=self.step))

        return nested

    async def approve(self, call: ToolCall, tool: Tool) -> Approval | ToolResult | str:
        if self.approver is None:
            return error_result(
                self.agent,
                call,
                f"Error: {call.name!r} needs a human's approval and nobody can give it.",
                self.step,
            )
        asked = time.time()
        asking = dataclasses.replace(call, origin=tool.origin, note=tool.approval_note)
        if self.approver == LATER:  # a person decides later
            return LATER
        verdict = self.approver(self.agent, asking)  # a function, sync or async
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if verdict == LATER:
            return LATER
        checked = decision(verdict, call)
        return Approval(
            source=self.approver_name,
            call_id=call.id,
            tool=call.name,
            approved=checked.approved,
            comment=checked.comment,
            arguments=checked.arguments,
            started_at=asked,
            step=self.step,
        )
