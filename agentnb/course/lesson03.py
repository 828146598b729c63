"""Lesson 03's exercises (tools and structure): graded by calling tools and reading runs.

03.1 offers the student's tool to a scripted agent that sends it good and bad arguments and
reads what came back, 03.2 reads whether the look-ups of a run overlapped in its trace, and
03.3 reads which agent followed each of the checker's verdicts.
"""

from __future__ import annotations

from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.events import SpeakerSelected, TextMessage, ToolCalls, ToolResult
from agentnb.core.team import Team
from agentnb.core.tools import Tool
from agentnb.course.checks import exercise
from agentnb.course.lesson02 import result_of
from agentnb.course.quiz import question, right, wrong
from agentnb.models.scripted import ScriptedModel, call
from agentnb.trace.spans import TOOL

PARAMETERS = ("city", "days", "units")
BAD_CALLS = [  # (arguments a careless model sends, why the tool must refuse them)
    ({"city": "Riverside", "days": 30}, "30 days (the desk forecasts 1 to 7)"),
    ({"city": "Riverside", "days": 0}, "0 days"),
    ({"city": "Riverside", "units": "kelvin"}, "units 'kelvin' (metric or imperial only)"),
    ({"days": 2}, "no city at all"),
]
GOOD_CALLS = [{"city": "Riverside"}, {"city": "Riverside", "days": 7, "units": "imperial"}]


def _results(forecast: Tool, calls: list[dict[str, Any]]) -> list[ToolResult]:
    """What an agent that sends ``calls`` to the tool gets back, one result per call."""
    script = ScriptedModel({"desk": [call(forecast.name, **arguments) for arguments in calls] + ["done"]})
    desk = Agent("desk", tools=[forecast], max_failures=len(calls) + 1, max_tool_iterations=len(calls))
    result = Team([desk], max_turns=1, model=script).run_sync("the weather")
    return [e for e in result.messages if isinstance(e, ToolResult)]


@exercise(
    "03.1",
    "describe your tool",
    expects="your forecast tool (a Tool, made with @tool)",
    right=(
        "its types and descriptions let good calls through, and agentnb refused each bad call before "
        "your function ran, telling the model why."
    ),
)
def describe_your_tool(answer: Any) -> str | None:
    if not isinstance(answer, Tool):
        if callable(answer):
            return "that is a plain function: decorate it with @tool, so agentnb reads its schema."
        raise TypeError(f"got {type(answer).__name__}")
    properties = answer.schema["function"]["parameters"].get("properties", {})
    missing = [p for p in PARAMETERS if p not in properties]
    if missing:
        return f"the tool has no parameter {missing[0]!r}: keep city, days and units."
    for name in PARAMETERS:
        schema = properties[name]
        if not any(k in schema for k in ("type", "enum", "anyOf", "$ref", "const")):
            return (
                f"the schema says nothing about what {name!r} is, so a model may send anything: give it a "
                "type hint."
            )
        if not schema.get("description"):
            return (
                f"{name!r} has no description: a model only knows what the schema tells it. Describe it "
                "with Annotated[type, 'what it is'] (or an Args: section in the docstring)."
            )
    bad = _results(answer, [arguments for arguments, _ in BAD_CALLS])
    for (_, why), result in zip(BAD_CALLS, bad, strict=True):
        if not result.is_error:
            return (
                f"a model asked for {why}, and your function ran with it ({result.content[:80]!r}). Say in "
                "the type what is allowed (Literal[...] for a few choices, Annotated[int, Field(ge=..., "
                "le=...)] for a range, no default for what is required): then agentnb refuses the call "
                "and the model reads why."
            )
    for arguments, result in zip(GOOD_CALLS, _results(answer, GOOD_CALLS), strict=True):
        if result.is_error:
            return f"a good call, {answer.name}({arguments}), failed: {result.content[:200]}"
    return None


@exercise(
    "03.2",
    "fan out",
    expects="the result of the researcher's run (a TeamResult)",
    right=(
        "the three look-ups came in one reply and ran at the same time: their spans overlap in the trace."
    ),
)
def fan_out(answer: Any) -> str | None:
    result = result_of(answer)
    replies = [
        e for e in result.messages if isinstance(e, ToolCalls) and any(c.name == "look_up" for c in e.calls)
    ]
    topics = {c.arguments for e in replies for c in e.calls if c.name == "look_up"}
    if len(topics) < 3:
        return f"the researcher looked up {len(topics)} different topic(s): look up three."
    widest = max(len([c for c in e.calls if c.name == "look_up"]) for e in replies)
    if widest < 3:
        return (
            f"the look-ups came in {len(replies)} replies, so they ran one after another and the researcher "
            f"made {len(replies) + 1} model calls. Ask for all three in one reply ({{'calls': [call(...), "
            "...]}}): agentnb runs the calls of one reply at the same time."
        )
    spans = [s for s in result.trace().find(TOOL) if s.label == "look_up" and s.end is not None]
    if len(spans) < 3 or max(s.start for s in spans) >= min(s.end for s in spans):  # type: ignore[type-var]
        return (
            "the look-ups were asked for in one reply, but in the trace each one starts only when the one "
            "before it has ended: something holds the others up while a look-up runs. Read the tool's "
            "decorator: what does blocking=False do with a function that sleeps?"
        )
    return None


@exercise(
    "03.3",
    "let structure route",
    expects="the result of the checked story's run (a TeamResult)",
    right=(
        "each verdict was a field of a structured reply, and the team routed on it: CLEARED went to "
        "the editor, REVISE to the writer."
    ),
)
def let_structure_route(answer: Any) -> str | None:
    result = result_of(answer)
    events = result.messages
    verdicts = [
        (i, e)
        for i, e in enumerate(events)
        if isinstance(e, TextMessage) and e.source == "checker" and not e.scope
    ]
    if not verdicts:
        return "the checker never spoke in this run: pass the run of the checked story."

    def speaker_after(i: int) -> str | None:
        return next((e.speaker for e in events[i + 1 :] if isinstance(e, SpeakerSelected)), None)

    texts = [(i, m) for i, m in verdicts if m.data is None]
    if texts:
        i, message = texts[-1]
        return (
            f"the checker's replies are text, and a text condition matches its word anywhere: after the "
            f"checker said {message.content!r}, the {speaker_after(i) or 'run ended'} came next. Give the "
            "checker output_type=CheckReport and route on its verdict field: condition={'verdict': ...}."
        )
    for i, message in verdicts:
        verdict = str((message.data or {}).get("verdict"))
        expected = {"CLEARED": "editor", "REVISE": "writer"}.get(verdict)
        after = speaker_after(i)
        if after != expected:
            return (
                f"after the checker's verdict {verdict!r} the {after or 'nobody'} spoke, not the {expected}: "
                f"route on the field (Edge(..., condition={{'verdict': {verdict!r}}})); the readable text "
                "of a structured reply still holds every word of its note."
            )
    if not any(isinstance(e, TextMessage) and e.source == "editor" for e in events):
        return f"the editor never got the story ({result.stop_reason})."
    return None


question(
    "03.a",
    'A model calls `search_archive(query="acres", limit="three")`. What happens?',
    wrong("Your function runs and crashes on the text.", "It never runs: the arguments are checked first."),
    right(
        "The call is refused before your function runs, and the error goes back to the model.",
        "Right: pydantic checks the arguments against the schema; the model reads why and tries again.",
    ),
    wrong(
        "The run stops with an error.", "A bad call is a normal event: the run goes on (until max_failures)."
    ),
)
question(
    "03.b",
    "Why route on a structured reply's `verdict` field rather than on a word in the reply?",
    wrong("Field conditions are faster.", "Speed is not the point: correctness is."),
    right(
        'A word can appear anywhere ("no need to REVISE"); a field holds one value from a fixed set.',
        "Right: the schema allows only CLEARED or REVISE, so no wording can send the story the wrong way.",
    ),
    wrong("Graphs do not allow text conditions.", "They do: that is why section 5's desk looped."),
)
question(
    "03.c",
    "What does agentnb check about an MCP server's tools?",
    wrong(
        "That they do what their descriptions say.",
        "Nobody can check that: descriptions and results come from outside, like any untrusted input.",
    ),
    right(
        "The arguments, against the server's own schema; what the tools say and return is untrusted.",
        "Right: read `describe()`, and put `requires_approval` on tools that act.",
    ),
    wrong("Nothing at all.", "Arguments are validated before the call, as for your own tools."),
)
