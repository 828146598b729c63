"""The coder-and-reviewer demo's offline team: each reply follows what ``run_python`` returned.

A fixed script says "the plot is above" whether or not a plot was drawn, and a reviewer that
approves it praises a plot nobody saw: exactly what students should learn to catch. This
stand-in plays both agents from what their requests hold, as a careful model would. The coder
reads each run's result in its own context: a refusal makes it try the local file, a failed
run makes it say so and fall back to a chart printed as text, and its answer quotes what the
code printed. The reviewer reads the coder's reports: it asks for bars after a line plot,
approves a bar chart it was told was drawn, and when no plot was drawn it says so and judges
the answer only. Give `coder_and_reviewer` the code the coder runs at each step.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from typing import Any

from agentnb.core.model import ChatMessage, ModelRequest
from agentnb.models.scripted import FunctionModel, call

TOOL = "run_python"
SHOWN = re.compile(r"\[image/[\w+.-]+ output shown to the user\]")  # how run_python reports a plot
WETTEST = re.compile(r"wettest: (\w+) \((\d+(?:\.\d+)?) mm\)")
LINE_PLOT = "The line plot is above."
BARS_DRAWN = "Done: the bar chart above has a title and the unit on the y axis."
TEXT_CHART = "The sandbox could not draw a plot, so the chart above is printed as text."
NO_PLOT = "No plot was drawn."


@dataclass(frozen=True)
class Code:
    """What the coder runs: ``first`` (fetches from the web: an approver refuses it), ``plot`` (reads
    the file, prints the wettest month, plots a line), ``bars`` (what the reviewer asks for) and
    ``text_chart`` (the chart as text, when plotting fails)."""

    first: str
    plot: str
    bars: str
    text_chart: str


def coder_and_reviewer(code: Code) -> FunctionModel:
    """A model for agents named ``coder`` and ``reviewer`` whose replies follow the tool's results."""

    def reply(request: ModelRequest) -> Any:
        if request.agent == "reviewer":
            return review(request.messages)
        return code_step(request.messages, code)

    return FunctionModel(reply, name="function:coder_and_reviewer")


def runs(messages: list[ChatMessage]) -> list[tuple[str, str]]:
    """(code, result) of each ``run_python`` call in the coder's context, in order."""
    sent: dict[str, str] = {}
    found = []
    for message in messages:
        for tool_call in message.get("tool_calls") or ():
            arguments = json.loads(tool_call["function"]["arguments"] or "{}")
            sent[tool_call["id"]] = arguments.get("code", "")
        if message["role"] == "tool":
            found.append((sent.get(message["tool_call_id"], ""), str(message["content"])))
    return found


def failed(result: str) -> bool:
    """Whether a run failed or was refused (its result then says why)."""
    return result.startswith("Error") or refusal(result) is not None


def refusal(result: str) -> str | None:
    """Why the call was refused (the approver's words when it gave any), or None if it was not."""
    if " rejected the call " not in result.split("\n", 1)[0]:
        return None
    _, said, reason = result.partition("They said: ")
    return reason.strip() or "refused" if said else "refused"


def first_line(result: str) -> str:
    """The line that says what went wrong (or what was printed first)."""
    line = result.removeprefix("Error: ").splitlines()[0] if result.strip() else "nothing"
    return line.removeprefix("the code raised ")


def code_step(messages: list[ChatMessage], code: Code) -> Any:
    """The coder's next reply, from its latest run's result or the reviewer's latest note."""
    done = runs(messages)
    if not done:
        return call(TOOL, code=code.first)
    last = messages[-1]
    if last.get("name") == "reviewer":  # a new note: act on it
        note = str(last.get("content", ""))
        plotted = any(ran in (code.plot, code.bars) and SHOWN.search(result) for ran, result in done)
        if "REVISE" in note and plotted and not any(ran == code.bars for ran, _ in done):
            return call(TOOL, code=code.bars)
        return "Nothing to add: the answer and what the code printed are above."
    ran, result = done[-1]
    if ran == code.first:
        why = refusal(result) or (first_line(result) if failed(result) else "it ran")
        return {"text": f"Fetching from the web did not work ({why}). Reading rainfall.csv instead.",
                "calls": [call(TOOL, code=code.plot)]}  # fmt: skip
    if failed(result):
        if ran == code.text_chart:
            return f"That failed too ({first_line(result)}), so I have no answer that the data backs."
        return {"text": f"The plot failed: {first_line(result)}. I will print the chart as text instead.",
                "calls": [call(TOOL, code=code.text_chart)]}  # fmt: skip
    answer = wettest(done)
    if ran == code.text_chart:
        return f"{answer} {TEXT_CHART}"
    if not SHOWN.search(result):
        return f"{answer} {NO_PLOT}"
    return BARS_DRAWN if ran == code.bars else f"{answer} {LINE_PLOT}"


def wettest(done: list[tuple[str, str]]) -> str:
    """The answer, from what the code printed (not from the task)."""
    for _, result in reversed(done):
        found = WETTEST.search(result)
        if found and not failed(result):
            month, rain = found.groups()
            names = {abbr: name for abbr, name in zip(calendar.month_abbr, calendar.month_name, strict=True)}
            return f"{names.get(month, month)} was the wettest month, with {rain} mm (the code printed it)."
    return "The code did not print which month was the wettest."


def review(messages: list[ChatMessage]) -> str:
    """The reviewer's verdict on the coder's latest report: it approves only what was reported drawn."""
    report = next((str(m.get("content", "")) for m in reversed(messages) if m.get("name") == "coder"), "")
    if BARS_DRAWN in report:
        return "APPROVED: the bars make the wettest month stand out, and the axis says mm."
    if LINE_PLOT in report:
        return (
            "Rain per month is an amount per period, so bars read better than a line. Add a title, "
            "and the unit (mm) on the y axis. REVISE"
        )
    if TEXT_CHART in report and "(the code printed it)" in report:
        return (
            "APPROVED: the answer is what the code printed. There is no plot to review: the sandbox "
            "could not draw one (install matplotlib where the code runs to get it)."
        )
    return (
        "REVISE: nothing the code printed backs an answer yet. Run the code again and report what it printed."
    )
