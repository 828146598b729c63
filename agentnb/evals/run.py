"""`evaluate`: score an agentnb team on a pydantic-evals dataset, each case several times.

pydantic-evals runs the cases concurrently, calls the evaluators and builds the report;
this adds what an agentnb eval needs around it: a fresh team per run with its trace
captured (`AgentTask`), repeats by default (one run of a stochastic team proves little),
a progress bar, and an `EvalReport` that reads the repeats as pass rates with intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import (
    Contains,
    Equals,
    EqualsExpected,
    Evaluator,
    IsInstance,
    LLMJudge,
    MaxDuration,
)

from agentnb.core.result import PendingRun, TeamResult
from agentnb.core.servers import check_spec_from_file
from agentnb.core.sync import run_to_end
from agentnb.evals.evaluators import EVALUATORS
from agentnb.evals.judge import Judge
from agentnb.evals.progress import Progress, choose, lifecycle
from agentnb.evals.report import EvalReport
from agentnb.evals.task import AgentTask, Backend, case_lifecycle

DEFAULT_REPEAT = 5
DEFAULT_CONCURRENCY = 10


class PendingEval(PendingRun):
    """What `evaluate` returns: an eval to ``await``; shown un-awaited, it says so."""

    def hint(self) -> str:
        return (
            "This eval has not started: write `report = await evaluate(...)` in a notebook or async "
            "code, or call `evaluate_sync(...)` anywhere."
        )


def needs_spans(evaluators: Any) -> bool:
    """Whether any evaluator may read the span tree: any one not known to leave it alone may.

    Known: pydantic-evals' evaluators of outputs and agentnb's own (exact classes: a
    subclass may read anything).
    """
    spanless = {Contains, Equals, EqualsExpected, IsInstance, LLMJudge, MaxDuration, Judge, *EVALUATORS}
    return any(type(e) not in spanless for e in evaluators)


def as_dataset(
    dataset: Any, evaluators: Sequence[Evaluator[Any, Any, Any]] = (), *, allow_servers: Sequence[str] = ()
) -> Dataset[Any, Any, Any]:
    """A pydantic-evals `Dataset` from a dataset, a YAML/JSON file or a list of cases, plus ``evaluators``.

    A file's `Judge` naming a model server is refused unless that server is in ``allow_servers``
    (see `agentnb.core.servers.check_spec_from_file`): a dataset is data, not a choice of server.
    """
    if isinstance(dataset, str | Path):
        path = Path(dataset)
        if not path.exists():
            raise FileNotFoundError(f"no dataset file {path} (a pydantic-evals dataset in YAML or JSON)")
        dataset = Dataset[Any, Any, Any].from_file(path, custom_evaluator_types=[*EVALUATORS, Judge])
        judges = [*dataset.evaluators, *(e for case in dataset.cases for e in case.evaluators)]
        for judge in judges:
            if isinstance(judge, Judge):
                check_spec_from_file(judge.model, path, allow=allow_servers)
    elif isinstance(dataset, Sequence) and dataset and all(isinstance(c, Case) for c in dataset):
        dataset = Dataset[Any, Any, Any](name="cases", cases=list(dataset))
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"dataset: expected a pydantic-evals Dataset, a list of Case objects or a dataset file, "
            f"got {type(dataset).__name__}"
        )
    for evaluator in evaluators:
        if not isinstance(evaluator, Evaluator):
            raise TypeError(f"evaluators: {evaluator!r} is not a pydantic-evals Evaluator")
    if not evaluators:
        return dataset
    return Dataset[Any, Any, Any](
        name=dataset.name,
        cases=dataset.cases,
        evaluators=[*dataset.evaluators, *evaluators],
        report_evaluators=dataset.report_evaluators,
    )


def _check_count(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what}: expected a whole number >= 1, got {value!r}")
    return value


def _prepare(
    subject: Any,
    dataset: Any,
    *,
    evaluators: Sequence[Evaluator[Any, Any, Any]],
    repeat: int,
    max_concurrency: int | None,
    name: str | None,
    prompt: Callable[[Any], Any] | None,
    output: Callable[[TeamResult], Any] | None,
    progress: bool | str | Progress,
    backend: Backend | None,
    capture_content: bool | None,
    spans: bool | None,
    metadata: Mapping[str, Any] | None,
    allow_servers: Sequence[str],
) -> Callable[[], Coroutine[Any, Any, EvalReport]]:
    """Check every argument now (so a mistake shows at once, awaited or not) and return the run."""
    repeat = _check_count(repeat, "repeat")
    if max_concurrency is not None:
        _check_count(max_concurrency, "max_concurrency")
    data = as_dataset(dataset, evaluators, allow_servers=allow_servers)
    if not data.cases:
        raise ValueError(f"dataset {data.name!r} has no cases")
    if spans is None:
        spans = needs_spans([*data.evaluators, *(e for case in data.cases for e in case.evaluators)])
    task = AgentTask(
        subject, prompt=prompt, output=output, backend=backend, capture_content=capture_content, spans=spans
    )
    concurrency = max_concurrency if max_concurrency is not None else task.backend.max_concurrency
    concurrency = _check_count(DEFAULT_CONCURRENCY if concurrency is None else concurrency, "max_concurrency")
    label = name or task.__name__
    shown = choose(progress)
    order = [case.name or f"Case {i}" for i, case in enumerate(data.cases, 1)]

    async def run() -> EvalReport:
        if shown is not None:
            runs = f"{len(order)} case{'s' if len(order) != 1 else ''} × {repeat}"
            shown.start(f"Evaluating {label} on {data.name} ({runs})", len(order) * repeat)
        try:
            report = await data.evaluate(
                task,
                name=label,
                task_name=task.__name__,
                max_concurrency=concurrency,
                progress=False,
                repeat=repeat,
                metadata=dict(metadata) if metadata is not None else None,
                lifecycle=case_lifecycle(lifecycle(shown) if shown is not None else None),
            )
        finally:
            if shown is not None:
                shown.finish()
        return EvalReport(report, repeat=repeat, order=order)

    return run


def evaluate(
    subject: Any,
    dataset: Any,
    *,
    evaluators: Sequence[Evaluator[Any, Any, Any]] = (),
    repeat: int = DEFAULT_REPEAT,
    max_concurrency: int | None = None,
    name: str | None = None,
    prompt: Callable[[Any], Any] | None = None,
    output: Callable[[TeamResult], Any] | None = None,
    progress: bool | str | Progress = "auto",
    backend: Backend | None = None,
    capture_content: bool | None = None,
    spans: bool | None = None,
    metadata: Mapping[str, Any] | None = None,
    allow_servers: Sequence[str] = (),
) -> PendingEval:
    """Run ``subject`` on every case of ``dataset`` ``repeat`` times and score each run; await it.

    ``subject`` is a `Team`, an `Agent`, or a function that builds one (taking nothing, or the
    run's seed: 0, 1, 2, ... across a case's repeats). ``dataset`` is a pydantic-evals
    `Dataset`, a list of `Case` objects or a dataset file; ``evaluators`` are added to its own.
    ``max_concurrency`` runs at most that many cases at once (default 10, or the backend's);
    ``backend`` decides where runs happen (default: this event loop). ``name`` names the
    report (default: the team's). ``prompt`` turns a case's inputs into the task, ``output``
    a `TeamResult` into what evaluators compare (default: the structured output, else the
    final text). ``progress``: ``"auto"`` shows a bar where someone watches, True always,
    False never. ``spans``: emit each run's OpenTelemetry spans for span-reading evaluators
    (default: when any evaluator may read them). ``allow_servers`` confirms model servers
    a dataset file's judges name (refused otherwise). Returns an `EvalReport`.
    """
    run = _prepare(
        subject,
        dataset,
        evaluators=evaluators,
        repeat=repeat,
        max_concurrency=max_concurrency,
        name=name,
        prompt=prompt,
        output=output,
        progress=progress,
        backend=backend,
        capture_content=capture_content,
        spans=spans,
        metadata=metadata,
        allow_servers=allow_servers,
    )
    return PendingEval(run(), name or "eval")


def evaluate_sync(subject: Any, dataset: Any, **options: Any) -> EvalReport:
    """`evaluate` from synchronous code: a script, or a notebook cell without ``await``.

    Takes the same options as `evaluate`.
    """
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise TypeError(
            f"evaluate_sync: unknown option {unknown[0]!r}; the options are {', '.join(_DEFAULTS)}"
        )
    run = _prepare(subject, dataset, **{**_DEFAULTS, **options})
    return run_to_end(run, lambda: None)


_DEFAULTS: dict[str, Any] = {
    "evaluators": (),
    "repeat": DEFAULT_REPEAT,
    "max_concurrency": None,
    "name": None,
    "prompt": None,
    "output": None,
    "progress": "auto",
    "backend": None,
    "capture_content": None,
    "spans": None,
    "metadata": None,
    "allow_servers": (),
}
