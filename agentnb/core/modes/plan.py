"""Plan mode: a planner splits the task into steps; independent steps run in parallel.

``modes.Plan(planner=...)`` (or ``Team(..., mode="plan", planner=...)``): the planner is an
`Agent` that returns a `PlanDraft`, or a fixed `Plan`. A step starts as soon as the steps it
depends on are done, at most ``max_parallel`` at a time; its assignee sees the task, the
step and its dependencies' results, not the whole chat. A failed step (an error, an
invalid structured result, a failed check) is tried again ``step_retries`` times; then,
once the running steps are done, the planner **replans** the remaining work — finished
steps are kept. After ``max_replans`` replans the run ends saying which step kept failing.

Progress is a value (`PlanState`) folded from the plan events, so a run stopped part-way
(or rewound into a step) resumes with the steps that were not done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from agentnb.core.errors import AgentnbError, ConfigError
from agentnb.core.events import (
    USER,
    ErrorEvent,
    Event,
    PlanCreated,
    Replanned,
    StepFailed,
    StepFinished,
    StepStarted,
    TextMessage,
)
from agentnb.core.model import ModelError
from agentnb.core.modes import planner as drafts
from agentnb.core.modes.base import Mode, Outcome, RunView, Start
from agentnb.core.plan import Plan, PlanError, Step
from agentnb.core.stop import whole_number
from agentnb.core.transcript import Transcript
from agentnb.core.words import plural

EMPTY: Mapping[str, Any] = {}
REJECTED = "That plan cannot run:"  # how the planner is told its draft was rejected


class PlanState(NamedTuple):
    """A plan run's progress: the plan, and what is done, failed, running (never changed in place)."""

    plan: Plan | None = None
    stale: bool = True  # no plan yet for the newest task
    revision: int = 0
    done: Mapping[str, str] = EMPTY  # step id -> result text
    data: Mapping[str, Any] = EMPTY  # step id -> structured result
    failed: Mapping[str, str] = EMPTY  # step id -> why (after its retries)
    attempts: Mapping[str, int] = EMPTY
    running: frozenset[str] = frozenset()
    feedback: tuple[Event, ...] = ()  # the planner's rejected drafts and what was wrong, this planning

    @property
    def finished(self) -> bool:
        return self.plan is not None and all(s.id in self.done for s in self.plan.steps)


def _with(mapping: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**mapping, key: value}


class PlanMode(Mode):
    """Plan, run the steps (in parallel where they can), replan on failure."""

    name = "plan"
    concurrent = True

    def __init__(
        self, planner: Any = None, *, max_replans: int = 2, step_retries: int = 1, max_parallel: int = 4
    ) -> None:
        if (
            planner is not None
            and not isinstance(planner, Plan)
            and not callable(getattr(planner, "turn", None))
        ):
            raise ConfigError(f"planner: expected an Agent (that plans) or a Plan, got {planner!r}")
        self.planner: Any = planner
        self.max_replans = whole_number(max_replans, "max_replans", 0)
        self.step_retries = whole_number(step_retries, "step_retries", 0)
        self.max_parallel = whole_number(max_parallel, "max_parallel", 1)

    def bind(self, names: Sequence[str], participants: Sequence[Any]) -> None:
        if self.planner is None:
            from agentnb.core.agent import Agent

            self.planner = Agent("planner", drafts.PLANNER_ROLE)
        if isinstance(self.planner, Plan):
            self.planner.check_assignees(names)
        elif self.planner.name in names:
            raise ConfigError(
                f"planner: {self.planner.name!r} is also a participant; give the planner its own agent"
            )

    @property
    def fixed(self) -> bool:
        return isinstance(self.planner, Plan)

    def initial(self) -> PlanState:
        return PlanState()

    def step(self, s: PlanState, event: Event) -> PlanState:
        if event.scope:
            return s
        kind = event.__class__
        if kind is TextMessage and event.source == USER:
            return s._replace(stale=True, feedback=())
        if kind is PlanCreated:
            return PlanState(plan=event.plan, stale=False)  # type: ignore[attr-defined]
        if kind is Replanned:
            kept = set(event.kept)  # type: ignore[attr-defined]
            return s._replace(
                plan=event.plan,  # type: ignore[attr-defined]
                revision=event.revision,  # type: ignore[attr-defined]
                done={k: v for k, v in s.done.items() if k in kept},
                data={k: v for k, v in s.data.items() if k in kept},
                failed=EMPTY,
                attempts={k: v for k, v in s.attempts.items() if k in kept},
                feedback=(),
            )
        if kind is StepStarted:
            step_id = event.step_id  # type: ignore[attr-defined]
            return s._replace(
                running=s.running | {step_id}, attempts=_with(s.attempts, step_id, event.attempt)
            )  # type: ignore[attr-defined]
        if kind is StepFinished:
            step_id = event.step_id  # type: ignore[attr-defined]
            return s._replace(
                running=s.running - {step_id},
                done=_with(s.done, step_id, event.output),  # type: ignore[attr-defined]
                data=_with(s.data, step_id, event.data),  # type: ignore[attr-defined]
            )
        if kind is StepFailed:
            step_id = event.step_id  # type: ignore[attr-defined]
            failed = s.failed if event.retrying else _with(s.failed, step_id, event.error)  # type: ignore[attr-defined]
            return s._replace(running=s.running - {step_id}, failed=failed)
        if (
            not self.fixed
            and event.source == self.planner.name
            and kind in (TextMessage, ErrorEvent)
            and not event.step
        ):
            return s._replace(feedback=(*s.feedback, event))
        return s

    def peek(self, s: PlanState, names: Sequence[str]) -> tuple[str, ...]:
        if s.stale or s.plan is None:
            return (self.planner.name,) if not self.fixed else ()
        return tuple(dict.fromkeys(step.assignee for step in self._ready(s, ())))

    def _ready(self, s: PlanState, in_flight: Any) -> list[Step]:
        """Steps whose dependencies are done and that are neither done, failed nor in flight
        (a step marked running but not in flight was cut off: it starts again)."""
        if s.plan is None:
            return []
        done, failed = s.done, s.failed
        return [
            step
            for step in s.plan.order()
            if step.id not in done
            and step.id not in failed
            and step.id not in in_flight
            and all(d in done for d in step.depends_on)
        ]

    async def next(self, run: RunView) -> list[Start | Event]:
        s: PlanState = run.mode_state
        in_flight = run.in_flight
        if s.stale or s.plan is None:
            if in_flight:
                return []
            if not run.task():
                run.finish("plan mode needs a task: run the team with one")
                return []
            if self.fixed:
                return [PlanCreated(source=run.team_name, plan=self.planner)]
            return [self._planning(run, s, None)]
        if s.finished:
            return []
        if s.failed:
            if in_flight:
                return []  # replan once the running steps are done
            step_id, error = next(iter(s.failed.items()))
            if self.fixed:
                run.finish(
                    f"step {step_id!r} failed after {plural(s.attempts.get(step_id, 1), 'attempt')} and "
                    f"the plan is fixed (give the team a planner agent to replan): {error[:300]}"
                )
                return []
            if s.revision >= self.max_replans:
                run.finish(
                    f"gave up after {plural(s.revision, 'replan')}: step {step_id!r} kept failing "
                    f"({error[:300]})"
                )
                return []
            return [self._planning(run, s, (step_id, error))]
        room = self.max_parallel - len(in_flight)
        return [self._step(run, s, step) for step in self._ready(s, in_flight)[: max(0, room)]]

    def _planning(self, run: RunView, s: PlanState, failure: tuple[str, str] | None) -> Start:
        """A turn of the planner: a first plan, or a revision after ``failure`` (step, error)."""
        participants = run.participants()
        if failure is None:
            prompt = drafts.PLAN_INSTRUCTIONS.format(task=run.task(), roles=drafts.roles(participants))
        else:
            assert s.plan is not None
            prompt = drafts.REPLAN_INSTRUCTIONS.format(
                task=run.task(),
                roles=drafts.roles(participants),
                status=drafts.status_lines(s.plan, s.done, s.failed),
                failed=failure[0],
                error=failure[1],
            )
        thread = Transcript([TextMessage(source=USER, content=prompt), *s.feedback])
        return Start(
            key="planner",
            participant=self.planner,
            thread=thread,
            memo=self.planner.new_context(),
            output_type=drafts.PlanDraft,
            tag=failure,
        )

    def _step(self, run: RunView, s: PlanState, step: Step) -> Start:
        attempt = s.attempts.get(step.id, 0) + 1
        participant = run.participant(step.assignee)
        thread = Transcript(
            [
                TextMessage(source=USER, content=run.task(), step=step.id),
                TextMessage(source=USER, content=drafts.step_prompt(step, s.done), step=step.id),
            ]
        )
        new_context = getattr(participant, "new_context", None)
        return Start(
            key=step.id,
            participant=participant,
            announce=StepStarted(
                source=run.team_name, step_id=step.id, assignee=step.assignee, attempt=attempt, step=step.id
            ),
            thread=thread,
            memo=new_context() if new_context is not None else None,
            step=step.id,
            output_type=step.output_type(),
            tag=step,
        )

    def after(self, run: RunView, start: Start, outcome: Outcome) -> list[Event]:
        if start.key == "planner":
            return self._planned(run, start, outcome)
        return [self._step_outcome(run, start.tag, outcome)]

    def _planned(self, run: RunView, start: Start, outcome: Outcome) -> list[Event]:
        s: PlanState = run.mode_state
        failure: tuple[str, str] | None = start.tag
        problem = _failure(outcome.error) if outcome.error is not None else outcome.stopped
        plan = None
        if not problem:
            kept = tuple(step for step in s.plan.steps if step.id in s.done) if failure and s.plan else ()
            try:
                data = outcome.reply.data if outcome.reply is not None else None
                plan = drafts.plan_from_draft(data, run.task(), run.names, kept)
            except (PlanError, ValueError) as exc:
                if not any(_rejection(e) for e in s.feedback):  # one retry, shown what was wrong
                    name = self.planner.name
                    return [ErrorEvent(source=name, content=f"{REJECTED} {exc}. Write it again.")]
                problem = f"the planner's plan cannot run: {exc}"
        if plan is None:
            if failure is None:
                run.finish(f"no plan: {problem}")
            else:
                run.finish(f"gave up: replanning after step {failure[0]!r} failed did not work ({problem})")
            return []
        if failure is None:
            return [PlanCreated(source=self.planner.name, plan=plan)]
        return [
            Replanned(
                source=self.planner.name,
                plan=plan,
                revision=s.revision + 1,
                reason=f"step {failure[0]!r} failed: {failure[1][:300]}",
                failed=failure[0],
                kept=tuple(step.id for step in plan.steps if step.id in s.done),
            )
        ]

    def _step_outcome(self, run: RunView, step: Step, outcome: Outcome) -> Event:
        s: PlanState = run.mode_state
        reply = outcome.reply
        if outcome.error is not None:
            problem = _failure(outcome.error)
        elif outcome.stopped:
            problem = outcome.stopped
        elif reply is None:
            problem = f"{step.assignee} gave no answer"
        else:
            problem = drafts.check_result(step, reply.content, reply.data) or ""
        common = {"source": run.team_name, "step_id": step.id, "assignee": step.assignee, "step": step.id}
        if not problem and reply is not None:
            return StepFinished(**common, output=reply.content, data=reply.data, duration=outcome.duration)
        attempt = s.attempts.get(step.id, 1)
        retrying = attempt <= self.step_retries and not run.stopping
        return StepFailed(
            **common, error=problem, attempt=attempt, retrying=retrying, duration=outcome.duration
        )

    def done(self, s: PlanState, ran: bool) -> str:
        if s.finished:
            if not ran:
                return "the plan is already done; give the team a new task"
            return f"plan finished: {plural(len(s.done), 'step')} done"
        return "plan stuck: no step can start (check the dependencies)"

    def describe(self) -> str:
        planner = "a fixed plan" if self.fixed else repr(self.planner)
        return f"Plan({planner})"


def _rejection(event: Event) -> bool:
    return event.__class__ is ErrorEvent and event.content.startswith(REJECTED)  # type: ignore[attr-defined]


def _failure(error: BaseException) -> str:
    """A step's (or the planner's) error as the reason it failed."""
    if isinstance(error, AgentnbError | ModelError | ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"
