"""The eval task: run an agentnb team (or agent) on a case, with the run's spans in the case's trace.

pydantic-evals calls a task with a case's inputs and hands what it returns to the
evaluators, together with the OpenTelemetry spans recorded while it ran (``ctx.span_tree``).
`AgentTask` runs a fresh team per case, emits the run's GenAI spans under the case
(`agentnb.trace.otel.emit`), so ``ToolCorrectness``, ``TrajectoryMatch``, ``MaxToolCalls``,
``MaxModelRequests`` and ``HasMatchingSpan`` read agentnb runs as they are, and keeps the
run itself beside the case for agentnb's multi-agent evaluators (`run_of`).

Where a run happens is the backend's business (`Backend`): the default runs it in this event
loop, so pydantic-evals' asyncio concurrency (``max_concurrency``) applies; another backend
may ship the `CaseJob` to a worker process or a cluster and hand back its `TeamResult`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agentnb.core.agent import Agent
from agentnb.core.events import ErrorEvent, SpeakerSelected, TextMessage, ToolCalls
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.evals.facts import run_facts
from agentnb.trace.attributes import capture_from_env

RUN_KEY = "agentnb.run"  # case attribute: the TeamResult (kept in memory, never saved)
FACTS_KEY = "agentnb.facts"  # case attribute: the run's facts as JSON-ready data (saved)
SEED_KEY = "agentnb.seed"  # case attribute: the seed this run got

_tracing = {"owned": False}
_case: ContextVar[int | None] = ContextVar("agentnb_eval_case", default=None)  # id of the case running


def ensure_tracing() -> bool:
    """Make sure spans can be recorded: set an OpenTelemetry SDK tracer provider if none is set.

    pydantic-evals collects a case's spans through the global provider. When the program set
    none, agentnb sets a plain SDK provider with no exporter, so spans go nowhere but the
    evaluators. Returns True when that provider is agentnb's own (then span content may be
    captured: nothing leaves the process). Without ``opentelemetry-sdk`` it returns False
    and the span-reading evaluators fail with a reason that says so.
    """
    if _tracing["owned"]:
        return True
    from opentelemetry import trace as otel_trace

    current = otel_trace.get_tracer_provider()
    if hasattr(current, "add_span_processor"):
        return False
    try:
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        return False
    otel_trace.set_tracer_provider(TracerProvider())
    _tracing["owned"] = otel_trace.get_tracer_provider() is not current
    return _tracing["owned"]


def as_team(made: Any, where: str = "the team") -> Team:
    """A `Team` to run: a team as is, an agent alone in a one-turn team of its own name."""
    if isinstance(made, Team):
        return made
    if isinstance(made, Agent):
        return Team([made], name=made.name, max_turns=1)
    raise TypeError(f"{where} must be a Team or an Agent, got {type(made).__name__} {made!r:.60}")


def takes_seed(factory: Callable[..., Any]) -> bool:
    """Whether a team factory takes the run's seed: it does when it has a positional parameter.

    ``def build(seed=0)`` gets the seed (its default serves calls outside an eval);
    ``def build()`` gets nothing; more than one required parameter is an error.
    """
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if len(required) > 1:
        raise TypeError(
            f"the team factory {getattr(factory, '__name__', factory)!r} takes {len(required)} arguments; "
            "it takes none, or one: the run's seed (0, 1, 2, ... for the repeats of a case)"
        )
    return bool(positional)


def check_subject(subject: Any) -> None:
    """Refuse what cannot be evaluated, and a shared script that would deal cases each other's replies."""
    if isinstance(subject, Team | Agent):
        shared = _shared_script(subject)
        if shared:
            raise ValueError(
                f"{shared} serves its replies in order, so concurrent cases would take each other's "
                "replies; pass a function that builds the team instead, e.g. "
                "evaluate(lambda: Team([...], model=ScriptedModel(script)), dataset)"
            )
        return
    if not callable(subject):
        raise TypeError(
            f"evaluate: expected a Team, an Agent or a function that builds one, got {type(subject).__name__}"
        )
    takes_seed(subject)


def _shared_script(subject: Team | Agent) -> str | None:
    from agentnb.models.scripted import ScriptedModel

    if isinstance(subject, Agent):
        models = [("agent " + repr(subject.name), subject.model)]
    else:
        models = [(f"team {subject.name!r}", subject.model)]
        for p in subject.participants:
            if isinstance(p, Team | Agent):
                inner = _shared_script(p)
                if inner:
                    return inner
    for owner, model in models:
        if isinstance(model, ScriptedModel) and not model.loop:
            return f"the ScriptedModel of {owner}"
    return None


def default_prompt(inputs: Any) -> Any:
    """A case's inputs as a team task: text (or messages) as is, or a dict's ``"task"``."""
    if isinstance(inputs, str | TextMessage):
        return inputs
    if isinstance(inputs, dict) and "task" in inputs:
        return inputs["task"]
    if isinstance(inputs, list) and all(isinstance(i, str | TextMessage) for i in inputs):
        return inputs
    raise TypeError(
        f"a case's inputs must be the task text (or a dict with a 'task' key), got "
        f"{type(inputs).__name__} {inputs!r:.60}; pass prompt=<function of the inputs> to evaluate"
    )


def default_output(result: TeamResult) -> Any:
    """What evaluators compare: the last structured reply if there is one, else the final text."""
    return result.output if result.output is not None else result.final


@dataclass
class CaseJob:
    """One run of one case: build a fresh team from ``subject`` and run it on ``task``.

    A job holds only the subject, the task and the seed, so a backend can send it to
    another process (it pickles when the subject does: a module-level factory function).
    """

    subject: Any
    task: Any
    seed: int = 0

    def team(self) -> Team:
        subject = self.subject
        if isinstance(subject, Team):
            return subject.fork(0)
        if isinstance(subject, Agent):
            return as_team(subject.copy())
        made = subject(self.seed) if takes_seed(subject) else subject()
        return as_team(made, f"what the team factory {getattr(subject, '__name__', 'function')!r} returned")

    async def __call__(self) -> TeamResult:
        return await self.team().run(self.task)


@runtime_checkable
class Backend(Protocol):
    """Where case runs happen. ``run`` takes a `CaseJob` and returns its `TeamResult`.

    Evaluators, spans and the report stay in the calling process; a backend only decides
    where the team runs and how many at once (``max_concurrency``: ``None`` leaves it to
    `evaluate`'s argument). A cluster backend ships the job (``ray.remote`` of a function
    that does ``asyncio.run(job())``), awaits the returned `TeamResult`, and the task emits
    its spans here, under the case. An optional ``prepare(subject)`` is called once, before
    any run: the place to connect, and to refuse a subject it cannot ship.
    """

    max_concurrency: int | None

    async def run(self, job: CaseJob) -> TeamResult: ...


class LocalBackend:
    """Runs each case in this event loop; pydantic-evals bounds how many run at once."""

    max_concurrency: int | None = None

    async def run(self, job: CaseJob) -> TeamResult:
        return await job()

    def __repr__(self) -> str:
        return "LocalBackend()"


MODEL_CALLS = (TextMessage, ToolCalls, ErrorEvent, SpeakerSelected)  # the events of a `chat` span


def record_usage(result: TeamResult) -> None:
    """The metrics pydantic-evals reads from model-call spans (requests, tokens), from the events instead."""
    from pydantic_evals.dataset import increment_eval_metric

    requests = prompt = completion = 0
    for event in result.messages:
        usage = getattr(event, "usage", None)
        if usage is not None and isinstance(event, MODEL_CALLS):
            requests += 1
            prompt += usage.prompt_tokens
            completion += usage.completion_tokens
    increment_eval_metric("requests", requests)
    increment_eval_metric("input_tokens", prompt)
    increment_eval_metric("output_tokens", completion)


class AgentTask:
    """A pydantic-evals task that runs an agentnb team per case (see the module docstring).

    ``subject`` is a `Team` (each run gets a fresh fork), an `Agent` (run alone for one
    turn) or a function that builds either, of no argument or of one: the run's seed (0, 1,
    2, ... for the repeats of a case), so a stochastic model can be seeded per run.
    ``prompt`` turns a case's inputs into the task (default: `default_prompt`), ``output``
    a run into what evaluators compare (default: `default_output`). ``spans=False`` skips
    emitting the run's spans (`evaluate` does when no evaluator may read them: emitting is
    most of a case's cost); the request and token metrics are then counted from the events.
    ``capture_content`` puts tool arguments and message text on the spans
    (``ArgumentCorrectness`` needs them); by default only when the spans stay in this
    process (see `ensure_tracing`).
    """

    def __init__(
        self,
        subject: Any,
        *,
        prompt: Callable[[Any], Any] | None = None,
        output: Callable[[TeamResult], Any] | None = None,
        backend: Backend | None = None,
        capture_content: bool | None = None,
        spans: bool = True,
        name: str | None = None,
    ) -> None:
        check_subject(subject)
        self.subject = subject
        self.prompt = prompt or default_prompt
        self.output = output or default_output
        self.backend = backend or LocalBackend()
        if not isinstance(self.backend, Backend):
            raise TypeError(f"backend: expected an object with an async run(job) method, got {backend!r}")
        prepare = getattr(self.backend, "prepare", None)
        if callable(prepare):
            prepare(subject)
        self.spans = spans
        self.tracing = ensure_tracing() if spans else False
        self.capture_content = (
            (self.tracing or capture_from_env()) if capture_content is None else capture_content
        )
        self.__name__ = name or subject_name(subject)
        self._seeds: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"AgentTask({self.__name__!r}, backend={self.backend!r})"

    def next_seed(self, inputs: Any) -> int:
        """0 for the first run of a case, 1 for the second, ...: repeats get distinct seeds.

        Runs are counted per case (`case_lifecycle` says which case runs; `evaluate` uses it),
        so two cases with the same inputs each get 0, 1, 2, ...; outside it, per inputs.
        """
        case = _case.get()
        key: Any = ("case", case) if case is not None else ("inputs", repr(inputs))
        seed = self._seeds.get(key, 0)
        self._seeds[key] = seed + 1
        return seed

    async def __call__(self, inputs: Any) -> Any:
        from pydantic_evals.dataset import increment_eval_metric, set_eval_attribute

        from agentnb.trace.otel import emit

        seed = self.next_seed(inputs)
        result = await self.backend.run(CaseJob(self.subject, self.prompt(inputs), seed))
        if self.spans:
            emit(result, capture_content=self.capture_content)
        else:
            record_usage(result)
        set_eval_attribute(RUN_KEY, result)
        set_eval_attribute(FACTS_KEY, run_facts(result).to_dict())
        set_eval_attribute(SEED_KEY, seed)
        increment_eval_metric("turns", result.turns)
        return self.output(result)


def case_lifecycle(then: type[Any] | None = None) -> type[Any]:
    """A pydantic-evals case lifecycle telling `AgentTask` which case runs, then ``then``'s hooks.

    pydantic-evals calls a task with the inputs only; the lifecycle's ``setup`` runs in the
    same task just before, so the case it names is the one the next run belongs to.
    """
    from pydantic_evals.lifecycle import CaseLifecycle

    class CaseKnown(then or CaseLifecycle):  # type: ignore[misc]
        async def setup(self) -> None:
            _case.set(id(self.case))
            await super().setup()

    return CaseKnown


def subject_name(subject: Any) -> str:
    """A name for reports: the team's or agent's name, or the factory function's."""
    if isinstance(subject, Team | Agent):
        return subject.name
    name = getattr(subject, "__name__", "")
    return name if name and not name.startswith("<") else "team"


def run_of(ctx: Any) -> TeamResult | None:
    """The agentnb run behind an evaluator context (or a report case), if there is one."""
    found = getattr(ctx, "attributes", {}).get(RUN_KEY)
    if isinstance(found, TeamResult):
        return found
    output = getattr(ctx, "output", None)
    return output if isinstance(output, TeamResult) else None
