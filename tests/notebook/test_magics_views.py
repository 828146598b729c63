"""%agenttrace, %agentcheckpoints, --trace, --big and the presentation setting, in a shell without a kernel;
the live chat's X-ray and trace, driven by run_with_chat."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from agentnb import Agent, Human, Team
from agentnb.core.events import SpeakerSelected, TextMessage
from agentnb.models import ScriptedModel
from agentnb.notebook import live
from agentnb.notebook.checkpoints import CheckpointBrowser
from agentnb.notebook.widget import ChatWidget
from agentnb.views import chat as render
from agentnb.views.chat import PALETTE, PRESENTATION
from agentnb.views.diagram import TeamDiagram
from agentnb.views.trace import TraceView

CELL = "writer: You write.\neditor: You edit.\n---\nA story."


def model(tmp: Any) -> str:
    path = tmp / "script.json"
    path.write_text('{"writer": ["Draft"], "editor": ["APPROVED"]}', encoding="utf-8")
    return f"scripted:{path}"


@pytest.fixture
def spec(tmp_path: Any) -> str:
    return model(tmp_path)


@pytest.fixture
def displayed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    return shown


def test_agenttrace_shows_the_last_cells_run_with_the_chats_colours(ip: InteractiveShell, spec: str) -> None:
    ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED", CELL)
    view = ip.run_line_magic("agenttrace", "--no-times")
    assert isinstance(view, TraceView) and "trace team" in view.text()
    html = view.html()
    assert f'color:{PALETTE[0]};font-weight:bold">writer' in html
    assert f'color:{PALETTE[1]};font-weight:bold">editor' in html  # not every agent in blue


def test_agenttrace_goes_away_with_the_extension(ip: InteractiveShell) -> None:
    assert "agenttrace" in ip.magics_manager.magics["line"]
    ip.run_line_magic("unload_ext", "agentnb")
    assert "agenttrace" not in ip.magics_manager.magics["line"]
    assert "agentcheckpoints" not in ip.magics_manager.magics["line"]
    ip.run_line_magic("load_ext", "agentnb")


def test_trace_without_a_live_chat_shows_the_trace_in_event_order_before_the_transcript(
    ip: InteractiveShell, spec: str, displayed: list[Any]
) -> None:
    result = ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED --trace", CELL)
    (view,) = displayed
    assert isinstance(view, TraceView) and not view.times
    assert view.text() == TraceView(result.trace(), times=False).text()


def test_diagram_draws_the_team_above_the_chat_and_its_trace(
    ip: InteractiveShell, spec: str, displayed: list[Any]
) -> None:
    ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED --diagram --trace", CELL)
    drawn, trace = displayed
    assert isinstance(drawn, TeamDiagram) and isinstance(trace, TraceView)
    assert drawn.text().splitlines()[:2] == ["team · round robin", "  writer, editor"]
    assert "agentnb-diagram" in drawn._repr_mimebundle_()["text/html"]
    ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED --diagram --quiet", CELL)
    assert len(displayed) == 2  # --quiet shows nothing, the diagram included


def test_big_shows_that_cells_result_large(ip: InteractiveShell, spec: str) -> None:
    big = ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED --big", CELL)
    normal = ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED", CELL)
    assert f"font-size:{PRESENTATION.text}px" in big._repr_mimebundle_()["text/html"]
    assert f"font-size:{PRESENTATION.text}px" not in normal._repr_mimebundle_()["text/html"]


def test_the_presentation_setting_is_the_renderers_default_until_unloaded(ip: InteractiveShell) -> None:
    ip.run_line_magic("config", "AgentTeam.presentation = True")
    assert render.current() is PRESENTATION
    ip.run_line_magic("config", "AgentTeam.presentation = False")
    assert render.current() is render.NORMAL
    ip.run_line_magic("config", "AgentTeam.presentation = True")
    ip.run_line_magic("unload_ext", "agentnb")
    assert render.current() is render.NORMAL
    ip.run_line_magic("load_ext", "agentnb")


def test_agentcheckpoints_browses_the_last_cells_team_or_a_named_one(ip: InteractiveShell, spec: str) -> None:
    with pytest.raises(UsageError, match="no team has run yet"):
        ip.run_line_magic("agentcheckpoints", "")
    result = ip.run_cell_magic("agentteam", f"--model {spec} --until APPROVED", CELL)
    browser = ip.run_line_magic("agentcheckpoints", "")
    assert isinstance(browser, CheckpointBrowser) and browser.team.last_result.final == result.final
    browser.fork_button.click()
    assert isinstance(ip.user_ns["fork"], Team)  # the cell's team is in no variable: fork it
    ip.user_ns["mine"] = Team([Agent("a")], model=ScriptedModel({"a": ["x"]}))
    assert ip.run_line_magic("agentcheckpoints", "mine").team is ip.user_ns["mine"]
    with pytest.raises(UsageError, match="no variable 'nothing'"):
        ip.run_line_magic("agentcheckpoints", "nothing")


# ----- run_with_chat: the X-ray and the trace beside the chat ---------------------------------------


@pytest.fixture
def chats(monkeypatch: pytest.MonkeyPatch) -> list[ChatWidget]:
    created: list[ChatWidget] = []

    class Kept(ChatWidget):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(live, "ChatWidget", Kept)
    return created


class Handle:
    def __init__(self) -> None:
        self.updates: list[dict[str, str]] = []

    def update(self, bundle: dict[str, str], raw: bool) -> None:
        self.updates.append(bundle)


def test_the_trace_runs_beside_the_chat_and_stays_in_event_order_once_the_run_ends(
    ip: InteractiveShell, chats: list[ChatWidget], monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = Handle()
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: handle)
    team = Team([Agent("a"), Agent("b")], model=ScriptedModel({"a": ["hi"], "b": ["DONE"]}), until="DONE")
    result = live.run_with_chat(ip, team, "go", trace=True)
    (chat,) = chats
    (row,) = chat.children
    tracer = row.children[1]
    assert "agentnb-trace-live" in tracer._dom_classes and tracer.trace.spans  # fed live
    (closing,) = handle.updates
    static = TraceView(result.trace(), times=False, participants=["a", "b"])
    assert closing["text/plain"].startswith("agentnb · team (round_robin): a, b")
    assert closing["text/plain"].endswith(static.text()) and static.html() in closing["text/html"]


def test_the_xray_of_a_turn_is_the_speakers_context_at_that_turn(ip: InteractiveShell) -> None:
    team = Team([Agent("a"), Agent("b")], model=ScriptedModel({"a": ["hi"], "b": ["DONE"]}), until="DONE")
    team.run_sync("go")
    choice = next(e for e in team.transcript if isinstance(e, SpeakerSelected) and e.speaker == "b")
    k = live.locate(team, choice)
    assert team.transcript[k] is choice
    html = live.xray_html(team, choice)
    assert f"checkpoint #{k + 1}" in html and "context of b" in html and "hi" in html
    assert "DONE" not in html  # b's own reply comes after the checkpoint
    stranger = SpeakerSelected(source="team", speaker="b", turn=9)
    assert "no longer in the transcript" in live.xray_html(team, stranger)


def test_a_persons_turn_has_no_model_context_to_xray(ip: InteractiveShell) -> None:
    alice = Human("alice", input_fn=lambda _: "ok")
    team = Team([Agent("a"), alice], model=ScriptedModel({"a": ["hi"]}), max_turns=2)
    team.run_sync("go")
    choice = next(e for e in team.transcript if isinstance(e, SpeakerSelected) and e.speaker == "alice")
    assert "not an Agent" in live.xray_html(team, choice)


def test_plan_teams_get_no_xray_toggle(
    ip: InteractiveShell, chats: list[ChatWidget], monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentnb.core.plan import Plan, Step

    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: Handle())
    plan = Plan(steps=[Step(id="s", description="do it", assignee="a")])
    team = Team([Agent("a")], mode="plan", planner=plan, model=ScriptedModel({"a": ["done"]}))
    live.run_with_chat(ip, team, "go")
    assert chats[0].xray is None
    plain = Team([Agent("a")], model=ScriptedModel({"a": ["done"]}), max_turns=1)
    live.run_with_chat(ip, plain, "go")
    assert chats[1].xray is not None
    assert isinstance(chats[1].events[0], TextMessage)
