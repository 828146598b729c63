"""Plans as data: a typed DAG of steps, each assigned to a participant.

A `Plan` is written by hand or produced by a planner agent through structured output
(`agentnb.core.modes.planner.PlanDraft` is the schema a planner fills in). Validation
catches what cannot run: a duplicate step id, a dependency on a step that does not exist,
a cycle — each error names the step. Whether assignees exist is checked against a team
(`Plan.check_assignees`). Plan mode (`agentnb.core.modes.plan`) runs a plan; this module is pure data, so
events can carry plans and plans round-trip through JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    create_model,
    field_serializer,
    model_validator,
)

from agentnb.core.dag import find_cycle
from agentnb.core.errors import AgentnbError

STEP_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
Check = Callable[[Any], "bool | str"] | str


class PlanError(AgentnbError):
    """A plan cannot run as written; the message names the step and the problem."""


class Step(BaseModel):
    """One unit of work: what to do, who does it, and which steps must finish first.

    ``expected_output`` is an optional JSON schema the step's result must satisfy (the
    assignee is asked for it as structured output). ``check`` is optional too: text the
    result must contain, or a function of the result returning True, or a string saying
    what is wrong (a function is code: it is not saved with the plan).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    description: str
    assignee: str
    depends_on: tuple[str, ...] = ()
    expected_output: dict[str, Any] | None = None
    check: Check | None = Field(default=None)
    _output_type: type[BaseModel] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _output_class(cls, data: Any, handler: Any) -> Step:
        """``expected_output`` may be a pydantic class: kept for validation, saved as its schema."""
        output_type = None
        if isinstance(data, dict):
            given = data.get("expected_output")
            if isinstance(given, type) and issubclass(given, BaseModel):
                output_type = given
                data = {**data, "expected_output": given.model_json_schema()}
        step = handler(data)
        if output_type is not None:
            step._output_type = output_type
        return step

    def output_type(self) -> type[BaseModel] | None:
        """The pydantic class the step's result must fit (built from the schema if need be)."""
        if self._output_type is None and self.expected_output is not None:
            self._output_type = schema_model(self.id, self.expected_output)
        return self._output_type

    @model_validator(mode="after")
    def _valid_id(self) -> Step:
        if not STEP_ID.match(self.id):
            raise PlanError(
                f"step {self.id!r}: an id is 1-64 letters, digits, '_', '-' or '.' (e.g. 'research')"
            )
        if not self.description.strip():
            raise PlanError(f"step {self.id!r}: the description is empty; say what the step must do")
        return self

    @field_serializer("check")
    def _check_as_data(self, check: Check | None) -> str | None:
        """A function check is code, not data: saved plans keep only text checks."""
        return check if isinstance(check, str) else None


class Plan(BaseModel):
    """A DAG of `Step`s; ``goal`` is the task the plan serves.

    Construction validates ids, dependencies and acyclicity; `order` lists the steps so
    that every step comes after its dependencies.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    goal: str = ""
    steps: tuple[Step, ...]
    _order: list[Step] | None = PrivateAttr(default=None)
    _by_id: dict[str, Step] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _valid_graph(self) -> Plan:
        if not self.steps:
            raise PlanError("the plan has no steps; a plan needs at least one step")
        ids: set[str] = set()
        for step in self.steps:
            if step.id in ids:
                raise PlanError(f"step {step.id!r} appears twice; step ids must be unique")
            ids.add(step.id)
        for step in self.steps:
            for dep in step.depends_on:
                if dep == step.id:
                    raise PlanError(f"step {step.id!r} depends on itself")
                if dep not in ids:
                    raise PlanError(
                        f"step {step.id!r} depends on {dep!r}, which is not a step of the plan "
                        f"(steps: {', '.join(s.id for s in self.steps)})"
                    )
        cycle = find_cycle({s.id: s.depends_on for s in self.steps})
        if cycle:
            raise PlanError(f"step {cycle[0]!r} is in a cycle: {' -> '.join(cycle)}; a plan must be a DAG")
        return self

    def step(self, step_id: str) -> Step:
        by_id = self._by_id or {s.id: s for s in self.steps}
        self._by_id = by_id
        try:
            return by_id[step_id]
        except KeyError:
            raise KeyError(f"the plan has no step {step_id!r} (steps: {', '.join(self.ids())})") from None

    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def order(self) -> list[Step]:
        """The steps in an order where each comes after its dependencies (stable; computed once)."""
        if self._order is None:
            self._order = self._topological()
        return self._order

    def _topological(self) -> list[Step]:
        done: set[str] = set()
        ordered: list[Step] = []
        pending = list(self.steps)
        while pending:
            ready = [s for s in pending if set(s.depends_on) <= done]
            for step in ready:
                ordered.append(step)
                done.add(step.id)
            pending = [s for s in pending if s.id not in done]
        return ordered

    def levels(self) -> int:
        """The length of the longest dependency chain (how many waves the plan needs)."""
        depth: dict[str, int] = {}
        for step in self.order():
            depth[step.id] = 1 + max((depth[d] for d in step.depends_on), default=0)
        return max(depth.values())

    def prerequisites(self, step_id: str) -> set[str]:
        """Every step ``step_id`` waits for, directly or through others."""
        found: set[str] = set()
        todo = list(self.step(step_id).depends_on)
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.step(current).depends_on)
        return found

    def check_assignees(self, names: Iterable[str]) -> None:
        """Raise `PlanError` naming the first step whose assignee is not in ``names``."""
        known = list(names)
        for step in self.steps:
            if step.assignee not in known:
                raise PlanError(
                    f"step {step.id!r} is assigned to {step.assignee!r}, who is not a participant "
                    f"(participants: {', '.join(known)})"
                )


_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


def schema_model(step_id: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic class for a JSON object schema's top-level fields (a plan loaded from JSON)."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    fields: dict[str, Any] = {}
    for name, spec in properties.items():
        kind = _JSON_TYPES.get(spec.get("type"), Any) if isinstance(spec, dict) else Any
        fields[name] = (kind, ...) if name in required else (kind | None, None)
    title = str(schema.get("title") or f"{step_id}_output")
    return create_model(re.sub(r"\W", "_", title), **fields)
