"""The coder-and-reviewer demo's offline team says what its tool returned, never more.

The sandbox is replaced by a tool that answers as `run_python` does (the same report text),
so each outcome is tried: plotting works, the plotting library is missing, nothing runs.
"""

from __future__ import annotations

import json

from agentnb import Agent, Team, tool
from agentnb.core.events import TextMessage, ToolCall, ToolCalls
from agentnb.core.team import TeamResult
from agentnb.core.tools import ToolOutput
from agentnb.course.coder import Code, coder_and_reviewer

CODE = Code(
    first="import urllib.request\nurllib.request.urlopen('https://example.org/rain.csv')",
    plot="import matplotlib.pyplot as plt\nprint('12 months; wettest: Nov (104 mm)')\nplt.plot()",
    bars="fig, ax = plt.subplots()\nax.bar(months, rain)",
    text_chart="print('wettest: Nov (104 mm)')\nprint('Nov ' + '#' * 10)",
)
IMAGE = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480 with 1 Axes>"}
NO_MATPLOTLIB = "Error: the code raised ModuleNotFoundError: No module named 'matplotlib'"


def refuse_the_web(agent: str, tool_call: ToolCall) -> bool | tuple[bool, str]:
    if "urllib" in json.loads(tool_call.arguments)["code"]:
        return False, "no network in class"
    return True


def sandbox(*, can_plot: bool, can_run: bool = True):
    """A stand-in for run_python: prints what the code prints; plots only when it ``can_plot``."""

    @tool(name="run_python", requires_approval=True)
    def run_python(code: str) -> ToolOutput:
        """Run Python code."""
        if not can_run:
            return ToolOutput("Error: the kernel died while running the code", is_error=True)
        if "plt" in code and not can_plot:
            return ToolOutput(NO_MATPLOTLIB, is_error=True)
        printed = "\n".join(line[7:-2] for line in code.splitlines() if line.startswith("print('"))
        if "plt" in code:
            shown = f"[image/png output shown to the user] {IMAGE['text/plain']}"
            return ToolOutput(f"{printed}\n{shown}".strip(), display=[IMAGE])
        return ToolOutput(printed or "(the code ran and printed nothing)")

    return run_python


def run(**sandbox_options: bool) -> TeamResult:
    coder = Agent("coder", "You write and run Python.", tools=[sandbox(**sandbox_options)])
    reviewer = Agent("reviewer", "You review the coder's results and plots.")
    team = Team(
        [coder, reviewer],
        until="APPROVED",
        max_turns=6,
        approver=refuse_the_web,
        model=coder_and_reviewer(CODE),
    )
    return team.run_sync("Which month was the wettest? Plot the monthly rainfall.")


def said(result: TeamResult, who: str) -> list[str]:
    """What ``who`` wrote, in replies and beside its tool calls."""
    return [
        m.content
        for m in result.messages
        if isinstance(m, TextMessage | ToolCalls) and m.source == who and m.content
    ]


def test_with_a_plot_the_reviewer_asks_for_bars_and_approves_them() -> None:
    result = run(can_plot=True)
    coder, reviewer = said(result, "coder"), said(result, "reviewer")
    assert coder[0].startswith("Fetching from the web did not work (no network in class)")
    assert "November was the wettest month, with 104 mm" in coder[1] and "line plot is above" in coder[1]
    assert "REVISE" in reviewer[0] and "bars" in reviewer[0]
    assert "bar chart above" in coder[2] and reviewer[-1].startswith("APPROVED: the bars")


def test_when_plotting_fails_the_coder_says_so_and_the_reviewer_approves_no_plot() -> None:
    result = run(can_plot=False)
    coder, reviewer = said(result, "coder"), said(result, "reviewer")
    assert "The plot failed: ModuleNotFoundError: No module named 'matplotlib'" in coder[1]
    assert "printed as text" in coder[2] and "November was the wettest month, with 104 mm" in coder[2]
    assert not any("plot is above" in text or "bar chart above" in text for text in coder)
    assert reviewer == [
        "APPROVED: the answer is what the code printed. There is no plot to review: the sandbox could "
        "not draw one (install matplotlib where the code runs to get it)."
    ]


def test_when_nothing_runs_nothing_is_approved() -> None:
    result = run(can_plot=False, can_run=False)
    coder, reviewer = said(result, "coder"), said(result, "reviewer")
    assert "The plot failed: the kernel died" in coder[1]
    assert "tool-call rounds in a row failed" in result.stop_reason  # the run ends there
    assert not any("APPROVED" in text for text in reviewer)
    assert not any("wettest month" in text for text in coder)  # no answer the data did not back
