"""A2A: agentnb teams and remote agents talk over 127.0.0.1, with the official a2a-sdk on the other side."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from agentnb import Agent, Team
from agentnb.core.events import Stop, TextMessage, TokenDelta
from agentnb.models import FunctionModel
from tests.processes import environment
from tests.protocols.conftest import Uvicorn, free_port, need_a2a, stop, wait_for_port

pytestmark = pytest.mark.usefixtures("a2a_sdk")


@pytest.fixture
def a2a_sdk() -> None:
    need_a2a()


def served_team(url: str) -> Any:
    from agentnb.protocols.a2a import as_a2a_app
    from tests.protocols.teams import newsroom

    return as_a2a_app(newsroom, url=url)


def sdk_agent(url: str) -> Any:
    from tests.protocols.servers.sdk_a2a_agent import app

    return app(url)


def with_remote(url: str, **options: Any) -> Team:
    from agentnb.protocols.a2a import RemoteAgent

    remote = RemoteAgent(url, **options)
    boss = Agent("boss", model=FunctionModel(lambda request: "Thanks."))
    return Team([remote, boss], max_turns=2)


def test_an_agentnb_team_is_a_participant_of_another_team_over_a2a() -> None:
    with Uvicorn(served_team) as server:
        team = with_remote(server.url, name="newsroom")
        events = asyncio.run(_collect(team, "Write: the river"))
        again = team.run_sync("Write: the bridge")  # the same remote conversation goes on
    nested = [(e.source, e.content) for e in events if isinstance(e, TextMessage) and e.scope == "newsroom"]
    assert nested == [("writer", "Draft about the river."), ("editor", "APPROVED: the draft is fine.")]
    answer = next(e for e in events if isinstance(e, TextMessage) and e.source == "newsroom" and not e.scope)
    assert answer.content == "APPROVED: the draft is fine."
    deltas = "".join(e.text for e in events if isinstance(e, TokenDelta) and e.source == "newsroom")
    assert deltas == answer.content
    first_nested = next(m for m in again.messages if isinstance(m, TextMessage) and m.scope)
    assert first_nested.content == "Draft about the bridge."
    assert team.participant("newsroom").description == "Writes and edits short news."  # from its card


async def _collect(team: Team, task: str) -> list[Any]:
    return [event async for event in team.stream(task)]


def test_a_team_answers_the_sdks_own_a2a_client() -> None:
    from a2a.client import ClientConfig, create_client
    from a2a.helpers.proto_helpers import get_message_text, new_text_message
    from a2a.types import Role, SendMessageRequest

    async def ask(url: str) -> list[Any]:
        client = await create_client(url, ClientConfig(streaming=True))
        try:
            message = new_text_message("Write: the harbour", role=Role.ROLE_USER)
            return [r async for r in client.send_message(SendMessageRequest(message=message))]
        finally:
            await client.close()

    with Uvicorn(served_team) as server:
        responses = asyncio.run(ask(server.url))
    updates = [r.status_update for r in responses if r.HasField("status_update")]
    said = [
        (u.status.message.metadata["agentnb_source"], get_message_text(u.status.message))
        for u in updates
        if u.status.HasField("message")
    ]
    assert said == [("writer", "Draft about the harbour."), ("editor", "APPROVED: the draft is fine.")]
    (artifact,) = [r.artifact_update.artifact for r in responses if r.HasField("artifact_update")]
    assert artifact.name == "answer" and artifact.parts[0].text == "APPROVED: the draft is fine."
    assert updates[-1].status.state == 3  # TASK_STATE_COMPLETED


def test_an_a2a_agent_written_with_the_sdk_alone_is_a_participant() -> None:
    with Uvicorn(sdk_agent) as server:
        result = with_remote(server.url, name="shouter").run_sync("hello there")
        worked = with_remote(server.url, name="shouter").run_sync("work: rain")
    assert [m.content for m in result.messages if isinstance(m, TextMessage)] == [
        "hello there",
        "HELLO THERE",
        "Thanks.",
    ]
    shouter = [
        (m.content, m.scope) for m in worked.messages if isinstance(m, TextMessage) and m.source == "shouter"
    ]
    assert shouter == [("looking it up", "shouter"), ("report on work: rain", "")]


def test_a_remote_task_that_needs_input_stops_the_run_saying_what_it_asks() -> None:
    with Uvicorn(sdk_agent) as server:
        team = with_remote(server.url, name="shouter")
        result = team.run_sync("ask me")
        answered = team.run_sync("Paris")  # continues the remote task that waited for input
    assert result.stop_reason.startswith("shouter: the remote agent needs input: Which city?")
    assert [m.content for m in result.messages if isinstance(m, TextMessage)][-1] == "Which city?"
    reports = [m.content for m in answered.messages if isinstance(m, TextMessage) and m.source == "shouter"]
    assert reports[-1].startswith("report on user: Paris")  # everything said since the remote agent's turn


def test_a_failed_remote_task_stops_the_run_with_its_reason() -> None:
    with Uvicorn(sdk_agent) as server:
        result = with_remote(server.url, name="shouter").run_sync("fail please")
    assert result.stop_reason == "shouter: the remote task failed: the weather service is down"


def test_an_unreachable_remote_agent_stops_the_run_saying_where_it_looked() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    result = with_remote(url, name="nobody").run_sync("hello")
    stops = [e for e in result.messages if isinstance(e, Stop)]
    assert stops[0].reason.startswith(f"nobody: the remote agent at {url} could not be reached or failed")


def test_agentnb_a2a_serve_publishes_a_card_with_a_skill_per_participant() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentnb.apps.cli",
            "a2a",
            "serve",
            "tests.protocols.teams:newsroom",
            "--port",
            str(port),
        ],
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/.well-known/agent-card.json", timeout=10
        ) as reply:
            card = json.loads(reply.read())
        result = with_remote(f"http://127.0.0.1:{port}/", name="newsroom").run_sync("Write: the dam")
    finally:
        stop(process)
    assert card["name"] == "newsroom" and card["description"] == "Writes and edits short news."
    assert [s["id"] for s in card["skills"]] == ["writer", "editor"]
    assert result.final == "Thanks."


def test_a_team_served_in_the_background_answers_and_stops_listening_after_the_block() -> None:
    import socket

    from agentnb.protocols.a2a import serve_in_background
    from tests.protocols.teams import newsroom

    with serve_in_background(newsroom) as served:
        result = with_remote(served.url, name="newsroom").run_sync("Write: the pier")
    assert [m.content for m in result.chat()] == [
        "Write: the pier",
        "APPROVED: the draft is fine.",
        "Thanks.",
    ]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", served.port)) != 0
