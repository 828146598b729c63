"""The checkpoint browser without a front end: list, rewind, fork into a variable, X-ray, close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from agentnb import Agent, Human, Team
from agentnb.core.events import TextMessage
from agentnb.models import ScriptedModel
from agentnb.notebook.checkpoints import CheckpointBrowser

SCRIPT = {"poet": ["Draft one", "Draft two"], "critic": ["REVISE it", "APPROVED"]}


def haiku_team() -> Team:
    team = Team(
        [Agent("poet", "You write."), Agent("critic", "You judge.")],
        until="APPROVED",
        model=ScriptedModel(SCRIPT, stateless=True, loop=True),
    )
    team.run_sync("A haiku")
    return team


@pytest.fixture
def ns() -> dict[str, Any]:
    return {}


@pytest.fixture
def browser(ns: dict[str, Any]) -> Iterator[CheckpointBrowser]:
    ns["team"] = haiku_team()
    shown = CheckpointBrowser(ns["team"], namespace=ns)
    yield shown
    shown.dispose()


def verdict_of(team: Team) -> int:
    return team.checkpoints.find(source="critic", contains="APPROVED")[0]


def test_it_lists_every_message_with_its_checkpoint_and_shows_the_one_picked(browser) -> None:
    team = browser.team
    messages = [k for k, e in enumerate(team.transcript) if isinstance(e, TextMessage)]
    assert [k for _, k in browser.picker.options] == messages
    assert browser.picker.options[-1][0] == f"#{messages[-1]}  critic: APPROVED"
    assert browser.checkpoint == messages[-1]  # the last message is picked first
    browser.picker.value = messages[1]
    assert (
        'data-agent="poet"' in browser.message_view.value
        and f">#{messages[1]}</span>" in browser.message_view.value
    )


def test_fork_stores_a_new_team_in_the_named_variable_and_leaves_the_team_alone(browser, ns) -> None:
    team, k = browser.team, verdict_of(browser.team)
    length = len(team.transcript)
    browser.picker.value = k
    browser.name_box.value = "kinder"
    browser.fork_button.click()
    fork = ns["kinder"]
    assert isinstance(fork, Team) and len(fork.transcript) == k and len(team.transcript) == length
    assert "kinder = team.fork(" in browser.outcome.value and "%%agentteam kinder" in browser.outcome.value
    fork.participant("critic").model = ScriptedModel({"critic": ["LOVELY. APPROVED"]})
    fork.run_sync()
    assert fork.transcript[k].content == "LOVELY. APPROVED" and team.transcript[k].content == "APPROVED"


def test_a_bad_variable_name_is_refused_with_a_hint(browser, ns) -> None:
    browser.name_box.value = "my fork"
    browser.fork_button.click()
    assert "'my fork' is not a variable name" in browser.outcome.value and set(ns) == {"team"}


def test_a_typed_name_shows_as_text_not_markup(browser, ns) -> None:
    browser.name_box.value = "<img src=x onerror=alert(1)>"
    browser.fork_button.click()
    said = browser.outcome.value
    assert "<img" not in said and "&lt;img src=x onerror=alert(1)&gt;" in said


def test_rewind_takes_the_team_back_and_lists_what_is_left(browser) -> None:
    team, k = browser.team, verdict_of(browser.team)
    browser.picker.value = k
    browser.rewind_button.click()
    assert len(team.transcript) == k
    assert all(key < k for _, key in browser.picker.options)
    assert "team.rewind(" in browser.outcome.value and "%%agentteam team" in browser.outcome.value


def test_rewind_clears_an_xray_of_a_checkpoint_that_is_gone(browser) -> None:
    k = verdict_of(browser.team)
    browser.picker.value = k
    browser.xray_buttons[1].click()
    assert "what critic would receive" in browser.xray_panel.value
    browser.picker.value = browser.picker.options[1][1]
    browser.rewind_button.click()
    assert browser.xray_panel.value == ""  # the X-ray showed a conversation the team no longer has


def test_a_named_teams_header_names_it(ns) -> None:
    team = haiku_team()
    team.name = "haiku"
    browser = CheckpointBrowser(team, namespace=ns)
    assert "Checkpoints of team haiku" in browser.header.value
    assert browser.static_bundle()["text/plain"].startswith("checkpoints of team haiku:")
    browser.dispose()


def test_a_team_in_no_variable_can_be_forked_but_not_rewound(ns) -> None:
    browser = CheckpointBrowser(haiku_team(), namespace=ns)
    assert browser.rewind_button.disabled and "fork it instead" in browser.rewind_button.tooltip
    browser.fork_button.click()
    assert isinstance(ns["fork"], Team)
    browser.dispose()


def test_xray_shows_what_an_agent_would_receive_at_the_checkpoint(browser) -> None:
    assert [b.description for b in browser.xray_buttons] == ["X-ray poet", "X-ray critic"]
    browser.picker.value = verdict_of(browser.team)
    browser.xray_buttons[1].click()
    panel = browser.xray_panel.value
    assert "what critic would receive" in panel and "context of critic" in panel
    assert panel.index("Draft one") < panel.index("Draft two")  # the drafts it judged, in order


def test_a_person_gets_no_xray_button() -> None:
    team = Team([Agent("poet"), Human("alice")], model=ScriptedModel({"poet": ["x"]}))
    browser = CheckpointBrowser(team)
    assert [b.description for b in browser.xray_buttons] == ["X-ray poet"]
    browser.dispose()


def test_its_static_form_is_the_checkpoint_list_and_is_deterministic(browser) -> None:
    bundle = browser._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"] == browser.static_bundle()["text/html"]
    assert "checkpoints of the team:" in bundle["text/plain"] and "critic: APPROVED" in bundle["text/plain"]
    assert "team team" not in bundle["text/plain"] + browser.header.value  # the default name, said once
    again = CheckpointBrowser(haiku_team()).static_bundle()
    assert again == browser.static_bundle()


def test_without_a_front_end_only_the_static_list_is_displayed(
    browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)))
    InteractiveShell.instance()  # a shell without a kernel, like a terminal or nbclient's missing person
    browser._ipython_display_()
    ((bundle, options),) = shown
    assert options == {"raw": True} and "application/vnd.jupyter.widget-view+json" not in bundle
    assert bundle == browser.static_bundle()


def test_close_replaces_the_browser_with_its_static_list(browser) -> None:
    updates: list[dict[str, str]] = []

    class Handle:
        def update(self, bundle: dict[str, str], raw: bool) -> None:
            updates.append(bundle)

    browser.handle = Handle()
    browser.close_button.click()
    assert updates == [browser.static_bundle()]
