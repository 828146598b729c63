"""`team.diagram()`: every mode drawn as SVG and text, in the chat's colours, the same on every call."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from agentnb import Agent, Edge, Human, Team
from agentnb.core.modes.planner import DraftStep, PlanDraft
from agentnb.core.plan import Plan, Step
from agentnb.models import ScriptedModel
from agentnb.views.chat import PALETTE, Colors, presentation
from agentnb.views.diagram import TeamDiagram
from agentnb.views.diagram_svg import NOTE_COLOR

SVG = "{http://www.w3.org/2000/svg}"


def agents(*names: str) -> list[Agent]:
    return [Agent(name, f"You are the {name}.") for name in names]


def drawn(team: Team) -> tuple[TeamDiagram, ET.Element]:
    diagram = team.diagram()
    return diagram, ET.fromstring(diagram.svg())


def labels(svg: ET.Element) -> list[str]:
    """The bold texts: the boxes' names, in drawing order."""
    return [t.text or "" for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "600"]


def arrows(svg: ET.Element) -> list[ET.Element]:
    return list(svg.iter(f"{SVG}path"))


def heads(svg: ET.Element) -> int:
    return len(list(svg.iter(f"{SVG}polygon")))


def arrow_lines(diagram: TeamDiagram) -> list[str]:
    return [line.strip() for line in diagram.text().splitlines() if " -> " in line]


def test_round_robin_is_a_ring_in_speaking_order_that_closes_on_the_first() -> None:
    team = Team(agents("writer", "fact_checker", "editor"), until="APPROVED", name="desk")
    diagram, svg = drawn(team)
    assert labels(svg) == ["writer", "fact_checker", "editor"]
    assert len(arrows(svg)) == heads(svg) == 3
    assert arrow_lines(diagram) == ["writer -> fact_checker", "fact_checker -> editor", "editor -> writer"]
    assert diagram.text().splitlines()[0] == "desk · round robin"
    assert "stops: MaxTurns(20) | TextMention('APPROVED')" in diagram.text()


def test_a_team_of_one_speaks_after_itself() -> None:
    diagram, svg = drawn(Team(agents("solo")))
    assert arrow_lines(diagram) == ["solo -> solo"]
    assert " C" in arrows(svg)[0].get("d", "")  # a loop over the box, not a line of length 0


def test_each_participant_has_its_chat_colour() -> None:
    team = Team(agents("writer", "editor"))
    _, svg = drawn(team)
    colors = Colors(team.names)
    boxes = {t.text: t.get("fill") for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "600"}
    assert boxes == {"writer": colors.html("writer"), "editor": colors.html("editor")}
    assert set(boxes.values()) <= set(PALETTE)


def test_the_selector_is_a_hub_that_picks_every_participant_and_hears_back_from_each() -> None:
    team = Team(agents("poet", "critic", "editor"), mode="selector")
    diagram, svg = drawn(team)
    assert labels(svg) == ["selector", "poet", "critic", "editor"]
    assert svg.find(f".//{SVG}ellipse") is not None
    lines = arrow_lines(diagram)
    assert {f"selector -> {n}" for n in team.names} | {f"{n} -> selector" for n in team.names} == set(lines)
    dashed = [p for p in arrows(svg) if p.get("stroke-dasharray")]
    assert len(dashed) == 3  # the way back to the selector after each turn
    assert "nobody speaks twice in a row" in diagram.text()


def test_a_selector_func_is_named_at_the_hub() -> None:
    team = Team(agents("a", "b"), mode="selector", selector_func=lambda transcript: None)
    diagram, svg = drawn(team)
    assert labels(svg)[0] == "selector_func"
    assert "a function picks the next speaker" in diagram.text()


def test_handoff_arrows_follow_each_agents_transfer_tools_and_a_person_is_dashed() -> None:
    team = Team(
        [
            Agent("triage", "You sort.", handoffs=["billing"]),
            Agent("billing", "You bill.", handoffs=["customer", "triage"]),
            Human("customer"),
        ],
        mode="handoff",
    )
    diagram, svg = drawn(team)
    assert arrow_lines(diagram) == ["triage -> billing", "billing -> customer", "billing -> triage"]
    person = [r for r in svg.iter(f"{SVG}rect") if r.get("stroke-dasharray")]
    assert len(person) == 1 and "customer (person)" in diagram.text()
    assert "gives the floor to customer" in diagram.text()


def test_graph_edges_carry_their_conditions_and_a_loop_back_curves_under_the_drawing() -> None:
    team = Team(
        agents("writer", "checker", "editor"),
        mode="graph",
        edges=[
            ("writer", "checker"),
            Edge("checker", "writer", {"verdict": "REVISE"}),
            Edge("checker", "editor", "CLEARED"),
        ],
    )
    diagram, svg = drawn(team)
    assert arrow_lines(diagram) == [
        "writer -> checker",
        "checker -> writer  if verdict='REVISE'",
        "checker -> editor  if 'CLEARED'",
    ]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "if verdict='REVISE'" in texts and "if 'CLEARED'" in texts
    boxes = {t.text: float(t.get("y", 0)) for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "600"}
    back = arrows(svg)[1].get("d", "")
    control_y = float(back.split("Q")[1].split()[0].split(",")[1])
    assert control_y > max(boxes.values()) + 20  # under every box


def test_fan_out_branches_stand_in_one_column_between_their_source_and_their_join() -> None:
    team = Team(
        agents("editor", "researcher", "weather", "writer"),
        mode="graph",
        edges=[
            ("editor", "researcher"),
            ("editor", "weather"),
            ("researcher", "writer"),
            ("weather", "writer"),
        ],
    )
    _, svg = drawn(team)
    x = {t.text: float(t.get("x", 0)) for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "600"}
    assert x["editor"] < x["researcher"] == x["weather"] < x["writer"]


def test_sequential_is_a_chain_in_the_order_given() -> None:
    diagram, _ = drawn(Team(agents("a", "b", "c"), mode="sequential"))
    assert arrow_lines(diagram) == ["a -> b", "b -> c"]
    assert "each once, in the order given" in diagram.text()


TRIP = Plan(
    goal="A weekend in Lisbon",
    steps=[
        Step(id="travel", description="Find a flight", assignee="transport"),
        Step(id="stay", description="Find a hotel", assignee="lodging"),
        Step(id="itinerary", description="Write it", assignee="writer", depends_on=["travel", "stay"]),
    ],
)


def test_a_fixed_plan_is_drawn_as_its_dag_each_step_in_its_assignees_colour() -> None:
    team = Team(agents("transport", "lodging", "writer"), mode="plan", planner=TRIP)
    diagram, svg = drawn(team)
    assert labels(svg) == ["travel", "stay", "itinerary"]
    assert arrow_lines(diagram) == ["travel -> itinerary", "stay -> itinerary"]
    colors = Colors(team.names)
    fills = {t.text: t.get("fill") for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "600"}
    assert fills["itinerary"] == colors.html("writer")
    assert "A weekend in Lisbon" in diagram.text().splitlines()[0]


def test_a_planner_agent_is_a_hub_until_it_has_planned_then_its_plan_is_drawn() -> None:
    draft = PlanDraft(
        steps=[
            DraftStep(id="research", description="Research", assignee="researcher"),
            DraftStep(id="write", description="Write", assignee="writer", depends_on=["research"]),
        ]
    )
    model = ScriptedModel({"planner": [draft], "researcher": ["Facts."], "writer": ["Story."]})
    planner = Agent("planner", "You plan.")
    team = Team(agents("researcher", "writer"), mode="plan", planner=planner, model=model)
    before, svg = drawn(team)
    assert labels(svg)[0] == "planner" and "draw the team again after a run" in before.text()
    team.run_sync("Write the story.")
    after, svg = drawn(team)
    assert labels(svg) == ["research", "write"]
    assert arrow_lines(after) == ["research -> write"]
    assert "the planner's plan" in after.text()


def test_a_nested_team_is_a_box_with_two_borders_and_its_size() -> None:
    desk = Team(agents("x", "y"), name="desk")
    diagram, svg = drawn(Team([Agent("chief", "You lead."), desk]))
    assert "desk (team of 2)" in diagram.text()
    desk_borders = [r for r in svg.iter(f"{SVG}rect") if r.get("stroke-width") == "1"]
    assert len(desk_borders) == 1


def test_the_drawing_is_the_same_bytes_every_time() -> None:
    def team() -> Team:
        return Team(agents("writer", "checker"), mode="graph", edges=[("writer", "checker")])

    assert team().diagram().svg() == team().diagram().svg()
    bundle = team().diagram()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "image/svg+xml"}
    assert 'class="agentnb-diagram' in bundle["text/html"] and "<svg" in bundle["text/html"]


def test_labels_are_escaped() -> None:
    team = Team(agents("a", "b"), mode="graph", edges=[Edge("a", "b", "<script>&")])
    diagram = team.diagram()
    ET.fromstring(diagram.svg())  # still well-formed XML
    assert "<script>" not in diagram.html() and "&lt;script&gt;&amp;" in diagram.html()


def test_presentation_style_draws_it_larger() -> None:
    team = Team(agents("a", "b"))
    normal = float(ET.fromstring(team.diagram().svg()).get("width", 0))
    presentation(True)
    try:
        big = float(ET.fromstring(team.diagram().svg()).get("width", 0))
    finally:
        presentation(False)
    assert big > normal * 1.4


def test_arrows_and_notes_use_the_grey_that_reads_on_light_and_dark_themes() -> None:
    _, svg = drawn(Team(agents("a", "b")))
    assert {p.get("stroke") for p in arrows(svg)} == {NOTE_COLOR}


@pytest.mark.parametrize("mode", ["round_robin", "selector", "sequential"])
def test_every_box_lies_inside_the_picture(mode: str) -> None:
    _, svg = drawn(Team(agents("writer", "fact_checker", "editor", "publisher", "archivist"), mode=mode))
    left, top, width, height = (float(v) for v in svg.get("viewBox", "").split())
    shift = svg.find(f"{SVG}g").get("transform", "")  # type: ignore[union-attr]
    dx, dy = (float(v) for v in shift.removeprefix("translate(").removesuffix(")").split(","))
    for rect in svg.iter(f"{SVG}rect"):
        x, y = float(rect.get("x", 0)) + dx, float(rect.get("y", 0)) + dy
        assert left <= x and x + float(rect.get("width", 0)) <= width
        assert top <= y and y + float(rect.get("height", 0)) <= height


def test_an_agent_elsewhere_is_a_dotted_box_that_says_it_is_remote() -> None:
    class Remote:
        """What the diagram needs of A2A's RemoteAgent: a name, a turn and a URL."""

        name, url, description = "archive_desk", "http://127.0.0.1:8001/", "The archive's desk."

        def turn(self, thread, ctx):  # pragma: no cover - never run here
            raise NotImplementedError

    diagram, svg = drawn(Team([Agent("writer", "You write."), Remote()]))
    assert "archive_desk (remote agent)" in diagram.text()
    assert [r.get("stroke-dasharray") for r in svg.iter(f"{SVG}rect")] == [None, "2 3"]
