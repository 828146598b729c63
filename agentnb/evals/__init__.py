"""Evals for agentnb teams, built on pydantic-evals: ``pip install 'agentnb[evals]'``.

pydantic-evals gives datasets, cases, evaluators, the concurrent runner and reports;
agentnb adds what only it can: a task that runs a team per case with its trace captured
(so span-based evaluators such as ``ToolCorrectness`` read agentnb runs), evaluators for
multi-agent runs, a judge on any agentnb model, repeats with pass rates and confidence
intervals, notebook reports, baselines and comparisons.

    from pydantic_evals import Case, Dataset
    from agentnb.evals import evaluate, SpeakerOrder

    report = await evaluate(team, Dataset(name="maths", cases=[...]), repeat=5)
    report.compare("baseline.json")

Names load on first use, so the notebook layer can register its progress display without
importing pydantic-evals.
"""

import importlib
from typing import Any

INSTALL_HINT = "agentnb.evals builds on pydantic-evals: pip install 'agentnb[evals]'"

_LAZY = {
    "AgentTask": "task",
    "Backend": "task",
    "CaseJob": "task",
    "LocalBackend": "task",
    "run_of": "task",
    "Calibration": "judge",
    "Judge": "judge",
    "JudgeError": "judge",
    "Labelled": "judge",
    "Verdict": "judge",
    "calibrate": "judge",
    "CaseSummary": "cases",
    "EvalReport": "report",
    "load_report": "report",
    "Comparison": "comparison",
    "compare": "comparison",
    "HandoffsTaken": "evaluators",
    "PlanShape": "evaluators",
    "RunEvaluator": "evaluators",
    "SpeakerOrder": "evaluators",
    "StopReason": "evaluators",
    "TokensAtMost": "evaluators",
    "TurnsAtMost": "evaluators",
    "PlanFacts": "facts",
    "RunFacts": "facts",
    "run_facts": "facts",
    "Progress": "progress",
    "TextProgress": "progress",
    "register_display": "progress",
    "Rate": "stats",
    "agreement": "stats",
    "cohens_kappa": "stats",
    "wilson": "stats",
    "evaluate": "run",
    "evaluate_sync": "run",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentnb.evals' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f"agentnb.evals.{module}"), name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("pydantic_evals", "pydantic_ai"):
            raise ImportError(INSTALL_HINT) from None
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
