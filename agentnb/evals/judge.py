"""An LLM judge on any agentnb model, and how well it agrees with hand labels.

`Judge` is a pydantic-evals evaluator: an agentnb `Agent` with the rubric reads the case
(task, answer, and the expected answer if asked) and replies with a structured `Verdict`
(passed, reason). Any model works — a live one, the embedded ``local`` model, or a scripted
or function model, so a class can run a judged eval offline. Before trusting a judge,
`calibrate` it: grade answers you labelled by hand and read the agreement and Cohen's kappa.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from pydantic_evals.evaluators import EvaluationReason, Evaluator, EvaluatorContext

from agentnb.core.agent import Agent
from agentnb.core.plugins import Readable
from agentnb.core.team import Team
from agentnb.core.words import short
from agentnb.evals.stats import agreement, cohens_kappa

JUDGE_ROLE = (
    "You are a strict, fair grader. You read a task, an answer and a rubric, and decide whether the "
    "answer meets the rubric. Judge only what the rubric asks. Reply with a verdict: passed (true or "
    "false) and a one-sentence reason."
)


class Verdict(BaseModel):
    """A judge's decision on one answer."""

    passed: bool = Field(description="true when the answer meets the rubric")
    reason: str = Field(description="one sentence: why")


class JudgeError(Exception):
    """The judge's model gave no usable verdict; the message says what it sent."""


def as_text(value: Any) -> str:
    """What the judge reads for a value: text as is, structured data as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def model_label(model: Any) -> str | None:
    """A model as the judge's settings show it: a spec string, or the model's name."""
    if model is None or isinstance(model, str):
        return model
    return getattr(model, "name", type(model).__name__)


@dataclass(repr=False)
class Judge(Evaluator[Any, Any, Any]):
    """Grades a case's output against ``rubric`` with an agentnb model (see the module docstring).

    ``model`` is a model or a spec string (``"local"``, ``"openai:gpt-4o-mini"``, ...; ``None``:
    the default model). ``include_input`` shows the judge the case's task, ``include_expected``
    its expected output. In a report the verdict is an assertion named ``evaluation_name``
    (default ``Judge``), with the judge's reason.
    """

    rubric: str
    model: Any = None
    include_input: bool = True
    include_expected: bool = False
    evaluation_name: str | None = field(default=None, kw_only=True)

    def get_default_evaluation_name(self) -> str:
        return self.evaluation_name or self.get_serialization_name()

    def build_serialization_arguments(self) -> dict[str, Any]:
        """Settings as saved in reports and dataset files: the model by its spec or name."""
        arguments = super().build_serialization_arguments()
        if "model" in arguments:
            arguments["model"] = model_label(self.model)
        return arguments

    async def evaluate(self, ctx: EvaluatorContext[Any, Any, Any]) -> EvaluationReason:
        verdict = await self.grade(
            ctx.output,
            inputs=ctx.inputs if self.include_input else None,
            expected=ctx.expected_output if self.include_expected else None,
        )
        return EvaluationReason(value=verdict.passed, reason=verdict.reason)

    def prompt(self, output: Any, *, inputs: Any = None, expected: Any = None) -> str:
        """The message the judge's model reads."""
        parts = [f"Rubric: {self.rubric}"]
        if inputs is not None:
            parts.append(f"Task:\n{as_text(inputs)}")
        if expected is not None:
            parts.append(f"Expected answer:\n{as_text(expected)}")
        parts.append(f"Answer to grade:\n{as_text(output)}")
        return "\n\n".join(parts)

    async def grade(self, output: Any, *, inputs: Any = None, expected: Any = None) -> Verdict:
        """The judge's verdict on one answer."""
        judge = Agent("judge", JUDGE_ROLE, model=self.model, output_type=Verdict)
        result = await Team([judge], name="judge", max_turns=1).run(
            self.prompt(output, inputs=inputs, expected=expected)
        )
        if not isinstance(result.output, Verdict):
            raise JudgeError(
                f"the judge's model replied without a verdict: {short(result.final or '', 200)!r}"
            )
        return result.output


@dataclass(frozen=True)
class Labelled:
    """An answer you graded by hand: ``passed`` is your label."""

    output: Any
    passed: bool
    inputs: Any = None
    expected: Any = None


def as_labelled(example: Any) -> Labelled:
    """A `Labelled`, from itself, an ``(output, passed)`` pair or a dict with ``output`` and ``passed``."""
    if isinstance(example, Labelled):
        return example
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], bool):
        return Labelled(example[0], example[1])
    if isinstance(example, dict) and "output" in example and isinstance(example.get("passed"), bool):
        return Labelled(example["output"], example["passed"], example.get("inputs"), example.get("expected"))
    raise TypeError(
        f"a hand-labelled example is (output, passed), a dict with 'output' and 'passed' (True/False), "
        f"or Labelled(output, passed); got {example!r:.80}"
    )


def kappa_words(kappa: float) -> str:
    """Landis and Koch's words for a kappa: how far beyond chance the agreement is."""
    for limit, words in ((0.0, "no better than chance"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate")):
        if kappa <= limit:
            return words
    return "substantial" if kappa <= 0.8 else "almost perfect"


class Calibration(Readable):
    """How a judge's verdicts compare with hand labels: agreement, Cohen's kappa, the disagreements."""

    def __init__(self, judge: Judge, examples: Sequence[Labelled], verdicts: Sequence[Verdict]) -> None:
        self.judge = judge
        self.examples = list(examples)
        self.verdicts = list(verdicts)
        self.human = [e.passed for e in self.examples]
        self.judged = [v.passed for v in self.verdicts]
        self.agreement = agreement(self.human, self.judged)
        self.kappa = cohens_kappa(self.human, self.judged)

    @property
    def confusion(self) -> dict[tuple[bool, bool], int]:
        """Counts of (hand label, judge's verdict) pairs."""
        pairs = list(zip(self.human, self.judged, strict=True))
        return {(h, j): pairs.count((h, j)) for h in (True, False) for j in (True, False)}

    @property
    def disagreements(self) -> list[tuple[Labelled, Verdict]]:
        return [(e, v) for e, v in zip(self.examples, self.verdicts, strict=True) if e.passed != v.passed]

    def __repr__(self) -> str:
        n = len(self.examples)
        return f"Calibration(examples={n}, agreement={self.agreement:.2f}, kappa={self.kappa:.2f})"


async def calibrate(judge: Judge, examples: Iterable[Any], *, max_concurrency: int = 8) -> Calibration:
    """Grade hand-labelled answers with ``judge`` and measure how well it agrees with you."""
    if not isinstance(judge, Judge):
        raise TypeError(f"calibrate: expected a Judge, got {type(judge).__name__}")
    if not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool) or max_concurrency < 1:
        raise ValueError(f"calibrate: max_concurrency must be a whole number >= 1, got {max_concurrency!r}")
    labelled = [as_labelled(e) for e in examples]
    if not labelled:
        raise ValueError("calibrate: give at least one hand-labelled example")
    limit = asyncio.Semaphore(max_concurrency)

    async def grade(example: Labelled) -> Verdict:
        async with limit:
            return await judge.grade(
                example.output,
                inputs=example.inputs if judge.include_input else None,
                expected=example.expected if judge.include_expected else None,
            )

    verdicts = await asyncio.gather(*(grade(e) for e in labelled))
    return Calibration(judge, labelled, verdicts)
