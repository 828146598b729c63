"""Lesson 03's checks: a right answer gets a ✓, each kind of wrong answer the hint that fits it."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from agentnb import Agent, Edge, Team, tool
from agentnb.course import check
from agentnb.models import FunctionModel, ScriptedModel, call

# ----- 03.1: describe your tool -------------------------------------------------------------


@tool
def forecast(
    city: Annotated[str, "The city, e.g. 'Riverside'"],
    days: Annotated[int, Field(ge=1, le=7), "How many days ahead, 1 to 7"] = 3,
    units: Annotated[Literal["metric", "imperial"], "Metric (°C) or imperial (°F)"] = "metric",
) -> str:
    """The weather forecast for a city."""
    return f"{days} days of sun in {city} ({units})"


def test_a_tool_whose_types_and_descriptions_say_what_is_allowed_is_right():
    verdict = check("03.1", forecast)
    assert verdict.ok, verdict.message


def test_a_docstring_args_section_describes_parameters_too():
    @tool(name="forecast")
    def documented(
        city: str,
        days: Annotated[int, Field(ge=1, le=7)] = 3,
        units: Literal["metric", "imperial"] = "metric",
    ) -> str:
        """The weather forecast for a city.

        Args:
            city: The city.
            days: How many days ahead.
            units: Metric or imperial.
        """
        return f"{days} days in {city}"

    verdict = check("03.1", documented)
    assert verdict.ok, verdict.message


@tool(name="forecast")
def untyped(city, days=3, units="metric"):
    """The weather forecast for a city."""
    return f"{days} days of sun in {city} ({units})"


@tool(name="forecast")
def undescribed(city: str, days: int = 3, units: str = "metric") -> str:
    """The weather forecast for a city."""
    return f"{days} days"


@tool(name="forecast")
def unbounded(
    city: Annotated[str, "The city"],
    days: Annotated[int, "How many days ahead"] = 3,
    units: Annotated[Literal["metric", "imperial"], "Units"] = "metric",
) -> str:
    """The weather forecast for a city."""
    return f"{days} days"


@tool(name="forecast")
def any_units(
    city: Annotated[str, "The city"],
    days: Annotated[int, Field(ge=1, le=7), "How many days ahead"] = 3,
    units: Annotated[str, "Units"] = "metric",
) -> str:
    """The weather forecast for a city."""
    return f"{days} days"


@tool(name="forecast")
def default_city(
    city: Annotated[str, "The city"] = "Riverside",
    days: Annotated[int, Field(ge=1, le=7), "How many days ahead"] = 3,
    units: Annotated[Literal["metric", "imperial"], "Units"] = "metric",
) -> str:
    """The weather forecast for a city."""
    return f"{days} days"


@tool(name="forecast")
def broken(
    city: Annotated[str, "The city"],
    days: Annotated[int, Field(ge=1, le=7), "How many days ahead"] = 3,
    units: Annotated[Literal["metric", "imperial"], "Units"] = "metric",
) -> str:
    """The weather forecast for a city."""
    raise ConnectionError("the weather service is down")


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (untyped, "says nothing about what 'city' is"),
        (undescribed, "'city' has no description"),
        (unbounded, "a model asked for 30 days"),
        (any_units, "a model asked for units 'kelvin'"),
        (default_city, "a model asked for no city at all"),
        (broken, "a good call, forecast({'city': 'Riverside'}), failed"),
        (untyped.fn, "that is a plain function"),
    ],
)
def test_a_tool_that_lets_bad_arguments_through_or_says_too_little_gets_a_hint(answer, hint):
    verdict = check("03.1", answer)
    assert not verdict.ok and hint in verdict.message


def test_a_tool_without_the_exercises_parameters_gets_a_hint():
    @tool(name="forecast")
    def place(town: Annotated[str, "The town"]) -> str:
        """The weather."""
        return "sun"

    verdict = check("03.1", place)
    assert not verdict.ok and "no parameter 'city'" in verdict.message


# ----- 03.2: fan out ------------------------------------------------------------------------


@tool
async def look_up(topic: str) -> str:
    """Look a topic up in the archive."""
    await asyncio.sleep(0.05)
    return f"notes on {topic}"


def research(*replies):
    model = ScriptedModel({"researcher": [*replies, "Done."]})
    return Team([Agent("researcher", tools=[look_up])], max_turns=1, model=model).run_sync("background")


TOPICS = ("the vote", "the site", "the budget")


def test_three_look_ups_in_one_reply_that_overlap_are_right():
    verdict = check("03.2", research({"calls": [call("look_up", topic=t) for t in TOPICS]}))
    assert verdict.ok, verdict.message


def test_look_ups_one_reply_at_a_time_are_told_to_ask_for_all_in_one_reply():
    verdict = check("03.2", research(*(call("look_up", topic=t) for t in TOPICS)))
    assert not verdict.ok and "came in 3 replies" in verdict.message and "4 model calls" in verdict.message


def test_fewer_than_three_topics_get_a_hint():
    verdict = check("03.2", research({"calls": [call("look_up", topic="the vote")] * 3}))
    assert not verdict.ok and "1 different topic" in verdict.message


# ----- 03.3: let structure route ------------------------------------------------------------


class CheckReport(BaseModel):
    verdict: Literal["CLEARED", "REVISE"]
    note: str


def _said(request, agent):
    return next((m["content"] for m in reversed(request.messages) if m.get("name") == agent), "")


def desk(request):
    if request.agent == "writer":
        return "The 14-acre site." if _said(request, "checker") else "The 12-acre site."
    if request.agent == "checker":
        wrong = "12-acre" in _said(request, "writer")
        note = "It is 14 acres: REVISE." if wrong else "All checks out; no need to REVISE."
        if request.output_schema is not None:
            return {"json": {"verdict": "REVISE" if wrong else "CLEARED", "note": note}}
        return note
    return "Edited."


def checked_story(structured: bool, revise, cleared):
    checker = Agent("checker", output_type=CheckReport if structured else None)
    edges = [("writer", "checker"), Edge("checker", "writer", revise), Edge("checker", "editor", cleared)]
    team = Team(
        [Agent("writer"), checker, Agent("editor")],
        mode="graph",
        edges=edges,
        max_turns=7,
        model=FunctionModel(desk),
    )
    return team.run_sync("Write the park story.")


def test_routing_on_the_structured_verdict_is_right():
    verdict = check("03.3", checked_story(True, {"verdict": "REVISE"}, {"verdict": "CLEARED"}))
    assert verdict.ok, verdict.message


def test_routing_on_words_of_a_text_reply_is_shown_where_it_went_wrong():
    verdict = check("03.3", checked_story(False, "REVISE", "CLEARED"))
    assert not verdict.ok
    assert "'All checks out; no need to REVISE.', the writer came next" in verdict.message
    assert "output_type=CheckReport" in verdict.message


def test_text_conditions_on_a_structured_reply_are_told_to_route_on_the_field():
    verdict = check("03.3", checked_story(True, "REVISE", "CLEARED"))
    assert not verdict.ok and "after the checker's verdict 'CLEARED' the writer spoke" in verdict.message


def test_a_run_without_the_checker_gets_a_hint():
    run = Team([Agent("writer")], max_turns=1, model=FunctionModel(desk)).run_sync("go")
    assert "the checker never spoke" in check("03.3", run).message


def test_slow_look_ups_that_block_the_event_loop_are_told_to_read_the_decorator():
    @tool(name="look_up", blocking=False)
    def blocking_look_up(topic: str) -> str:
        """Look a topic up in the archive."""
        time.sleep(0.05)
        return f"notes on {topic}"

    model = ScriptedModel({"researcher": [{"calls": [call("look_up", topic=t) for t in TOPICS]}, "Done."]})
    run = Team([Agent("researcher", tools=[blocking_look_up])], max_turns=1, model=model).run_sync(
        "background"
    )
    verdict = check("03.2", run)
    assert not verdict.ok and "what does blocking=False do" in verdict.message
