"""Teams the eval tests score: a solver with a calculator tool, a handoff desk, a plan-mode team."""

from __future__ import annotations

import random
import re

import pytest
from pydantic_evals import Case, Dataset

from agentnb import Agent, Team, tool
from agentnb.core.plan import Plan, Step
from agentnb.models import FunctionModel, ScriptedModel, call

NUMBERS = re.compile(r"(\d+)\s*([-+*])\s*(\d+)")


@tool
def calculate(expression: str) -> str:
    """Work out a sum such as 17 + 25 (one operation: +, - or *)."""
    a, op, b = NUMBERS.search(expression).groups()
    return str({"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op])


def solve(text: str) -> int:
    a, op, b = NUMBERS.search(text).groups()
    return {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b)}[op]


def tutor_model(seed: int = 0, *, skip: float = 0.0, latency: float = 0.0) -> FunctionModel:
    """The solver calls the calculator, except (with chance ``skip``) when it guesses 10 too high."""
    rng = random.Random(seed)

    def reply(request):
        task = next(m["content"] for m in request.messages if m["role"] == "user")
        last = request.messages[-1]
        if request.agent == "solver":
            if last["role"] == "tool":
                return f"The answer is {last['content']}."
            if rng.random() < skip:
                return f"The answer is {solve(task) + 10}."
            return call("calculate", expression=NUMBERS.search(task).group(0))
        return "CORRECT" if str(solve(task)) in last["content"] else "WRONG"

    return FunctionModel(reply, name=f"tutor:{seed}", latency=latency)


def homework(seed: int = 0, *, skip: float = 0.0) -> Team:
    """A solver with a calculator, then a checker; stops when the checker says CORRECT."""
    solver = Agent("solver", "You solve sums with the calculate tool.", tools=[calculate])
    checker = Agent("checker", "You check the answer: CORRECT or WRONG.")
    return Team(
        [solver, checker], model=tutor_model(seed, skip=skip), max_turns=2, until="CORRECT", name="homework"
    )


@tool
def lookup_invoice(number: str) -> str:
    """Find an invoice by its number."""
    return f"invoice {number}: 40 EUR, paid twice"


def desk() -> Team:
    """Triage hands off to billing, which looks the invoice up and answers."""
    script = {
        "triage": [{"handoff": "billing"}],
        "billing": [call("lookup_invoice", number="A-17"), "Refunded 40 EUR on invoice A-17."],
    }
    triage = Agent("triage", "You route questions.", handoffs=["billing"])
    billing = Agent("billing", "You fix invoices.", tools=[lookup_invoice])
    return Team([triage, billing], mode="handoff", model=ScriptedModel(script), max_turns=2, name="desk")


TRIP = Plan(
    goal="a weekend in Lisbon",
    steps=[
        Step(id="flights", description="find flights", assignee="scout"),
        Step(id="hotels", description="find hotels", assignee="scout"),
        Step(id="food", description="find food", assignee="scout"),
        Step(
            id="itinerary", description="combine", assignee="writer", depends_on=["flights", "hotels", "food"]
        ),
    ],
)


def trip(*, plan: Plan = TRIP) -> Team:
    """A fixed plan: three searches in parallel, then an itinerary."""
    model = FunctionModel(lambda request: f"{request.agent} done")
    return Team([Agent("scout"), Agent("writer")], mode="plan", planner=plan, model=model, name="trip")


@pytest.fixture
def sums() -> Dataset:
    return Dataset(
        name="sums",
        cases=[
            Case(name="add", inputs="What is 17 + 25?", expected_output="42"),
            Case(name="times", inputs="What is 6 * 7?", expected_output="42"),
        ],
    )
