"""Plan mode: a planner splits the task into steps; independent steps run in parallel.

``Team(participants, mode="plan", planner=...)``: the planner is an `Agent` that returns a
`PlanDraft` (structured output), or a fixed `Plan`. The executor starts each step as soon
as the steps it depends on are done, at most ``max_parallel`` at a time; a step's assignee
sees the task, the step and its dependencies' results, not the whole chat. A failed step
(an error, an invalid structured result, a failed check) is tried again ``step_retries``
times; then, once the running steps are done, the planner **replans** the remaining work
from the plan, the results so far and the failure — finished steps are kept. After
``max_replans`` replans the run ends with a reason saying which step kept failing, so it
can never replan forever.

Progress is a fold over the plan events (`PlanProgress`), like every part of a team's
state: a run stopped part-way resumes with the steps that were not done.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from agentnb.core.agent import Agent, TurnContext
from agentnb.core.errors import AgentnbError
from agentnb.core.events import (
    USER,
    ErrorEvent,
    Event,
    PlanCreated,
    Replanned,
    StepFailed,
    StepFinished,
    StepStarted,
    Stop,
    TextMessage,
    TokenDelta,
)
from agentnb.core.model import ModelError
from agentnb.core.plan import Plan, PlanDraft, PlanError, Step
from agentnb.core.speakers import Policy
from agentnb.core.structured import parse_data
from agentnb.core.transcript import Transcript
from agentnb.core.words import plural

if TYPE_CHECKING:
    from agentnb.core.team import Team

PLANNER_ROLE = (
    "You are the planner of a team. You split a task into a few concrete steps and assign "
    "each step to the participant best suited for it."
)
PLAN_INSTRUCTIONS = """Task: {task}

Participants (assign every step to one of them):
{roles}

Split the task into steps. Give each step a short id, a description of what it must produce,
its assignee, and the ids of the steps whose results it needs (depends_on). Steps that do not
depend on each other run at the same time, so only add a dependency when a step really needs
that result. The last step must produce the final answer from the others' results."""
REPLAN_INSTRUCTIONS = """Task: {task}

Participants (assign every step to one of them):
{roles}

The plan so far:
{status}

Step {failed!r} failed: {error}

Write a revised plan for the remaining work only. The finished steps stay done: do not repeat
them, but new steps may depend on them by id. Use new ids for new steps. Try another way
(another assignee, smaller steps) rather than the same step again."""


class PlanProgress(Policy):
    """A plan run's state, folded from plan events: the plan, what is done, running, failed."""

    def __init__(self, team: Team, config: dict[str, Any]) -> None:
        planner = config.get("planner")
        if planner is not None and not isinstance(planner, Agent | Plan):
            raise ValueError(f"planner: expected an Agent (that plans) or a Plan, got {planner!r}")
        if isinstance(planner, Plan):
            planner.check_assignees(team.names)
        if isinstance(planner, Agent) and planner.name in team.names:
            raise ValueError(
                f"planner: {planner.name!r} is also a participant; give the planner its own agent"
            )
        for key in ("max_replans", "step_retries"):
            value = config.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key}: expected a whole number >= 0, got {value!r}")
        parallel = config.get("max_parallel")
        if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
            raise ValueError(f"max_parallel: expected a positive whole number, got {parallel!r}")
        self.planner: Agent | Plan = planner if planner is not None else Agent("planner", PLANNER_ROLE)
        self.max_replans: int = config["max_replans"]
        self.step_retries: int = config["step_retries"]
        self.max_parallel: int = parallel
        self.reset()

    def reset(self) -> None:
        self.plan: Plan | None = None
        self.stale = True  # no plan yet for the newest task
        self.revision = 0
        self.done: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.attempts: dict[str, int] = {}
        self.running: set[str] = set()
        self.failed: dict[str, str] = {}  # failed for good, waiting for a replan

    def snapshot(self) -> Any:
        return (
            self.plan,
            self.stale,
            self.revision,
            dict(self.done),
            dict(self.data),
            dict(self.attempts),
            frozenset(self.running),
            dict(self.failed),
        )

    def restore(self, state: Any) -> None:
        plan, self.stale, self.revision, done, data, attempts, running, failed = state
        self.plan = plan
        self.done, self.data, self.attempts = dict(done), dict(data), dict(attempts)
        self.running, self.failed = set(running), dict(failed)

    def begin_run(self) -> None:
        self.running = set()  # steps cut off by the previous run's end start again

    def finished(self) -> bool:
        return self.plan is not None and all(s.id in self.done for s in self.plan.steps)

    def observe(self, event: Event) -> None:
        if event.scope:
            return
        kind = event.__class__
        if kind is TextMessage and event.source == USER:
            self.stale = True
        elif kind is PlanCreated:
            self.reset()
            self.plan = event.plan  # type: ignore[attr-defined]
            self.stale = False
        elif kind is Replanned:
            self.plan = event.plan  # type: ignore[attr-defined]
            self.revision = event.revision  # type: ignore[attr-defined]
            kept = set(event.kept)  # type: ignore[attr-defined]
            self.done = {k: v for k, v in self.done.items() if k in kept}
            self.data = {k: v for k, v in self.data.items() if k in kept}
            self.failed = {}
            self.attempts = {k: v for k, v in self.attempts.items() if k in kept}
        elif kind is StepStarted:
            self.running.add(event.step_id)  # type: ignore[attr-defined]
            self.attempts[event.step_id] = event.attempt  # type: ignore[attr-defined]
        elif kind is StepFinished:
            self.running.discard(event.step_id)  # type: ignore[attr-defined]
            self.done[event.step_id] = event.output  # type: ignore[attr-defined]
            self.data[event.step_id] = event.data  # type: ignore[attr-defined]
        elif kind is StepFailed:
            self.running.discard(event.step_id)  # type: ignore[attr-defined]
            if not event.retrying:  # type: ignore[attr-defined]
                self.failed[event.step_id] = event.error  # type: ignore[attr-defined]

    def ready(self) -> list[Step]:
        """Steps whose dependencies are done and that are not done, running or failed."""
        if self.plan is None:
            return []
        return [
            s
            for s in self.plan.order()
            if s.id not in self.done
            and s.id not in self.running
            and s.id not in self.failed
            and all(d in self.done for d in s.depends_on)
        ]

    def status_lines(self) -> str:
        assert self.plan is not None
        lines = []
        for step in self.plan.steps:
            if step.id in self.done:
                state = f"done: {self.done[step.id][:300]}"
            elif step.id in self.failed:
                state = f"FAILED: {self.failed[step.id][:300]}"
            else:
                state = "not done"
            deps = f" (after {', '.join(step.depends_on)})" if step.depends_on else ""
            lines.append(f"- {step.id} [{step.assignee}]{deps}: {step.description} — {state}")
        return "\n".join(lines)


def _task_text(team: Team) -> str:
    for i in range(len(team.transcript) - 1, -1, -1):
        event = team.transcript[i]
        if isinstance(event, TextMessage) and event.source == USER and not event.scope:
            return event.content
    return ""


def _roles(team: Team) -> str:
    return "\n".join(f"- {p.name}: {p.description}" for p in team.participants)


class _StepFailure(Exception):
    """A step did not produce a usable result; the message says why."""


async def _plan_with_agent(
    team: Team, planner: Agent, prompt: str, queue: asyncio.Queue[Any], kept: tuple[Step, ...] = ()
) -> Plan:
    """Ask the planner agent for a plan; one retry shows it what was wrong with its draft.

    ``kept`` are finished steps a revised plan keeps (its new steps may depend on them).
    """
    thread = Transcript([TextMessage(source=USER, content=prompt)])
    memo = planner.new_context()
    model = team._agent_model(planner)
    problem = ""
    for attempt in range(2):
        if problem:
            feedback = ErrorEvent(
                source=planner.name, content=f"That plan cannot run: {problem}. Write it again."
            )
            thread.append(feedback)
            queue.put_nowait(feedback)
        ctx = TurnContext(model=model, stream_tokens=team.stream_tokens, memo=memo, output_type=PlanDraft)
        reply: TextMessage | None = None
        async with aclosing(planner.turn(thread, ctx)) as turn:
            async for event in turn:
                if event.__class__ is not TokenDelta:
                    thread.append(event)
                if event.__class__ is Stop:
                    raise _StepFailure(event.reason)  # type: ignore[attr-defined]
                queue.put_nowait(event)
                if isinstance(event, TextMessage):
                    reply = event
        if reply is None or reply.data is None:
            raise _StepFailure(f"the planner {planner.name!r} returned no plan")
        try:
            draft = PlanDraft.model_validate(reply.data).to_plan(goal=_task_text(team), kept=kept)
            draft.check_assignees(team.names)
            return draft
        except (PlanError, ValueError) as exc:
            problem = str(exc)
            if attempt == 1:
                raise _StepFailure(f"the planner's plan cannot run: {problem}") from None
    raise AssertionError("unreachable")


def _step_prompt(step: Step, progress: PlanProgress) -> str:
    parts = [f"Your step ({step.id}): {step.description}"]
    if step.depends_on:
        parts.append("Results of the steps it builds on:")
        parts.extend(f"- {dep}: {progress.done.get(dep, '')}" for dep in step.depends_on)
    if step.expected_output is not None:
        parts.append("Reply with the structured result this step asks for.")
    return "\n".join(parts)


def _check(step: Step, message: TextMessage) -> str | None:
    """Why the step's result fails its check, or None."""
    check = step.check
    if check is None:
        return None
    if isinstance(check, str):
        return None if check in message.content else f"the result does not contain {check!r}"
    output_type = step.output_type()
    value = parse_data(output_type, message.data) if output_type is not None else None
    value = value if value is not None else (message.data or message.content)
    verdict = check(value)
    if isinstance(verdict, str):
        return verdict or None
    return None if verdict else f"the result failed the check {getattr(check, '__name__', 'check')}"


async def run_plan(team: Team, progress: PlanProgress) -> AsyncIterator[Event]:
    """Plan (if needed), run the steps, replan on failure; yield every event for the team to record."""
    queue: asyncio.Queue[tuple[str, str, Any]] = asyncio.Queue()
    events: asyncio.Queue[Any] = asyncio.Queue()
    tasks: dict[str, asyncio.Task[None]] = {}
    started_at: dict[str, float] = {}
    task_text = _task_text(team)  # the run's task: read once, not per step

    async def run_step(step: Step, attempt: int) -> None:
        name = step.assignee
        try:
            participant = team.participant(name)
            thread = Transcript(
                [
                    TextMessage(source=USER, content=task_text, step=step.id),
                    TextMessage(source=USER, content=_step_prompt(step, progress), step=step.id),
                ]
            )
            overrides: dict[str, Any] = {"step": step.id}
            if isinstance(participant, Agent):
                overrides["memo"] = participant.new_context()
                overrides["output_type"] = step.output_type()
            reply: TextMessage | None = None
            stopped = ""
            async with aclosing(participant.turn(thread, team.turn_context(name, **overrides))) as turn:
                async for event in turn:
                    if event.step != step.id:
                        event = event.model_copy(update={"step": step.id})
                    if event.__class__ is Stop and not event.scope:
                        stopped = event.reason  # type: ignore[attr-defined]
                        break
                    if event.__class__ is not TokenDelta:
                        thread.append(event)
                    queue.put_nowait(("event", step.id, event))
                    if isinstance(event, TextMessage) and not event.scope and event.source == name:
                        reply = event
            if stopped:
                raise _StepFailure(stopped)
            if reply is None:
                raise _StepFailure(f"{name} gave no answer")
            problem = _check(step, reply)
            if problem:
                raise _StepFailure(problem)
            queue.put_nowait(("done", step.id, reply))
        except asyncio.CancelledError:
            raise
        except (_StepFailure, AgentnbError, ModelError, ValueError) as exc:
            queue.put_nowait(("failed", step.id, str(exc)))
        except Exception as exc:  # a tool or model bug: the step failed, the plan goes on
            queue.put_nowait(("failed", step.id, f"{type(exc).__name__}: {exc}"))

    def replan_prompt(failed: str, error: str) -> str:
        return REPLAN_INSTRUCTIONS.format(
            task=task_text, roles=_roles(team), status=progress.status_lines(), failed=failed, error=error
        )

    async def make_plan(prompt: str, replan: tuple[str, str] | None) -> AsyncIterator[Event]:
        planner = progress.planner
        if isinstance(planner, Plan):
            if replan is None:
                yield PlanCreated(source=team.name, plan=planner)
                return
            step_id, error = replan
            team.finish(
                f"step {step_id!r} failed after {progress.attempts.get(step_id, 1)} attempts and the plan is "
                f"fixed (give the team a planner agent to replan): {error[:300]}"
            )
            return
        done = progress.done
        kept = tuple(s for s in progress.plan.steps if s.id in done) if replan and progress.plan else ()
        task = asyncio.create_task(_plan_with_agent(team, planner, prompt, events, kept))
        try:
            while True:
                getter = asyncio.create_task(events.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                    continue
                getter.cancel()
                while not events.empty():
                    yield events.get_nowait()
                break
            plan = task.result()
        except _StepFailure as exc:
            if replan is None:
                team.finish(f"no plan: {exc}")
            else:
                team.finish(f"gave up: replanning after step {replan[0]!r} failed did not work ({exc})")
            return
        finally:
            if not task.done():
                task.cancel()
        if replan is None:
            yield PlanCreated(source=planner.name, plan=plan)
            return
        yield Replanned(
            source=planner.name,
            plan=plan,
            revision=progress.revision + 1,
            reason=f"step {replan[0]!r} failed: {replan[1][:300]}",
            failed=replan[0],
            kept=[s.id for s in kept],
        )

    try:
        if progress.finished() and not progress.stale:
            team.finish("the plan is already done; give the team a new task")
            return
        if progress.stale or progress.plan is None:
            if not task_text:
                team.finish("plan mode needs a task: run the team with one")
                return
            prompt = PLAN_INSTRUCTIONS.format(task=task_text, roles=_roles(team))
            async for event in make_plan(prompt, None):
                yield event
            if team.should_stop():
                return
        while True:
            if progress.failed and not tasks:
                if progress.revision >= progress.max_replans and not isinstance(progress.planner, Plan):
                    step_id, error = next(iter(progress.failed.items()))
                    team.finish(
                        f"gave up after {plural(progress.revision, 'replan')}: step {step_id!r} kept failing "
                        f"({error[:300]})"
                    )
                    return
                step_id, error = next(iter(progress.failed.items()))
                async for event in make_plan(replan_prompt(step_id, error), (step_id, error)):
                    yield event
                if team.should_stop():
                    return
                continue
            if not team.should_stop() and not progress.failed:
                for step in progress.ready()[: max(0, progress.max_parallel - len(tasks))]:
                    attempt = progress.attempts.get(step.id, 0) + 1
                    yield StepStarted(
                        source=team.name,
                        step_id=step.id,
                        assignee=step.assignee,
                        attempt=attempt,
                        step=step.id,
                    )
                    started_at[step.id] = time.monotonic()
                    tasks[step.id] = asyncio.create_task(run_step(step, attempt))
            if not tasks:
                if progress.finished():
                    team.finish(f"plan finished: {plural(len(progress.done), 'step')} done")
                elif not team.should_stop() and not progress.failed:
                    team.finish("plan stuck: no step can start (check the dependencies)")
                if not progress.failed or team.should_stop():
                    return
                continue
            kind, step_id, payload = await queue.get()
            if kind == "event":
                yield payload
                continue
            tasks.pop(step_id, None)
            step = progress.plan.step(step_id) if progress.plan else None
            duration = time.monotonic() - started_at.pop(step_id, time.monotonic())
            assignee = step.assignee if step else ""
            if kind == "done":
                yield StepFinished(
                    source=team.name,
                    step_id=step_id,
                    assignee=assignee,
                    output=payload.content,
                    data=payload.data,
                    duration=duration,
                    step=step_id,
                )
            else:
                attempt = progress.attempts.get(step_id, 1)
                retrying = attempt <= progress.step_retries and not team.should_stop()
                yield StepFailed(
                    source=team.name,
                    step_id=step_id,
                    assignee=assignee,
                    error=payload,
                    attempt=attempt,
                    retrying=retrying,
                    duration=duration,
                    step=step_id,
                )
    finally:
        for task in tasks.values():
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)
