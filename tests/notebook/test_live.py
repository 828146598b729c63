"""run_with_chat: the live chat a %%agentteam cell shows, driven in a shell without a front end."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from agentnb import Agent, Team, models, tool
from agentnb.notebook import live
from agentnb.notebook.runner import ServeError
from agentnb.notebook.widget import ChatWidget


@pytest.fixture
def chats(monkeypatch: pytest.MonkeyPatch) -> list[ChatWidget]:
    """Every chat `run_with_chat` creates, kept for inspection after it is disposed."""
    created: list[ChatWidget] = []

    class Kept(ChatWidget):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(live, "ChatWidget", Kept)
    return created


def test_agents_keep_the_colours_of_the_teams_order_not_of_who_speaks_first(
    ip: InteractiveShell, chats: list[ChatWidget]
) -> None:
    model = models.ScriptedModel({"a": ["from a"], "b": ["from b"]})
    team = Team([Agent("a"), Agent("b")], "graph", edges=[("b", "a")], model=model)  # b speaks first
    result = live.run_with_chat(ip, team, "go")
    assert [m.source for m in result.chat()] == ["user", "b", "a"]
    (chat,) = chats
    assert chat.colors.names()[:2] == ["a", "b"]  # the saved transcript colours them the same way


def test_a_chat_failing_to_close_after_the_run_says_so_and_keeps_the_result(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    disposed: list[bool] = []

    class Unclosable(ChatWidget):
        def finish(self) -> None:
            raise RuntimeError("comm closed")

        def dispose(self) -> None:
            disposed.append(True)
            super().dispose()

    monkeypatch.setattr(live, "ChatWidget", Unclosable)
    team = Team([Agent("a")], model=models.ScriptedModel({"a": ["done"]}), max_turns=1)
    with pytest.raises(
        ServeError, match="finished, but closing its live chat failed: RuntimeError: comm closed"
    ) as caught:
        live.run_with_chat(ip, team, "go")
    assert caught.value.result.final == "done" and disposed == [True]  # its widgets are freed all the same


def test_a_run_waiting_for_approval_shows_the_box_and_a_click_there_goes_on(
    ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[str] = []
    shown: list[str] = []

    @tool(requires_approval=True, blocking=False)
    def publish(headline: str) -> str:
        """Publish a story."""
        published.append(headline)
        return "published"

    class Clicking(ChatWidget):
        def ask(self, ask: Any) -> None:
            super().ask(ask)  # the approval box shows the call ...
            shown.append(self.asking.prompt.value)
            self.asking.approve_button.click()  # ... and the person approves it there

    monkeypatch.setattr(live, "ChatWidget", Clicking)
    script = {"desk": [{"tool": "publish", "args": {"headline": "Park"}}, "Done."]}
    team = Team(
        [Agent("desk", tools=[publish])], model=models.ScriptedModel(script), approver="later", max_turns=1
    )
    result = live.run_with_chat(ip, team, "go", decide=True)
    assert published == ["Park"] and result.stop_reason == "max turns reached (1)"
    assert "publish" in shown[0] and not team.pending()
